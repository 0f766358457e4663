@_spi(Fuzzing) package import MMMMetricsCore
@_spi(Fuzzing) import MMMMetricsLogFormat

/// Entry points for the libFuzzer targets in `Tools/Fuzz` (docs/FUZZING.md); not API.
@_spi(Fuzzing) public enum LogFuzzEntryPoints {
    /// The fixed "now" of time expressions, so runs are reproducible: 2026-11-28T10:00:00Z.
    static let now = MetricTimestamp(nanosecondsSinceEpoch: 1_795_860_000_000_000_000)

    /// For the fuzzers: every line of NDJSON input through `NDJSONLines.parseLine`, as ingest reads
    /// it; the fast reader of the usual line (`NDJSONFastLine`) accepts only lines the general parser
    /// accepts, with the same session and event; an accepted line formats (as export writes it) and
    /// parses back to the same event, and the accepted events stored in one block decode to the same
    /// events.
    @_spi(Fuzzing) public static func ndjsonLines(_ bytes: UnsafeRawBufferPointer) {
        var accepted: [MetricEvent] = []
        var fast = NDJSONFastLine()
        NDJSONLines.forEachLine(bytes) { line, number in
            if NDJSONLines.isBlank(line) { return }
            let quick = fast.parse(line)
            let session: String
            let event: MetricEvent
            do throws(IngestError) {
                (session, event) = try NDJSONLines.parseLine(line, number: number, source: "fuzz", defaultSession: "fuzz")
            } catch {
                CoreFuzzEntryPoints.require(error.line == number, "error names line \(error.line), not \(number)")
                CoreFuzzEntryPoints.require(quick == nil, "the fast reader accepts a line the parser refuses (\(error.message))")
                _ = error.description
                return
            }
            if let quick {
                CoreFuzzEntryPoints.require(Array((quick.session ?? "fuzz").utf8) == Array(session.utf8), "the fast reader reads another session")
                CoreFuzzEntryPoints.requireSame([quick.event], [event], "the fast reader and the parser")
            }
            let text = NDJSONEvent.format(event, session: session)
            let again: (String, MetricEvent)
            do {
                again = try Array(text.utf8).withBytes { (raw: UnsafeRawBufferPointer) throws(IngestError) in
                    try NDJSONLines.parseLine(raw, number: 1, source: "export", defaultSession: nil)
                }
            } catch {
                fatalError("fuzz invariant: an exported line does not ingest: \(error): \(text.prefix(300))")
            }
            CoreFuzzEntryPoints.require(Array(again.0.utf8) == Array(session.utf8), "session changed on export: \(text.prefix(300))")
            CoreFuzzEntryPoints.requireSame([again.1], [event], "NDJSON export then ingest")
            accepted.append(event)
        }
        checkStorable(accepted)
    }

    /// For the fuzzers: `RFC3339.parseChecked` (and `TimeExpression.parse`) on the input as text; an
    /// accepted timestamp formats and parses back to the same instant. The first eight bytes, as an
    /// `Int64` of nanoseconds, must format to a text that parses back to them.
    @_spi(Fuzzing) public static func rfc3339(_ bytes: UnsafeRawBufferPointer) {
        let text = String(decoding: bytes, as: UTF8.self)
        if case .success(let timestamp) = RFC3339.parseChecked(text) {
            let formatted = RFC3339.format(timestamp)
            guard case .success(let again) = RFC3339.parseChecked(formatted) else {
                fatalError("fuzz invariant: \(text.debugDescription) parses, its formatted form \(formatted) does not")
            }
            CoreFuzzEntryPoints.require(again == timestamp, "\(text.debugDescription) → \(formatted) → \(again.nanosecondsSinceEpoch) ns, not \(timestamp.nanosecondsSinceEpoch)")
        }
        for anchor in [now, MetricTimestamp(nanosecondsSinceEpoch: .min), MetricTimestamp(nanosecondsSinceEpoch: .max)] {
            _ = TimeExpression.parse(text, now: anchor)
        }
        if bytes.count >= 8 {
            let nanoseconds = Int64(littleEndian: bytes.loadUnaligned(as: Int64.self))
            let formatted = RFC3339.format(MetricTimestamp(nanosecondsSinceEpoch: nanoseconds))
            switch RFC3339.parseChecked(formatted) {
            case .success(let parsed):
                CoreFuzzEntryPoints.require(parsed.nanosecondsSinceEpoch == nanoseconds, "\(nanoseconds) ns → \(formatted) → \(parsed.nanosecondsSinceEpoch) ns")
            case .failure(let failure):
                fatalError("fuzz invariant: \(nanoseconds) ns formats as \(formatted), which does not parse (\(failure))")
            }
        }
    }

