import Foundation
#if canImport(Glibc)
import Glibc
#endif
import MMMMetrics
@testable import MMMMetricsLog

/// A seeded generator, so every property test is reproducible.
struct SeededRandom: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Random events of every kind, with unicode names and tags and extreme values.
enum EventGenerator {
    static let names = ["command.duration", "git.lines_added", "quality.test_coverage", "error", "session.start",
                        "métrica.日本語", "emoji.🚀", "a", "x.y-z_1", String(repeating: "long", count: 100)]
    static let tagKeys = ["command", "iteration", "status", "ключ", "🔑", "file"]
    static let tagValues = ["build", "test", "1", "2", "ok", "error", "значение", "", "with \"quotes\" and \\ and \n newline", "🦀🦀"]

    static func value(_ random: inout SeededRandom) -> MetricValue {
        switch random.next() % 4 {
        case 0:
            let extremes: [Int64] = [0, 1, -1, .max, .min, 42]
            return .counter(random.next() % 3 == 0 ? extremes[Int(random.next() % 6)] : Int64(bitPattern: random.next()) >> Int(random.next() % 64))
        case 1:
            let extremes: [Double] = [0, -0.0, .greatestFiniteMagnitude, -.greatestFiniteMagnitude, .leastNonzeroMagnitude, 83.5, 1e-300, .infinity, -.infinity, .nan]
            return .gauge(random.next() % 3 == 0 ? extremes[Int(random.next() % UInt64(extremes.count))] : Double(bitPattern: random.next() & 0x7FEF_FFFF_FFFF_FFFF))
        case 2:
            let extremes: [Int64] = [0, 1, .max, .min, 1_250_000_000]
            return .timer(.nanoseconds(random.next() % 3 == 0 ? extremes[Int(random.next() % 5)] : Int64(random.next() % 10_000_000_000)))
        default:
            let payloads: [JSONValue] = [
                ["message": "lint failed", "kind": "lint"], nil, true, 3, 2.5, "текст", [1, "two", ["three": 3]],
                ["nested": ["deep": [nil, false, -9_223_372_036_854_775_808]]], ["unicode 🚀": "\u{0001}control"],
            ]
            return .custom(payloads[Int(random.next() % UInt64(payloads.count))])
        }
    }

    static func event(_ random: inout SeededRandom, timestamp: Int64) -> MetricEvent {
        var tags = Tags()
        for _ in 0..<(random.next() % 4) {
            tags[tagKeys[Int(random.next() % UInt64(tagKeys.count))]] = tagValues[Int(random.next() % UInt64(tagValues.count))]
        }
        return MetricEvent(name: names[Int(random.next() % UInt64(names.count))], value: value(&random), tags: tags,
                           timestamp: MetricTimestamp(nanosecondsSinceEpoch: timestamp))
    }

    /// `count` events with mostly increasing timestamps and a few extreme ones.
    static func events(count: Int, seed: UInt64) -> [MetricEvent] {
        var random = SeededRandom(seed: seed)
        var time: Int64 = 1_795_900_000_000_000_000
        return (0..<count).map { _ in
            time += Int64(random.next() % 2_000_000_000)
            let extreme: [Int64] = [.min, .max, 0, -1]
            let timestamp = random.next() % 50 == 0 ? extreme[Int(random.next() % 4)] : time
            return event(&random, timestamp: timestamp)
        }
    }

