import Foundation
import MMMMetricsCore
@_spi(Benchmarks) import MMMMetricsLog
import MMMMetricsTestSupport
import Testing

@Suite("Archives")
struct ArchiveTests {
    @Test("a live session is archived up to its last complete block; a damaged one is refused")
    func liveAndDamaged() throws {
        let temporary = TemporaryDirectory()
        let writer = try SessionLogWriter(root: temporary.root, session: "live")
        try writer.append(contentsOf: EventGenerator.cookSession(iterations: 2, seed: 1))
        try writer.flush()
        let path = try #require(try temporary.root.segmentPaths(session: "live").first)
        Corrupter.write(path, Corrupter.bytes(path) + [1, 2, 3])
        try SessionArchive.write(session: "live", from: temporary.root, to: temporary.path + "/live.mmmar")
        let imported = try SessionArchive.importArchive(at: temporary.path + "/live.mmmar", into: LogRoot(path: temporary.path + "/copy"))
        #expect(imported.events == EventGenerator.cookSession(iterations: 2, seed: 1).count)
        writer.simulateCrash()
        let damaged = try FixtureLogs.copy("bad-block", into: temporary)
        #expect(throws: LogError.self) { try SessionArchive.write(session: "fixture-cook", from: damaged, to: temporary.path + "/bad.mmmar") }
    }

    /// A handmade archive: the given entries after a valid header, then a trailer.
    static func craft(session: String = "s", entries: [(name: String, kind: UInt8, data: [UInt8])], count: Int? = nil) -> [UInt8] {
        var header = ByteWriter()
        header.append(ArchiveFormat.magic)
        header.u16(1)
        header.u16(0)
        header.u16(UInt16(session.utf8.count))
        header.append(Array(session.utf8))
        var output = header.bytes
        var crc = ByteWriter()
        crc.u32(CRC32C.checksum(output))
        output += crc.bytes
        for entry in entries {
            var writer = ByteWriter()
            writer.u32(ArchiveFormat.entryMagic)
            writer.u8(entry.kind)
            writer.u16(UInt16(entry.name.utf8.count))
            writer.append(Array(entry.name.utf8))
            writer.u64(UInt64(entry.data.count))
            writer.u32(CRC32C.checksum(entry.data))
            writer.u32(CRC32C.checksum(writer.bytes))
            output += writer.bytes + entry.data
        }
        var trailer = ByteWriter()
        trailer.u32(ArchiveFormat.trailerMagic)
        trailer.u32(UInt32(count ?? entries.count))
        trailer.u32(CRC32C.checksum(trailer.bytes))
        return output + trailer.bytes
    }

    /// A segment of session `s` holding one block built from a payload and a stored form.
    static func segment(storedPayload: [UInt8], decodedLength: Int, encoding: BlockEncoding) -> [UInt8] {
        var header = SegmentHeader(sessionID: "s", firstSequence: 0, createdNanoseconds: 0).encoded()
        let block = BlockHeader(encoding: encoding, storedLength: storedPayload.count, decodedLength: decodedLength, eventCount: 1,
                                firstSequence: 0, minTimestamp: 0, maxTimestamp: 0)
        header += block.frame(payload: storedPayload)
        return header
    }

    func expectRejected(_ bytes: [UInt8], _ what: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let temporary = TemporaryDirectory()
        let path = temporary.path + "/hostile.mmmar"
        Corrupter.write(path, bytes)
        let root = LogRoot(path: temporary.path + "/root")
        do {
            _ = try SessionArchive.importArchive(at: path, into: root)
            Issue.record("accepted an archive with \(what)", sourceLocation: sourceLocation)
        } catch {
            #expect("\(error)".contains(path) || "\(error)".contains("hostile.mmmar"), "\(what): \(error)", sourceLocation: sourceLocation)
        }
        // Nothing written: no session, no staging directory, nothing outside the root.
        let written = (try? FileManager.default.contentsOfDirectory(atPath: root.sessionsPath)) ?? []
        #expect(written.isEmpty, "\(what) left \(written)", sourceLocation: sourceLocation)
        #expect(try FileManager.default.contentsOfDirectory(atPath: temporary.path) == ["hostile.mmmar"] || !FileManager.default.fileExists(atPath: root.path) || written.isEmpty, sourceLocation: sourceLocation)
    }

    @Test("hostile archives are rejected with a clear error and nothing is written")
    func hostile() throws {
        let temporary = TemporaryDirectory()
        try writeSession(temporary.root, "s", EventGenerator.cookSession(iterations: 2, seed: 3))
        let good = temporary.path + "/good.mmmar"
        try SessionArchive.write(session: "s", from: temporary.root, to: good)
        let goodBytes = Corrupter.bytes(good)
        let segmentBytes = try Corrupter.bytes(#require(try temporary.root.segmentPaths(session: "s").first))
        let name = "00000000000000000000.seg"

        try expectRejected(Self.craft(entries: [("../../etc/passwd", 1, segmentBytes)]), "path traversal")
        try expectRejected(Self.craft(entries: [("/etc/00000000000000000000.seg", 1, segmentBytes)]), "an absolute path")
        try expectRejected(Self.craft(entries: [("sessions/s/" + name, 1, segmentBytes)]), "a directory in the name")
        try expectRejected(Self.craft(entries: [(name, 3, Array("/etc/passwd".utf8))]), "a symlink entry")
        try expectRejected(Self.craft(entries: [(name, 1, segmentBytes), (name, 1, segmentBytes)]), "duplicate entries")
        try expectRejected(Self.craft(entries: [(name, 1, segmentBytes)], count: 5), "a trailer that miscounts")
        // An absurd declared size: patch the length field of the first entry.
        var absurd = Self.craft(entries: [(name, 1, segmentBytes)])
        let lengthOffset = 8 + 6 + 1 + 4 + 4 + 1 + 2 + name.utf8.count
        for index in 0..<8 { absurd[lengthOffset + index] = index == 7 ? 0x10 : 0 }
        try expectRejected(absurd, "an absurd size")
        // A zstd frame that would decompress to 80 MiB, in a block that says 1 KiB.
        let compressor = ZstdCompressor(level: 1)
        let bomb = try [UInt8](repeating: 0, count: 80 << 20).withUnsafeBytes { try compressor.compress($0) }
        try expectRejected(Self.craft(entries: [(name, 1, Self.segment(storedPayload: bomb, decodedLength: 1024, encoding: .zstd))]), "a zstd bomb")
        // The same frame in a block that claims the 80 MiB: beyond the 64 MiB limit.
        try expectRejected(Self.craft(entries: [(name, 1, Self.segment(storedPayload: bomb, decodedLength: 80 << 20, encoding: .zstd))]), "an oversized block")
        // A segment of another session.
        try expectRejected(Self.craft(session: "t", entries: [(name, 1, segmentBytes)]), "a session mismatch")
        // Truncation at many points, and a flipped bit anywhere.
        for cut in stride(from: 0, to: goodBytes.count - 1, by: max(1, goodBytes.count / 60)) {
            try expectRejected(Array(goodBytes.prefix(cut)), "truncation at \(cut)")
        }
        var random = SeededRandom(seed: 4)
        for _ in 0..<60 {
            var flipped = goodBytes
            let bit = Int(random.next() % UInt64(flipped.count * 8))
            flipped[bit / 8] ^= UInt8(1 << (bit % 8))
            try expectRejected(flipped, "a bit flipped at \(bit)")
        }
        // And the untouched archive still imports.
        #expect(try SessionArchive.importArchive(at: good, into: LogRoot(path: temporary.path + "/ok")).events > 0)
    }
}
