import Foundation
import MMMMetricsCore
@_spi(Benchmarks) @testable import MMMMetricsLog
import MMMMetricsLogFormat
import MMMMetricsTestSupport
import Testing

@Suite("Ingest compresses blocks on a thread of its own")
struct CompressionLaneTests {
    /// 6,000 random events in runs of 37 lines per session over five sessions, so writers take turns
    /// with blocks in flight; small blocks and segments, so segments roll while a block is placed.
    private static func input(in temporary: TemporaryDirectory) throws -> (path: String, bySession: [String: [MetricEvent]]) {
        let events = EventGenerator.events(count: 6_000, seed: 3)
        var text = ""
        var bySession: [String: [MetricEvent]] = [:]
        for (index, event) in events.enumerated() {
            let session = "s\((index / 37) % 5)"
            bySession[session, default: []].append(event)
            text += NDJSONEvent.format(event, session: session) + "\n"
        }
        let path = temporary.path + "/events.ndjson"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return (path, bySession)
    }

    private static let options = LogWriterOptions(segmentMaxBytes: 3_000, blockMaxEvents: 100, durability: .none)

    @Test("the same blocks, byte for byte, in the same segments as compressing on the writing thread; every session verifies and reads back")
    func sameBytesAsWithoutLane() throws {
        let temporary = TemporaryDirectory()
        let (path, bySession) = try Self.input(in: temporary)
        let withLane = LogRoot(path: temporary.path + "/lane"), without = LogRoot(path: temporary.path + "/plain")
        let laneReport = try NDJSONIngest.ingest(from: path, into: withLane, defaultSession: nil, options: Self.options, compressOnOwnThread: true)
        let plainReport = try NDJSONIngest.ingest(from: path, into: without, defaultSession: nil, options: Self.options, compressOnOwnThread: false)
        #expect(laneReport.totalEvents == 6_000)
        #expect(plainReport.totalEvents == 6_000)
        for session in bySession.keys.sorted() {
            let lanePaths = try withLane.segmentPaths(session: session), plainPaths = try without.segmentPaths(session: session)
            #expect(lanePaths.count > 3, "segments rolled")
            #expect(lanePaths.map { ($0 as NSString).lastPathComponent } == plainPaths.map { ($0 as NSString).lastPathComponent })
            for (lane, plain) in zip(lanePaths, plainPaths) {
                let a = Corrupter.bytes(lane), b = Corrupter.bytes(plain)
                // The header differs only in its creation time (and so its CRC): blocks and seal must not.
                let header: Int = a.count < 16 ? 0 : (12..<16).reduce(0) { $0 | Int(a[$1]) << (8 * ($1 - 12)) }
                #expect(a.count == b.count)
                #expect(a[16..<24] == b[16..<24], "first sequence number of \(lane)")
                #expect(a[header...] == b[header...], "blocks and seal of \(lane)")
            }
            #expect(sameEvents(try readSession(withLane, session), bySession[session]!))
        }
        #expect(try LogMaintenance(root: withLane).verify().isEmpty)
    }

    @Test("a bad line after blocks went through the lane undoes everything, and the lane's block in flight with it")
    func badLineUndoesBlocksInFlight() throws {
        let temporary = TemporaryDirectory()
        let (path, _) = try Self.input(in: temporary)
        let handle = try #require(FileHandle(forWritingAtPath: path))
        handle.seekToEndOfFile()
        handle.write(Data("{\"session\":\"s1\",\"type\":\"counter\",\"name\":\"x\"}\n".utf8))
        try handle.close()
        let root = LogRoot(path: temporary.path + "/log")
        #expect {
            try NDJSONIngest.ingest(from: path, into: root, defaultSession: nil, options: Self.options, compressOnOwnThread: true)
        } throws: { error in
            "\(error)".contains("6001")
        }
        #expect(!FileManager.default.fileExists(atPath: root.path))
    }
}

@Suite("Ingest's hand-off between its reading and writing threads")
struct LineBatchHandoffTests {
    @Test("bounded by bytes as well as batches: a batch over the bound passes alone; the next waits for a take; cancel frees a waiting producer")
    func boundedByBytes() async throws {
        let handoff = LineBatchHandoff(capacity: 8, byteCapacity: 100)
        #expect(handoff.put(.lines([]), bytes: 500))  // alone in the queue: never blocks
        let second = Task.detached { handoff.put(.lines([]), bytes: 10) }
        try await Task.sleep(for: .milliseconds(50))
        _ = handoff.take()  // frees the room the second batch waits for
        #expect(await second.value)
        _ = handoff.take()
        #expect(handoff.put(.lines([]), bytes: 60))
        let blocked = Task.detached { handoff.put(.lines([]), bytes: 60) }
        try await Task.sleep(for: .milliseconds(50))
        handoff.cancel()
        #expect(await blocked.value == false)
    }
}
