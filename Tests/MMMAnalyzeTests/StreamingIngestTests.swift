import Foundation
import MMMMetricsCore
import MMMMetricsLog
import MMMMetricsTestSupport
import Testing

@Suite("ingest streams its input")
struct StreamingIngestTests {
    func line(_ index: Int, session: String = "s") -> String {
        #"{"ts":"2026-11-28T10:00:00Z","session":"\#(session)","type":"counter","name":"x","value":\#(index)}"#
    }

    @Test("lines across read boundaries, CRLF, no final newline, and a bad line far in naming its number; nothing left behind")
    func boundaries() async throws {
        let temporary = TemporaryDirectory()
        // A 3 MiB custom event spans several 1 MiB reads; 200,000 small lines cross many boundaries.
        let big = #"{"ts":"2026-11-28T10:00:00Z","session":"b","type":"custom","name":"blob","data":""# + String(repeating: "q", count: 3 << 20) + "\"}"
        var text = (0..<100_000).map { line($0) }.joined(separator: "\r\n") + "\n" + big + "\n"
        text += (100_000..<200_000).map { line($0, session: "t") }.joined(separator: "\n")
        let input = temporary.path + "/in.ndjson"
        try text.write(toFile: input, atomically: true, encoding: .utf8)
        let result = try await runAnalyzer(["ingest", "--log", temporary.root.path, input])
        #expect(result.status == 0, "\(result.err)")
        #expect(try readSession(temporary.root, "s").map(\.value) == (0..<100_000).map { .counter(Int64($0)) })
        #expect(try readSession(temporary.root, "t").count == 100_000)
        let blob = try readSession(temporary.root, "b")
        #expect(blob.count == 1 && blob.first?.value == .custom(.string(String(repeating: "q", count: 3 << 20))))
        // A bad line at 150,002 (after the big one): the error names it; the three sessions are as they were.
        let before = try LogMaintenance(root: temporary.root).summaries().sessions
        // ("\r\n" is one Character in Swift: split the bytes.)
        var lines = text.utf8.split(separator: 0x0A, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
        lines[150_001] = #"{"ts":"2026-11-28T10:00:00Z","session":"t","type":"counter","name":"x","value":"nope"}"#
        try lines.joined(separator: "\n").write(toFile: input, atomically: true, encoding: .utf8)
        let bad = try await runAnalyzer(["ingest", "--log", temporary.root.path, input])
        #expect(bad.status == 1)
        #expect(bad.err.contains("in.ndjson:150002:"), "\(bad.err)")
        #expect(try LogMaintenance(root: temporary.root).summaries().sessions == before)
        #expect(try LogMaintenance(root: temporary.root).verify().isEmpty)
    }

    @Test("a failed ingest into a log that did not exist leaves no directory, however far in the bad line is")
    func failedIngestLeavesNoRoot() async throws {
        let temporary = TemporaryDirectory()
        var text = ""
        for index in 0..<5_000 { text += line(index) + "\n" }
        text += "not json\n"
        let input = temporary.path + "/in.ndjson"
        try text.write(toFile: input, atomically: true, encoding: .utf8)
        let root = temporary.path + "/new-log"
        let result = try await runAnalyzer(["ingest", "--log", root, input])
        #expect(result.status == 1)
        #expect(result.err.contains("in.ndjson:5001:"), "\(result.err)")
        #expect(!FileManager.default.fileExists(atPath: root))
    }

    @Test("a line longer than 64 MiB is refused while it is read, naming the line, and nothing is written")
    func overlongLine() async throws {
        let temporary = TemporaryDirectory()
        let input = temporary.path + "/huge.ndjson"
        #expect(FileManager.default.createFile(atPath: input, contents: nil))
        let handle = try #require(FileHandle(forWritingAtPath: input))
        handle.write(Data((line(1) + "\n").utf8))
        let block = Data(repeating: UInt8(ascii: "z"), count: 1 << 20)
        for _ in 0..<65 { handle.write(block) }
        try handle.close()
        let result = try await runAnalyzer(["ingest", "--log", temporary.root.path, input])
        #expect(result.status == 1)
        #expect(result.err.contains("huge.ndjson:2: line longer than 64 MiB"), "\(result.err)")
        #expect(!FileManager.default.fileExists(atPath: temporary.root.sessionsPath))
    }

    @Test("300 sessions interleaved line by line: every session reads back in order (others' pending blocks are written out as the input moves on)")
    func interleaved() async throws {
        let temporary = TemporaryDirectory()
        var text = ""
        for index in 0..<120_000 { text += line(index, session: "s\(index % 300)") + "\n" }
        let input = temporary.path + "/mixed.ndjson"
        try text.write(toFile: input, atomically: true, encoding: .utf8)
        let result = try await runAnalyzer(["ingest", "--log", temporary.root.path, input])
        #expect(result.status == 0, "\(result.err)")
        for session in [0, 1, 150, 299] {
            #expect(try readSession(temporary.root, "s\(session)").map(\.value) == stride(from: session, to: 120_000, by: 300).map { .counter(Int64($0)) })
        }
        #expect(try LogMaintenance(root: temporary.root).verify().isEmpty)
    }

    @Test("SIGTERM or SIGQUIT in the middle of an ingest undoes it: exit 128 + the signal, nothing kept", arguments: [SIGTERM, SIGQUIT])
    func terminated(signal: Int32) async throws {
        let temporary = TemporaryDirectory()
        let fifo = temporary.path + "/in.fifo"
        #expect(mkfifo(fifo, 0o644) == 0)
        try writeSession(temporary.root, "s0", [.counter(name: "before", value: 1, timestamp: MetricTimestamp(nanosecondsSinceEpoch: 1))])
        let before = try LogMaintenance(root: temporary.root).summaries().sessions
        let process = Process()
        process.executableURL = URL(fileURLWithPath: analyzerPath())
        process.arguments = ["ingest", "--log", temporary.root.path, "--block-events", "1", fifo]
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        let writer = try #require(FileHandle(forWritingAtPath: fifo))
        for index in 0..<300 { writeToChild(writer, Data((line(index, session: "s\(index % 3)") + "\n").utf8)) }
        // Wait until the ingest has written some of it, then stop it.
        for _ in 0..<100 where (try? temporary.root.sessionIDs().count) ?? 0 < 3 { try await Task.sleep(for: .milliseconds(50)) }
        // The events were handed to the writer without waiting for a full batch.
        #expect(try temporary.root.sessionIDs().count == 3)
        kill(process.processIdentifier, signal)
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        try? writer.close()
        #expect(process.terminationStatus == 128 + signal, "\(message)")
        let name = signal == SIGTERM ? "SIGTERM" : "SIGQUIT"
        #expect(message.contains("interrupted by signal \(signal) (\(name)); nothing from the input was kept"), "\(message)")
        #expect(try LogMaintenance(root: temporary.root).summaries().sessions == before)
        #expect(try temporary.root.sessionIDs() == ["s0"])
    }
}

extension StreamingIngestTests {
    @Test("the tests' pipe writer survives a child that exited without reading (EPIPE, not SIGPIPE for the test process)")
    func brokenPipeToChild() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: analyzerPath())
        process.arguments = ["--version"]
        let input = Pipe()
        process.standardInput = input
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        writeToChild(input.fileHandleForWriting, Data(repeating: 10, count: 1 << 20))
        try? input.fileHandleForWriting.close()
        #expect(process.terminationStatus == 0)
    }
}