    /// For the fuzzers: one stored segment with an optional index, read as readers read it. The
    /// input is a u16 segment length (little-endian), the segment, then the index bytes (none: no
    /// index). Each is also tried with its CRCs recomputed.
    @_spi(Fuzzing) public static func storedSegment(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count >= 2 else { return }
        let length = min(Int(bytes[0]) | Int(bytes[1]) << 8, bytes.count - 2)
        let segment = Array(bytes[2..<(2 + length)])
        let index: [UInt8]? = bytes.count > 2 + length ? Array(bytes[(2 + length)...]) : nil
        readSegment(segment, index: index)
        var repairedSegment = segment
        FormatFuzzEntryPoints.repairSegment(&repairedSegment)
        var repairedIndex = index
        if var bytes = repairedIndex {
            FormatFuzzEntryPoints.repairIndex(&bytes)
            repairedIndex = bytes
        }
        if repairedSegment != segment || repairedIndex != index { readSegment(repairedSegment, index: repairedIndex) }
    }

    /// For the fuzzers: the input as an archive file: opened in place (`ArchiveSource`) and read,
    /// then imported into an empty log root; an import that succeeds reads back strictly, with the
    /// events the archive holds. Also tried with every CRC recomputed. Files go under
    /// `$MMM_FUZZ_TMPDIR` (default `/dev/shm`, else `/tmp`) and are removed after each run.
    @_spi(Fuzzing) public static func archive(_ bytes: UnsafeRawBufferPointer) {
        let original = Array(bytes)
        importArchive(original)
        let repaired = repairedArchive(original)
        if repaired != original { importArchive(repaired) }
    }

    // MARK: - Shared checks

    /// Events accepted at the door (NDJSON, legacy import) stored in one block decode to the same
    /// events, as the writer would store them.
    package static func checkStorable(_ events: [MetricEvent]) {
        guard !events.isEmpty else { return }
        for event in events {
            CoreFuzzEntryPoints.require(event.timestamp != nil, "an accepted event has no timestamp")
            CoreFuzzEntryPoints.require(EventLimits.violation(event) == nil, "an accepted event breaks a limit: \(EventLimits.violation(event)!)")
        }
        var remaining = events[...]
        while !remaining.isEmpty {
            let encoded = BlockPayload.encodeBlock(remaining)
            CoreFuzzEntryPoints.require(encoded.count > 0, "the encoder took no event")
            let taken = Array(remaining.prefix(encoded.count))
            remaining = remaining.dropFirst(encoded.count)
            let decoded: DecodedBlock
            do {
                decoded = try encoded.bytes.withBytes { (raw: UnsafeRawBufferPointer) throws(DecodeFailure) in try BlockPayload.decode(raw, firstSequence: 0) }
            } catch {
                fatalError("fuzz invariant: a block of accepted events does not decode: \(error)")
            }
            CoreFuzzEntryPoints.require((try? decoded.allCustomData()) != nil, "custom data of accepted events does not parse back")
            CoreFuzzEntryPoints.requireSame(decoded.events, taken, "accepted events stored in a block")
        }
    }

