import Foundation
import MMMMetricsCore
import MMMMetricsLogFormat
import MMMMetricsTestSupport
import Testing

/// The fuzzers' findings in the format layer (docs/FUZZING.md), each replayed from its reproducer
/// under `Fixtures/fuzz/crashes/`.
@Suite("Log format: fuzzing findings")
struct FuzzFindingTests {
    static func reproducer(_ name: String) throws -> [UInt8] {
        let path = FixtureLogs.directory.appendingPathComponent("fuzz/crashes/\(name)").path
        return try #require(FileManager.default.contents(atPath: path).map { [UInt8]($0) }, "missing \(path)")
    }

    @Test("a payload declaring 2^24 events and tag columns of width 0 is refused, without allocating per event")
    func emptyTagColumns() throws {
        let payload = try Self.reproducer("block-payload/empty-tag-columns.payload")
        let failure = #expect(throws: DecodeFailure.self) {
            try payload.withUnsafeBytes { try BlockDecoder.decode($0, firstSequence: 0) }
        }
        #expect(failure?.reason.contains("tag column") == true)
    }

    @Test("a block whose sequence numbers would pass 2^64 - 1 is not a block: the scan reports damage instead of trapping")
    func sequenceOverflow() throws {
        let segment = try Self.reproducer("segment-scan/block-sequence-overflow.seg")
        let scan = try segment.withUnsafeBytes { try SegmentScan.scan($0, path: "block-sequence-overflow.seg") }
        #expect(scan.blocks.isEmpty)
        #expect(!scan.damage.isEmpty)
        #expect(scan.nextSequence == scan.header.firstSequence)
    }
}