    /// A cook-like session: iterations of commands with timers, git counters, quality gauges, errors.
    static func cookSession(iterations: Int, seed: UInt64) -> [MetricEvent] {
        var random = SeededRandom(seed: seed)
        var time: Int64 = 1_795_900_000_000_000_000
        var events: [MetricEvent] = [.custom(name: "session.start", data: ["playbook": "improve.yml"], timestamp: MetricTimestamp(nanosecondsSinceEpoch: time))]
        for iteration in 1...iterations {
            let tag = "\(iteration)"
            for command in ["build", "test", "lint"] {
                let nanos = Int64(random.next() % 3_000_000_000) + 1
                time += nanos
                events.append(.timer(name: "command.duration", duration: .nanoseconds(nanos),
                                     tags: ["iteration": tag, "command": command, "status": random.next() % 5 == 0 ? "error" : "ok"],
                                     timestamp: MetricTimestamp(nanosecondsSinceEpoch: time)))
            }
            events.append(.counter(name: "git.lines_added", value: Int64(random.next() % 200), tags: ["iteration": tag], timestamp: MetricTimestamp(nanosecondsSinceEpoch: time)))
            events.append(.gauge(name: "quality.test_coverage", value: 60 + Double(iteration), tags: ["iteration": tag], timestamp: MetricTimestamp(nanosecondsSinceEpoch: time)))
            time += 1000
            events.append(.timer(name: "iteration.duration", duration: .seconds(5), tags: ["iteration": tag], timestamp: MetricTimestamp(nanosecondsSinceEpoch: time)))
        }
        events.append(.custom(name: "session.end", data: ["status": "completed"], timestamp: MetricTimestamp(nanosecondsSinceEpoch: time + 1)))
        return events
    }
}

/// A temporary directory removed when the value is released.
final class TemporaryDirectory: Sendable {
    let path: String
    init(_ label: String = "mmm") {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("\(label)-\(UUID().uuidString)").path
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }
    var root: LogRoot { LogRoot(path: path + "/log") }
}

/// File damage for recovery tests.
enum Corrupter {
    static func bytes(_ path: String) -> [UInt8] { Array(FileManager.default.contents(atPath: path) ?? Data()) }
    /// Rewrites the file in place (same inode), as damage on disk would, so open descriptors see it.
    static func write(_ path: String, _ bytes: [UInt8]) {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        precondition(fd >= 0, "cannot open \(path)")
        _ = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        close(fd)
    }
    static func truncate(_ path: String, to size: Int) { write(path, Array(bytes(path).prefix(size))) }
    static func flipBit(_ path: String, bit: Int) {
        var data = bytes(path)
        data[bit / 8] ^= UInt8(1 << (bit % 8))
        write(path, data)
    }
}

/// Writes events into a session and closes the writer.
func writeSession(_ root: LogRoot, _ session: String, _ events: [MetricEvent], options: LogWriterOptions = LogWriterOptions()) throws {
    let writer = try SessionLogWriter(root: root, session: session, options: options)
    try writer.append(contentsOf: events)
    try writer.close()
}

/// Reads a session back strictly.
func readSession(_ root: LogRoot, _ session: String, mode: ReadMode = .strict) throws -> [MetricEvent] {
    try LogReader(root: root).events(session: session, mode: mode).map(\.event)
}

/// Events compared bit for bit (NaN-safe for gauges).
func sameEvents(_ lhs: [MetricEvent], _ rhs: [MetricEvent]) -> Bool {
    guard lhs.count == rhs.count else { return false }
    return zip(lhs, rhs).allSatisfy { a, b in
        guard a.name == b.name, a.tags == b.tags, a.timestamp == b.timestamp else { return false }
        switch (a.value, b.value) {
        case (.gauge(let x), .gauge(let y)): return x.bitPattern == y.bitPattern
        default: return a.value == b.value
        }
    }
}

/// The mmm-analyze binary built beside the test bundle.
func analyzerPath() -> String {
    URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("mmm-analyze").path
}

/// Runs mmm-analyze; returns exit status, stdout, stderr.
@discardableResult
func runAnalyzer(_ arguments: [String], stdin: Data? = nil, environment: [String: String]? = nil, directory: String? = nil) throws -> (status: Int32, out: String, err: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: analyzerPath())
    process.arguments = arguments
    if let environment { process.environment = environment }
    if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
    let out = Pipe()
    let err = Pipe()
    let input = Pipe()
    process.standardOutput = out
    process.standardError = err
    process.standardInput = input
    try process.run()
    if let stdin { input.fileHandleForWriting.write(stdin) }
    try input.fileHandleForWriting.close()
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    let errData = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: outData, as: UTF8.self), String(decoding: errData, as: UTF8.self))
}

/// Runs blocking or CPU-heavy test work on a thread of its own, so it does not hold one of the few
/// threads of Swift's cooperative pool (two on a two-core machine) that other tests' tasks, such as
/// a collector's writing task, need to make progress.
func offThePool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread { continuation.resume(with: Result { try body() }) }
        thread.stackSize = 8 << 20
        thread.start()
    }
}
