@_spi(Fuzzing) import MMMMetricsLogFormat
import MMMMetricsTestSupport
import Testing

@Suite("Fuzzing inputs replayed: log format")
struct FormatFuzzReplayTests {
    @Test("the format targets' seeds and reproducers pass their invariants: payloads round-trip, scans and indexes agree",
          arguments: ["block-payload", "segment-scan", "segment-index"])
    func replay(target: String) {
        let entry: (UnsafeRawBufferPointer) -> Void = switch target {
        case "block-payload": FormatFuzzEntryPoints.blockPayload
        case "segment-scan": FormatFuzzEntryPoints.segmentScan
        default: FormatFuzzEntryPoints.segmentIndex
        }
        #expect(FuzzInputs.replay(target, through: entry) >= 3)
    }

    @Test("each version 2 payload seed (its table front-coded by Tools/Fuzz/make-seeds.py) decodes to the events of its version 1 original")
    func versionTwoSeedsMatchVersionOne() throws {
        let seeds = FuzzInputs.inputs("block-payload")
        let versionTwo = seeds.filter { $0.name.hasSuffix("-version-2.payload") }
        #expect(versionTwo.count == 7)
        for seed in versionTwo {
            let originalName = String(seed.name.dropLast("-version-2.payload".count)) + ".payload"
            let original = try #require(seeds.first { $0.name == originalName })
            #expect(seed.bytes.first == 2 && original.bytes.first == 1)
            let decoded = try seed.bytes.withUnsafeBytes { try BlockPayload.decode($0, firstSequence: 7) }
            let expected = try original.bytes.withUnsafeBytes { try BlockPayload.decode($0, firstSequence: 7) }
            #expect(decoded.events == expected.events, "\(seed.name)")
            #expect(decoded.strings == expected.strings && decoded.packedStrings == expected.packedStrings)
        }
    }

    @Test("recomputing checksums makes a segment whose payload was changed scan clean again (how a reproducer becomes a file mmm-analyze reads)")
    func repairChecksums() throws {
        let input = try #require(FuzzInputs.inputs("segment-scan").first { $0.name.hasPrefix("good") })
        let original = try input.bytes.withUnsafeBytes { try SegmentScan.scan($0, path: input.name) }
        let block = try #require(original.blocks.first)
        var changed = input.bytes
        changed[block.offset + block.header.totalLength - 1] ^= 0x40
        let damaged = try changed.withUnsafeBytes { try SegmentScan.scan($0, path: input.name) }
        #expect(damaged.blocks.count == original.blocks.count - 1 && !damaged.damage.isEmpty)
        let repaired = FormatFuzzEntryPoints.repairChecksums(changed, kind: "segment")
        let scan = try repaired.withUnsafeBytes { try SegmentScan.scan($0, path: input.name) }
        #expect(scan.blocks.count == original.blocks.count && scan.damage.isEmpty)
    }
}
