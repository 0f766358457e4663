package import Foundation
package import MMMMetricsCore
package import MMMMetricsLog

/// A temporary directory removed when the value is released.
package final class TemporaryDirectory: Sendable {
    package let path: String
    package init(_ label: String = "mmm") {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("\(label)-\(UUID().uuidString)").path
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }
    package var root: LogRoot { LogRoot(path: path + "/log") }
}

/// File damage for recovery tests.
package enum Corrupter {
    package static func bytes(_ path: String) -> [UInt8] { Array(FileManager.default.contents(atPath: path) ?? Data()) }
    /// Rewrites the file in place (same inode), as damage on disk would, so open descriptors see it.
    package static func write(_ path: String, _ bytes: [UInt8]) {
        if !FileManager.default.fileExists(atPath: path) {
            precondition(FileManager.default.createFile(atPath: path, contents: nil), "cannot create \(path)")
        }
        guard let handle = FileHandle(forWritingAtPath: path) else { preconditionFailure("cannot open \(path)") }
        defer { try? handle.close() }
        try! handle.truncate(atOffset: 0)
        try! handle.write(contentsOf: bytes)
    }
    package static func truncate(_ path: String, to size: Int) { write(path, Array(bytes(path).prefix(size))) }
    package static func flipBit(_ path: String, bit: Int) {
        var data = bytes(path)
        data[bit / 8] ^= UInt8(1 << (bit % 8))
        write(path, data)
    }
}

/// Writes events into a session and closes the writer.
package func writeSession(_ root: LogRoot, _ session: String, _ events: [MetricEvent], options: LogWriterOptions = LogWriterOptions()) throws {
    let writer = try SessionLogWriter(root: root, session: session, options: options)
    try writer.append(contentsOf: events)
    try writer.close()
}

/// Reads a session back strictly.
package func readSession(_ root: LogRoot, _ session: String, mode: ReadMode = .strict) throws -> [MetricEvent] {
    try LogReader(root: root).events(session: session, mode: mode).map(\.event)
}

/// Events compared bit for bit (NaN-safe for gauges).
package func sameEvents(_ lhs: [MetricEvent], _ rhs: [MetricEvent]) -> Bool {
    guard lhs.count == rhs.count else { return false }
    return zip(lhs, rhs).allSatisfy { a, b in
        guard a.name == b.name, a.tags == b.tags, a.timestamp == b.timestamp else { return false }
        switch (a.value, b.value) {
        case (.gauge(let x), .gauge(let y)): return x.bitPattern == y.bitPattern
        default: return a.value == b.value
        }
    }
}


/// The committed fixture logs, copied to a temporary directory before each use (tests never change them).
package enum FixtureLogs {
    package static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures")

    package static func copy(_ name: String, into temporary: TemporaryDirectory) throws -> LogRoot {
        let target = temporary.path + "/" + name
        try FileManager.default.copyItem(atPath: directory.appendingPathComponent("logs/\(name)").path, toPath: target)
        return LogRoot(path: target)
    }

    package static var sourceEvents: [MetricEvent] {
        let text = try! String(contentsOf: directory.appendingPathComponent("cook-session.ndjson"), encoding: .utf8)
        return text.split(separator: "\n").map { try! NDJSONEvent.parse(String($0)).event }
    }
}

/// The fuzzers' inputs kept in the repository (docs/FUZZING.md): a target's seeds
/// (`Fixtures/fuzz/<target>/`) and reproducers (`Fixtures/fuzz/crashes/<target>/`).
package enum FuzzInputs {
    /// Every kept input of `target`, by file name; none when the target has no folder.
    package static func inputs(_ target: String) -> [(name: String, bytes: [UInt8])] {
        let base = FixtureLogs.directory.appendingPathComponent("fuzz")
        return [base.appendingPathComponent(target), base.appendingPathComponent("crashes/\(target)")].flatMap { folder in
            let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
            return names.sorted().compactMap { name in
                FileManager.default.contents(atPath: folder.appendingPathComponent(name).path).map { (name, [UInt8]($0)) }
            }
        }
    }

    /// Runs `entry` on every kept input of `target` (an invariant it breaks stops the process, as
    /// in the fuzzer); returns how many inputs ran.
    package static func replay(_ target: String, through entry: (UnsafeRawBufferPointer) -> Void) -> Int {
        let all = inputs(target)
        for input in all { input.bytes.withUnsafeBytes { entry($0) } }
        return all.count
    }
}