    /// Reads a segment (with its index) through every reader path: open, full scan, replay.
    static func readSegment(_ segment: [UInt8], index: [UInt8]?) {
        // Name the segment by its header's first sequence, so the name check passes and the content is tested.
        var first: UInt64 = 0
        if segment.count >= 24 { first = (0..<8).reduce(UInt64(0)) { $0 | UInt64(segment[16 + $1]) << (8 * UInt64($1)) } }
        let digits = String(first)
        let name = "fuzz/" + String(repeating: "0", count: 20 - digits.count) + digits + ".seg"
        let handle = SegmentHandle(name: name, bytes: { () throws(LogError) -> [UInt8] in segment }, index: { index })
        for fullScan in [false, true] {
            guard let opened = try? StoredSegment.open(handle, fullScan: fullScan), case .loaded(let stored) = opened else { continue }
            _ = stored.nextSequence
            CoreFuzzEntryPoints.require(stored.blockNames.count == stored.blocks.count, "\(stored.blockNames.count) name sets for \(stored.blocks.count) blocks")
            _ = stored.indexState.description
        }
        let reader = LogReader(source: MemorySource(session: "fuzz", handles: [handle]))
        for mode in [ReadMode.lenient, .strict] {
            _ = try? reader.events(session: "fuzz", mode: mode)
        }
        _ = try? reader.events(session: "fuzz", filter: ReadFilter(timeRange: TimeRange(start: now, end: nil), names: ["a*"]))
    }

    /// A log source holding one session's segments in memory.
    package struct MemorySource: LogSource {
        let session: String
        let handles: [SegmentHandle]
        package var location: String { "memory" }
        package func sessionIDs() throws(LogError) -> [String] { [session] }
        package func segments(session: String) throws(LogError) -> [SegmentHandle] { session == self.session ? handles : [] }
    }

    /// `events` written as session `session` in a scratch directory, read back into memory, the
    /// directory removed: a log the fuzzers query without leaving files behind.
    package static func memoryLog(session: String, _ events: [MetricEvent]) -> MemorySource? {
        let base = FileSystem.environment("MMM_FUZZ_TMPDIR") ?? (FileSystem.isDirectory("/dev/shm") ? "/dev/shm" : "/tmp")
        let directory = base + "/mmm-fuzz-log-\(FileSystem.processID)"
        defer { removeTree(directory) }
        let root = LogRoot(path: directory)
        guard let writer = try? SessionLogWriter(root: root, session: session) else { return nil }
        guard (try? writer.append(contentsOf: events)) != nil, (try? writer.close()) != nil,
            let stored = try? root.segments(session: session)
        else { return nil }
        var handles: [SegmentHandle] = []
        for handle in stored {
            guard let bytes = try? handle.bytes() else { return nil }
            handles.append(SegmentHandle(name: handle.name, bytes: { bytes }, index: { nil }))
        }
        return MemorySource(session: session, handles: handles)
    }

    /// The directory the archive target works in (one per process).
    static let workDirectory: String = {
        let base = FileSystem.environment("MMM_FUZZ_TMPDIR") ?? (FileSystem.isDirectory("/dev/shm") ? "/dev/shm" : "/tmp")
        return base + "/mmm-fuzz-archive-\(FileSystem.processID)"
    }()

    /// Writes `bytes` as an archive file, reads it in place, imports it, reads the import back; cleans up.
    static func importArchive(_ bytes: [UInt8]) {
        let directory = workDirectory
        removeTree(directory)
        defer { removeTree(directory) }
        let path = directory + "/input.mmmar"
        let root = LogRoot(path: directory + "/root")
        do {
            try FileSystem.makeDirectories(directory)
            try FileSystem.writeAtomically(path, bytes, sync: false)
        } catch {
            fatalError("fuzz harness: cannot write \(path): \(error)")
        }
        var inPlace: [(sequence: UInt64, event: MetricEvent)]?
        if let source = try? ArchiveSource(path: path) {
            let reader = LogReader(source: source)
            _ = try? reader.events(session: source.session, mode: .lenient)
            inPlace = try? reader.events(session: source.session, mode: .strict)
        }
        let result: SessionArchive.ImportResult
        do { result = try SessionArchive.importArchive(at: path, into: root) } catch {
            _ = error.description
            // Untrusted input: on any problem nothing is written.
            let sessions = (try? FileSystem.listDirectory(root.sessionsPath)) ?? []
            CoreFuzzEntryPoints.require(sessions.isEmpty, "a refused import left \(sessions) behind")
            return
        }
        let imported: [(sequence: UInt64, event: MetricEvent)]
        do { imported = try LogReader(root: root).events(session: result.session, mode: .strict) } catch {
            fatalError("fuzz invariant: an imported session does not read back strictly: \(error)")
        }
        CoreFuzzEntryPoints.require(imported.count == result.events, "import says \(result.events) events, reading gives \(imported.count)")
        guard let inPlace else { fatalError("fuzz invariant: an archive imports but does not read strictly in place") }
        CoreFuzzEntryPoints.require(inPlace.map(\.sequence) == imported.map(\.sequence), "sequence numbers differ between the archive and its import")
        CoreFuzzEntryPoints.requireSame(imported.map(\.event), inPlace.map(\.event), "archive read in place vs imported")
    }

