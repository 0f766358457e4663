import Foundation
import MMMMetricsAnalysis
import MMMMetricsCore
@_spi(Benchmarks) import MMMMetricsLog
import MMMMetricsTestSupport
import MMMWorkload
import Testing

@Suite("Archives: reports read in place")
struct ArchiveReportTests {
    @Test("round trip: the report from the archive in place, from the imported copy and from the original are identical")
    func roundTrip() throws {
        let temporary = TemporaryDirectory()
        let original = temporary.root
        try writeSession(original, "cook-7", EventGenerator.cookSession(iterations: 15, seed: 8), options: LogWriterOptions(segmentMaxBytes: 1200, blockMaxEvents: 10))
        let archive = temporary.path + "/cook-7.mmmar"
        #expect(try SessionArchive.write(session: "cook-7", from: original, to: archive) > 1)
        let inPlace = try ArchiveSource(path: archive)
        #expect(inPlace.session == "cook-7")
        #expect(try LogMaintenance(source: inPlace).verify().isEmpty)
        let copy = LogRoot(path: temporary.path + "/copy")
        let result = try SessionArchive.importArchive(at: archive, into: copy)
        #expect(result.session == "cook-7")
        #expect(result.events == EventGenerator.cookSession(iterations: 15, seed: 8).count)
        let fromOriginal = try SessionReport.build(session: "cook-7", source: original)
        let fromArchive = try SessionReport.build(session: "cook-7", source: inPlace)
        let fromCopy = try SessionReport.build(session: "cook-7", source: copy)
        #expect(fromArchive.text() == fromOriginal.text())
        #expect(fromCopy.text() == fromOriginal.text())
        #expect(JSONText.encode(fromCopy.json()) == JSONText.encode(fromOriginal.json()))
        #expect(try LogMaintenance(root: copy).verify().isEmpty)
        // Queries read archives in place too.
        #expect(try QueryEngine(source: inPlace).run("count(*)").value == Double(result.events))
        // Never overwrite; --as imports under another id, rewriting the segment headers.
        #expect(throws: LogError.self) { try SessionArchive.importArchive(at: archive, into: copy) }
        let renamed = try SessionArchive.importArchive(at: archive, into: copy, as: "cook-7-copy")
        #expect(renamed.session == "cook-7-copy")
        #expect(try LogMaintenance(root: copy).verify().isEmpty)
        #expect(sameEvents(try readSession(copy, "cook-7-copy"), try readSession(original, "cook-7")))
        #expect(try SessionReport.build(session: "cook-7-copy", source: copy).session.iterations == fromOriginal.session.iterations)
        #expect(throws: LogError.self) { try SessionArchive.write(session: "nope", from: original, to: temporary.path + "/x.mmmar") }
    }
}