    /// Removes a directory tree (files and directories only; the fuzz work directory holds nothing else).
    static func removeTree(_ path: String) {
        switch FileSystem.kind(of: path) {
        case .missing: return
        case .file: FileSystem.remove(path)
        case .directory:
            for name in (try? FileSystem.listDirectory(path)) ?? [] { removeTree(path + "/" + name) }
            FileSystem.removeDirectory(path)
        }
    }

    /// An archive with its header, entry header, entry data and trailer CRCs recomputed, and the
    /// CRCs inside its segment and index entries too, wherever the structure can be followed.
    package static func repairedArchive(_ input: [UInt8]) -> [UInt8] {
        var bytes = input
        func u16(_ offset: Int) -> Int { Int(bytes[offset]) | Int(bytes[offset + 1]) << 8 }
        func u32(_ offset: Int) -> UInt32 { (0..<4).reduce(UInt32(0)) { $0 | UInt32(bytes[offset + $1]) << (8 * UInt32($1)) } }
        func u64(_ offset: Int) -> UInt64 { (0..<8).reduce(UInt64(0)) { $0 | UInt64(bytes[offset + $1]) << (8 * UInt64($1)) } }
        func put(_ value: UInt32, at offset: Int) {
            for shift in 0..<4 { bytes[offset + shift] = UInt8(truncatingIfNeeded: value >> (8 * UInt32(shift))) }
        }
        guard bytes.count >= 14, bytes[0..<8].elementsEqual(ArchiveFormat.magic) else { return bytes }
        let idLength = u16(12)
        guard 18 + idLength <= bytes.count else { return bytes }
        put(CRC32C.checksum(Array(bytes[0..<(14 + idLength)])), at: 14 + idLength)
        var offset = 18 + idLength
        while offset + 4 <= bytes.count {
            let magic = u32(offset)
            if magic == ArchiveFormat.trailerMagic, offset + ArchiveFormat.trailerSize <= bytes.count {
                put(CRC32C.checksum(Array(bytes[offset..<(offset + 8)])), at: offset + 8)
                break
            }
            guard magic == ArchiveFormat.entryMagic, offset + 7 <= bytes.count else { break }
            let nameLength = u16(offset + 5)
            let headerSize = ArchiveFormat.entryHeaderSize + nameLength
            guard offset + headerSize <= bytes.count else { break }
            let length = u64(offset + 7 + nameLength)
            let start = offset + headerSize
            guard length <= UInt64(bytes.count - start) else { break }
            let end = start + Int(length)
            var data = Array(bytes[start..<end])
            if bytes[offset + 4] == ArchiveFormat.Kind.segment.rawValue {
                FormatFuzzEntryPoints.repairSegment(&data)
            } else {
                FormatFuzzEntryPoints.repairIndex(&data)
            }
            bytes.replaceSubrange(start..<end, with: data)
            put(CRC32C.checksum(data), at: offset + 7 + nameLength + 8)
            put(CRC32C.checksum(Array(bytes[offset..<(offset + headerSize - 4)])), at: offset + headerSize - 4)
            offset = end
        }
        return bytes
    }
}
