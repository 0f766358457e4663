import MMMMetricsCore
import MMMMetricsLogFormat
import MMMMetricsTestSupport
import Testing

@Suite("Log format: CRC32C, byte coding, block payloads")
struct BlockCodecTests {
    @Test("CRC32C matches the standard check value and is incremental")
    func crc() {
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
        #expect(CRC32C.checksum([UInt8]()) == 0)
        let data = (0..<1000).map { UInt8(truncatingIfNeeded: $0 * 7) }
        let whole = CRC32C.checksum(data)
        let split = CRC32C.checksum(Array(data[300...]), continuing: CRC32C.checksum(Array(data[..<300])))
        #expect(whole == split)
        // 32 zero bytes: a published CRC-32C test vector (RFC 3720, B.4).
        #expect(CRC32C.checksum([UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)
        #expect(CRC32C.checksum([UInt8](repeating: 0xFF, count: 32)) == 0x62A8_AB43)
    }

    @Test("the CPU's CRC instruction and the tables agree at every length, alignment and starting value")
    func crcHardwareAgreesWithTables() {
        // This machine (x86-64 with SSE4.2) has the instruction; without it both paths are the tables.
        #if arch(x86_64)
        #expect(CRC32C.usesHardware)
        #endif
        var generator = SplitMix64(seed: 42)
        let data = (0..<4_200).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
        data.withUnsafeBytes { raw in
            for start in 0..<9 {
                for length in Array(0..<70) + [255, 256, 1_000, 4_096, 4_191 - start] {
                    let slice = UnsafeRawBufferPointer(rebasing: raw[start..<(start + length)])
                    let seed = UInt32(truncatingIfNeeded: generator.next())
                    #expect(CRC32C.checksum(slice) == CRC32C.softwareChecksum(slice), "start \(start), length \(length)")
                    #expect(CRC32C.checksum(slice, continuing: seed) == CRC32C.softwareChecksum(slice, continuing: seed))
                }
            }
        }
    }

    @Test("block payloads round-trip random events of every kind bit for bit", arguments: [1, 2, 3, 4, 5, 6, 7, 8] as [UInt64])
    func payloadRoundTrip(seed: UInt64) throws {
        let events = EventGenerator.events(count: 1 + Int(seed * 97 % 700), seed: seed)
        let payload = BlockPayload.encode(events)
        let decoded = try payload.withUnsafeBytes { try BlockPayload.decode($0, firstSequence: 10) }
        #expect(decoded.count == events.count)
        #expect(decoded.firstSequence == 10)
        #expect(sameEvents(decoded.events, events))
        #expect(decoded.timeRange == decoded.timestamps.min().flatMap { low in decoded.timestamps.max().map { low...$0 } })
        for index in 0..<decoded.count {
            #expect(decoded.numericValue(at: index).map { $0.isNaN ? 0 : $0 } == events[index].value.numericValue.map { $0.isNaN ? 0 : $0 }
                    || decoded.numericValue(at: index)?.isNaN == events[index].value.numericValue?.isNaN)
        }
    }

    @Test("a block decoded in part has the same metric and tag columns as decoded whole, and zeros or null for what was not asked for",
          arguments: [[], .timestamps, .values, .customData, .strings, [.values, .customData], .all] as [DecodedParts])
    func partialDecode(parts: DecodedParts) throws {
        let events = EventGenerator.events(count: 900, seed: 21)
        #expect(events.contains { if case .custom = $0.value { true } else { false } })
        let payload = BlockPayload.encode(events)
        let whole = try payload.withUnsafeBytes { try BlockPayload.decode($0, firstSequence: 3) }
        let part = try payload.withUnsafeBytes { try BlockPayload.decode($0, firstSequence: 3, parts: parts) }
        #expect(part.parts == parts && part.count == whole.count && part.firstSequence == 3)
        #expect(part.metrics == whole.metrics && part.metricOfEvent == whole.metricOfEvent && part.kinds == whole.kinds)
        #expect(part.tagKeys == whole.tagKeys && part.tagColumns == whole.tagColumns)
        #expect(part.strings == (parts.contains(.strings) ? whole.strings : []) && part.stringCount == whole.strings.count)
        #expect((0..<part.stringCount).allSatisfy { part.string(at: $0).utf8.elementsEqual(whole.strings[$0].utf8) })
        #expect((0..<part.count).allSatisfy { part.tags(at: $0) == whole.tags(at: $0) })
        #expect(part.packedStrings == whole.packedStrings && part.packedStringEnds == whole.packedStringEnds)
        if parts.contains(.timestamps) {
            #expect(part.timestamps == whole.timestamps && part.timeRange == whole.timeRange)
        } else {
            #expect(part.timestamps.allSatisfy { $0 == 0 } && part.timestamps.count == whole.count && part.timeRange == nil)
        }
        if parts.contains(.values) {
            #expect(part.rawValues == whole.rawValues)
        } else {
            #expect(part.rawValues.allSatisfy { $0 == 0 } && part.rawValues.count == whole.count)
        }
        if parts.contains(.customData) {
            #expect(part.customText == whole.customText && part.customBounds == whole.customBounds)
        } else {
            #expect(part.customText.isEmpty && part.customBounds == [0] && part.customData(0) == .null)
        }
        // Tag columns of the keys asked for (as Swift strings compare); the others read as absent.
        if let wanted = whole.tagKeys.first {
            let some = try payload.withUnsafeBytes { try BlockPayload.decode($0, firstSequence: 3, parts: parts, tagKeys: [wanted, "no such key"]) }
            #expect(some.tagKeys == whole.tagKeys)
            for (position, key) in whole.tagKeys.enumerated() {
                if key == wanted {
                    #expect(some.tagColumns[position] == whole.tagColumns[position])
                } else {
                    #expect(some.tagColumns[position] == [UInt32](repeating: 0, count: whole.count), "\(key)")
                }
            }
        }
        // A payload whose columns do not fit together fails whatever is asked for.
        let cut = Array(payload.dropLast())
        #expect(throws: DecodeFailure.self) { try cut.withUnsafeBytes { try BlockPayload.decode($0, firstSequence: 3, parts: parts) } }
    }

    /// Events whose payload is large enough to be stored in sections.
    static func sectionedEvents() -> (events: [MetricEvent], encoded: BlockPayload.Encoded) {
        let events = EventGenerator.events(count: 6_000, seed: 33)
        return (events, BlockPayload.encodeBlock(events[...]))
    }

    @Test("a payload stored in sections decodes, whole and in part, as the payload itself does; only what was asked for is read",
          arguments: [[], .timestamps, .values, .customData, .strings, [.values, .timestamps], .all] as [DecodedParts])
    func sectionedPayload(parts: DecodedParts) throws {
        let (events, encoded) = Self.sectionedEvents()
        #expect(encoded.bytes.count >= PayloadSections.minimumPayloadBytes)
        let stored = try StoredPayload.make(encoded, compressor: ZstdCompressor(level: 3))
        #expect(stored.encoding == .sections)
        let payload = encoded.bytes
        let whole = try payload.withUnsafeBytes { try BlockPayload.decode($0, firstSequence: 7) }
        #expect(sameEvents(whole.events, events))
        let keys = whole.tagKeys
        #expect(encoded.sectionEnds.count == keys.count + 6 && encoded.sectionEnds.last == payload.count)
        // Every key set: none, one, all; and value metrics: all, one metric of each kind, none that exist.
        let metricOfKind = { (kind: StoredKind) in whole.metrics.first { $0.kind == kind }!.name }
        for tagKeys in [nil, [], [keys[0]], Set(keys)] as [Set<String>?] {
            for valueMetrics in [nil, [metricOfKind(.counter)], [metricOfKind(.gauge)], [metricOfKind(.timer)], ["no such metric"]] as [Set<String>?] {
                let part = try stored.bytes.withUnsafeBytes {
                    try BlockDecoding.decodeStored($0, encoding: .sections, decodedLength: payload.count, firstSequence: 7, parts: parts,
                                                   tagKeys: tagKeys, valueMetrics: valueMetrics)
                }
                let plain = try payload.withUnsafeBytes { try BlockPayload.decode($0, firstSequence: 7, parts: parts, tagKeys: tagKeys) }
                let context = "tag keys \(String(describing: tagKeys)), value metrics \(String(describing: valueMetrics))"
                #expect(part.count == plain.count && part.parts == plain.parts && part.metrics == plain.metrics, "\(context)")
                #expect(part.metricOfEvent == plain.metricOfEvent && part.tagKeys == plain.tagKeys && part.tagColumns == plain.tagColumns, "\(context)")
                #expect(part.strings == plain.strings && part.packedStrings == plain.packedStrings, "\(context)")
                #expect(part.timestamps == plain.timestamps && part.timeRange == plain.timeRange, "\(context)")
                #expect(part.customText == plain.customText && part.customBounds == plain.customBounds, "\(context)")
                // Values: all of them, or those of the named metrics' kinds (the rest read as 0); timers'
                // also when timestamps are read, which need their durations.
                let kinds = valueMetrics.map { names in
                    Set(whole.metrics.filter { names.contains($0.name) }.map(\.kind)).union(parts.contains(.timestamps) ? [.timer] : [])
                }
                for event in 0..<part.count {
                    let kind = whole.kinds[Int(whole.metricOfEvent[event])]
                    let expected = !parts.contains(.values) ? 0 : kinds.map { $0.contains(kind) || kind == .custom } ?? true ? whole.rawValues[event] : 0
                    #expect(part.rawValues[event] == expected, "event \(event) (\(kind)), \(context)")
                }
            }
        }
        // Loaded whole (as export and verify read), the sections are the payload byte for byte.
        let sections = try stored.bytes.withUnsafeBytes { try PayloadSections($0, decodedLength: payload.count) }
        var rebuilt = [UInt8](repeating: 0, count: payload.count)
        try stored.bytes.withUnsafeBytes { raw in
            let sections = try PayloadSections(raw, decodedLength: payload.count)
            try rebuilt.withUnsafeMutableBytes { try sections.loadAll(into: $0) }
        }
        #expect(rebuilt == payload && sections.sections.map(\.decoded.upperBound) == encoded.sectionEnds)
        // A small payload stays one frame.
        let small = BlockPayload.encodeBlock(events[..<20])
        #expect(try StoredPayload.make(small, compressor: ZstdCompressor(level: 3)).encoding != .sections)
    }

    @Test("a block of hundreds of tag keys, whose sections would cost more than one frame, is stored as one frame (a block of realistic events keeps sections: above)")
    func sectionsOnlyWhereTheyPay() throws {
        let keys = 400
        let stamp = 1_800_000_000_000_000_000 as Int64
        let events = (0..<8_000).map { index in
            MetricEvent(name: "m\(index % 5)", value: .gauge(Double(index % 13)), tags: Tags([("k\(index % keys)", "v\(index % 7)")]),
                        timestamp: MetricTimestamp(nanosecondsSinceEpoch: stamp + Int64(index) * 1_000))
        }
        let encoded = BlockPayload.encodeBlock(events[...])
        #expect(encoded.bytes.count >= PayloadSections.minimumPayloadBytes && encoded.sectionEnds.count == keys + 6)
        let compressor = ZstdCompressor(level: 6)
        let stored = try StoredPayload.make(encoded, compressor: compressor)
        let frame = try encoded.bytes.withUnsafeBytes { try compressor.compress($0) }
        let sections = try StoredPayload.inSections(encoded.bytes, ends: encoded.sectionEnds, compressor: compressor)
        #expect(stored.encoding == .zstd && sections.count > frame.count * 2, "sections \(sections.count), one frame \(frame.count)")
        #expect(stored.bytes.count <= frame.count + frame.count / 100)
        let decoded = try stored.bytes.withUnsafeBytes {
            try BlockDecoding.decodeStored($0, encoding: stored.encoding, decodedLength: encoded.bytes.count, firstSequence: 0)
        }
        #expect(sameEvents(decoded.events, events))
    }

    @Test("a damaged section directory, sections cut in the wrong places, or damaged sections are errors whatever is asked for, never a crash")
    func sectionedPayloadDamage() throws {
        let (_, encoded) = Self.sectionedEvents()
        let payload = encoded.bytes
        let compressor = ZstdCompressor(level: 3)
        let ends = encoded.sectionEnds
        let requests: [(DecodedParts, Set<String>?)] = [(.all, nil), ([], []), (.values, nil), (.timestamps, []), (.customData, [])]
        func failure(_ stored: [UInt8], decodedLength: Int? = nil) -> [String] {
            requests.map { parts, keys in
                do {
                    _ = try stored.withUnsafeBytes {
                        try BlockDecoding.decodeStored($0, encoding: .sections, decodedLength: decodedLength ?? payload.count, firstSequence: 0,
                                                       parts: parts, tagKeys: keys)
                    }
                    return ""
                } catch {
                    return (error as? DecodeFailure)?.reason ?? "\(error)"
                }
            }
        }
        func expectFailure(_ stored: [UInt8], _ words: String, decodedLength: Int? = nil, sourceLocation: SourceLocation = #_sourceLocation) {
            for reason in failure(stored, decodedLength: decodedLength) {
                #expect(!reason.isEmpty && reason.contains(words), "\(words): \(reason)", sourceLocation: sourceLocation)
            }
        }
        // Cut in other places than the parts meet: too few sections, a boundary moved by a byte.
        expectFailure(try StoredPayload.inSections(payload, ends: [payload.count], compressor: compressor), "section 0 holds")
        var merged = ends
        merged.remove(at: merged.count - 2)
        expectFailure(try StoredPayload.inSections(payload, ends: merged, compressor: compressor), "sections for")
        var early = ends
        early[0] -= 1
        expectFailure(try StoredPayload.inSections(payload, ends: early, compressor: compressor), "needs")
        var late = ends
        late[0] += 1
        expectFailure(try StoredPayload.inSections(payload, ends: late, compressor: compressor), "after its columns")
        // Directory damage: no sections, an unknown encoding, lengths that disagree with the block.
        let good = try StoredPayload.inSections(payload, ends: ends, compressor: compressor)
        expectFailure([0] + good.dropFirst(), "no sections")
        var unknown = good
        unknown[1] = 7
        expectFailure(unknown, "unknown section encoding 7")
        expectFailure(good, "the block header says", decodedLength: payload.count + 1)
        expectFailure(good + [0], "the block holds")
        expectFailure(Array(good.dropLast()), "")
        // A raw section whose stored and decoded lengths differ.
        var rawMismatch = ByteWriter()
        rawMismatch.varint(1)
        rawMismatch.u8(0)
        rawMismatch.varint(UInt64(payload.count))
        rawMismatch.varint(UInt64(payload.count - 1))
        expectFailure(rawMismatch.bytes + payload.dropLast(), "raw section stores")
        // Random damage anywhere: an error or (a flip in unread bytes) an answer, never a crash.
        var random = SeededRandom(seed: 5)
        for _ in 0..<300 {
            var damaged = good
            damaged[Int(random.next() % UInt64(damaged.count))] ^= UInt8(truncatingIfNeeded: random.next() | 1)
            _ = failure(damaged)
        }
    }

    @Test("tag keys asked for are matched as Swift strings: both stored spellings of a key are decoded, others read as absent")
    func partialDecodeBySpelling() throws {
        let stamp = MetricTimestamp(nanosecondsSinceEpoch: 1_800_000_000_000_000_000)
        let events = [
            MetricEvent(name: "m", value: .counter(1), tags: Tags([("k\u{E9}", "a"), ("x", "1")]), timestamp: stamp),
            MetricEvent(name: "m", value: .counter(2), tags: Tags([("ke\u{301}", "b"), ("\u{212A}", "kelvin")]), timestamp: stamp),
            MetricEvent(name: "m", value: .counter(3), tags: Tags([("K", "latin")]), timestamp: stamp),
        ]
        let payload = BlockPayload.encode(events)
        let whole = try payload.withUnsafeBytes { try BlockPayload.decode($0, firstSequence: 0) }
        #expect(whole.tagKeys.count == 5)
        for (asked, decodedKeys) in [("k\u{E9}", ["k\u{E9}", "ke\u{301}"]), ("K", ["K", "\u{212A}"]), ("x", ["x"])] as [(String, [String])] {
            let part = try payload.withUnsafeBytes { try BlockPayload.decode($0, firstSequence: 0, parts: [], tagKeys: [asked]) }
            for (position, key) in whole.tagKeys.enumerated() {
                let wanted = decodedKeys.contains { Array($0.utf8) == Array(key.utf8) }
                #expect(part.tagColumns[position] == (wanted ? whole.tagColumns[position] : [0, 0, 0]), "asked \(asked), key \(key.unicodeScalars.map(\.value))")
            }
        }
    }

    @Test("a packed column unpacks to the values its subscript reads, at every width and length")
    func planeColumnUnpack() throws {
        var generator = SplitMix64(seed: 7)
        for width in 0...8 {
            for count in [0, 1, 2, 3, 15, 16, 17, 1_000] {
                let mask: UInt64 = width == 8 ? .max : (1 << UInt64(8 * width)) - 1
                var values = (0..<count).map { _ in generator.next() & mask }
                // The widest value sets the column's width: make one value use the top byte.
                if count > 0, width > 0 { values[count / 2] |= 1 << UInt64(8 * width - 1) }
                var writer = ByteWriter()
                PlaneColumn.pack(values, into: &writer)
                try writer.bytes.withUnsafeBytes { raw in
                    var reader = ByteReader(raw)
                    let column = try PlaneColumn.read(count: count, from: &reader)
                    #expect(column.width == (count == 0 ? 0 : width))
                    var unpacked = [UInt64](repeating: 0xDEAD, count: count)
                    if count > 0 { unpacked.withUnsafeMutableBufferPointer { column.unpack(into: $0.baseAddress!) } }
                    #expect(unpacked == values, "width \(width), count \(count)")
                    #expect((0..<count).map { column[$0] } == values)
                    var narrow = [UInt32](repeating: 0xDEAD, count: count)
                    let highest = count == 0 ? 0 : narrow.withUnsafeMutableBufferPointer { column.unpack32(into: $0.baseAddress!) }
                    if width <= 4 || count == 0 {
                        #expect(narrow == values.map { UInt32($0) }, "32 bits, width \(width), count \(count)")
                        #expect(highest == UInt32(values.max() ?? 0))
                    } else {
                        #expect(highest == nil)
                    }
                }
            }
        }
    }

    @Test("text is stored by its bytes: two spellings of one canonical string stay two; keys not in normal form come back as tags")
    func canonicalSpellings() throws {
        let composed = "\u{E9}", decomposed = "e\u{301}"
        let events: [MetricEvent] = [
            .counter(name: composed, value: 1, tags: [decomposed: composed, "z": "1"], timestamp: MetricTimestamp(nanosecondsSinceEpoch: 1)),
            .counter(name: decomposed, value: 2, tags: [composed: decomposed, "f": "2"], timestamp: MetricTimestamp(nanosecondsSinceEpoch: 2)),
        ]
        let payload = BlockPayload.encode(events)
        let decoded = try payload.withUnsafeBytes { try BlockPayload.decode($0, firstSequence: 0) }
        func bytes(_ event: MetricEvent) -> [[UInt8]] { [Array(event.name.utf8)] + event.tags.flatMap { [Array($0.key.utf8), Array($0.value.utf8)] } }
        #expect(decoded.events.map(bytes) == events.map(bytes))
        #expect(decoded.tagKeys.map { Array($0.utf8) } == [decomposed, "f", "z", composed].map { Array($0.utf8) })  // byte order

        // An event holding both spellings of one key cannot be made through Tags; make one by patching
        // "a\u{301}" (61 CC 81) into "e\u{301}" (65 CC 81) in a payload whose event has it beside "é".
        let twoKeys = BlockPayload.encode([.counter(name: "m", value: 1, tags: ["a\u{301}": "x", composed: "y"])])
        _ = try twoKeys.withUnsafeBytes { try BlockPayload.decode($0, firstSequence: 0) }
        var patched = twoKeys
        let at = try #require((0..<patched.count - 2).first { patched[$0] == 0x61 && patched[$0 + 1] == 0xCC && patched[$0 + 2] == 0x81 })
        patched[at] = 0x65
        #expect {
            try patched.withUnsafeBytes { try BlockPayload.decode($0, firstSequence: 0) }
        } throws: { error in
            "\(error)".contains("two spellings of tag key")
        }
    }

    @Test("a large string table is written in byte order and the events still round-trip; a small one keeps the order of first use")
    func stringTableOrder() throws {
        // 3,000 events naming 1,000 paths (more table bytes than events), some without the tag, one
        // with a second key, so references are renumbered across gaps and columns.
        var random = SeededRandom(seed: 7)
        let events: [MetricEvent] = (0..<3_000).map { index in
            let path = "src/m\(random.next() % 97)/file_\(random.next() % 1_000).swift"
            let tags: Tags = index % 7 == 0 ? [:] : index % 5 == 0 ? ["path": path, "pass": "\(index % 3)"] : ["path": path]
            return .counter(name: index % 2 == 0 ? "b.bytes" : "a.count", value: Int64(index) - 1_500, tags: tags,
                            timestamp: MetricTimestamp(nanosecondsSinceEpoch: 1_000 + Int64(index)))
        }
        let decoded = try BlockPayload.encode(events).withUnsafeBytes { try BlockPayload.decode($0, firstSequence: 0) }
        #expect(sameEvents(decoded.events, events))
        let table = decoded.strings.map { Array($0.utf8) }
        #expect(table.count > 500)
        #expect(zip(table, table.dropFirst()).allSatisfy { $0.lexicographicallyPrecedes($1) })

        // 100 events, 31 bytes of strings: tag values first, as met, then names and keys.
        let few: [MetricEvent] = (0..<100).map { index in
            let name = ["zeta", "alpha", "mid"][index % 3]
            return .counter(name: name, value: 1, tags: ["k": "v-" + name], timestamp: MetricTimestamp(nanosecondsSinceEpoch: Int64(index)))
        }
        let small = try BlockPayload.encode(few).withUnsafeBytes { try BlockPayload.decode($0, firstSequence: 0) }
        #expect(sameEvents(small.events, few))
        #expect(small.strings == ["v-zeta", "v-alpha", "v-mid", "zeta", "alpha", "mid", "k"])
    }

    @Test("the block's string table numbers texts by their bytes in order of first appearance, as a dictionary would")
    func textInternTable() {
        var table = TextInternTable()
        var reference = InternTable<ExactText>()
        var random = SeededRandom(seed: 5)
        // Every length from 0 to 40 (the tail of a hash step), two spellings of "é", many repeats and growth past 100,000.
        var texts = (0...40).map { String(repeating: "a", count: $0) } + ["\u{E9}", "e\u{301}", "", "a"]
        texts += (0..<150_000).map { _ in "src/m\(random.next() % 97)/file_\(random.next() % 60_000).swift" }
        for text in texts {
            #expect(table.intern(ExactText(text)) == reference.intern(ExactText(text)))
        }
        #expect(table.count == reference.count)
        #expect(table.keys.map { Array($0.string.utf8) } == reference.keys.map { Array($0.string.utf8) })
        #expect(table.index(of: ExactText("e\u{301}")) == reference.index(of: ExactText("e\u{301}")))
        #expect(table.index(of: ExactText("e\u{301}")) != table.index(of: ExactText("\u{E9}")))
        #expect(table.index(of: ExactText("not there")) == nil)
    }

    @Test("a decoded block's packed strings are its strings packed as group values")
    func packedStrings() throws {
        let values = ["src/a.swift", "\u{E9}", "e\u{301}", "", String(repeating: "p", count: 127), String(repeating: "q", count: 300)]
        let events = values.enumerated().map { index, value in
            MetricEvent.counter(name: "c", value: Int64(index), tags: ["path": value, "pass": "\(index % 2)"],
                                timestamp: MetricTimestamp(nanosecondsSinceEpoch: Int64(index)))
        }
        let payload = BlockPayload.encode(events)
        let block = try payload.withUnsafeBytes { try BlockPayload.decode($0, firstSequence: 0) }
        #expect(block.packedStringEnds.count == block.strings.count)
        var start = 0
        for (index, string) in block.strings.enumerated() {
            var expected: [UInt8] = []
            GroupKeyTable.pack([string], into: &expected)
            #expect(Array(block.packedStrings[start..<block.packedStringEnds[index]]) == expected)
            start = block.packedStringEnds[index]
        }
        #expect(start == block.packedStrings.count)
    }

    @Test("a front-coded string table (payload version 2) refuses a prefix longer than the string before, strings past 64 MiB and invalid UTF-8 made of two parts")
    func frontCodedTableDamage() {
        /// A version 2 payload of one event whose string table is `entries` (shared, rest), cut after the table.
        func failure(_ entries: [(Int, [UInt8])]) -> String? {
            var writer = ByteWriter()
            writer.u8(2)
            writer.u8(BlockPayload.frontCodedStrings)
            writer.varint(1)
            writer.varint(UInt64(entries.count))
            for (shared, rest) in entries {
                writer.varint(UInt64(shared))
                writer.varint(UInt64(rest.count))
                writer.append(rest)
            }
            do {
                _ = try writer.bytes.withUnsafeBytes { try BlockPayload.decode($0, firstSequence: 0) }
                return nil
            } catch {
                return "\(error)"
            }
        }
        #expect(failure([(0, Array("ab".utf8)), (3, [])])?.contains("shares 3 bytes with a string of 2") == true)
        #expect(failure([(0, [0xC3, 0xA9]), (1, Array("x".utf8))])?.contains("not valid UTF-8") == true)
        // 70,000 strings of 1,000 bytes each, from 3 bytes apiece: 70 MB asked for by a 210 kB table.
        let long = [(0, [UInt8](repeating: 0x61, count: 1_000))] + [(Int, [UInt8])](repeating: (1_000, []), count: 70_000)
        #expect(failure(long)?.contains("strings exceed") == true)
        // More strings than a block may hold, however short: refused before any is read.
        #expect(failure([(Int, [UInt8])](repeating: (0, []), count: BlockPayload.maximumStrings + 1))?.contains("more than a block may hold") == true)
        // Within the bounds, the table decodes and the payload fails further on (it has no metrics).
        #expect(failure([(0, Array("src/a".utf8)), (4, Array("b".utf8))]).map { !$0.contains("string") } == true)
    }

    @Test("a block whose table goes out in byte order stores plain references (payload version 2's flag), and decodes to its events")
    func plainReferences() throws {
        var random = SeededRandom(seed: 21)
        let events = (0..<3_000).map { index in
            MetricEvent.gauge(name: "analysis.file_score", value: Double(index % 97),
                              tags: ["path": "src/m\(random.next() % 40)/file_\(random.next() % 9_000).swift", "pass": "\(index % 3)"],
                              timestamp: MetricTimestamp(nanosecondsSinceEpoch: Int64(index / 10)))
        }
        let payload = BlockPayload.encode(events)
        #expect(payload[0] == 2 && payload[1] == BlockPayload.plainReferences | BlockPayload.frontCodedStrings)
        let block = try payload.withUnsafeBytes { try BlockPayload.decode($0, firstSequence: 0) }
        #expect(block.events == events)
        // A table of fewer bytes than the block has events keeps the order of first use and
        // differences; its strings share nothing, so front coding would cost: version 1, no flags byte.
        let small = BlockPayload.encode(events.map { MetricEvent.counter(name: "c", value: 1, tags: ["pass": $0.tags["pass"] ?? ""], timestamp: $0.timestamp) })
        #expect(small[0] == 1)
        // Strings that share prefixes, in a small table: front-coded, differences kept.
        let shared = BlockPayload.encode(events.map { MetricEvent.counter(name: "analysis.count", value: 1, tags: ["analysis.pass": "analysis.pass \($0.tags["pass"] ?? "")"], timestamp: $0.timestamp) })
        #expect(shared[0] == 2 && shared[1] == BlockPayload.frontCodedStrings)
        #expect(try shared.withUnsafeBytes { try BlockPayload.decode($0, firstSequence: 0) }.events.count == events.count)
        // An unknown flag is a corrupt block, not a guess.
        var flagged = payload
        flagged[1] = 4
        #expect(throws: DecodeFailure.self) { try flagged.withUnsafeBytes { try BlockPayload.decode($0, firstSequence: 0) } }
    }

    @Test("a damaged payload is an error, never a crash")
    func payloadDamage() {
        let payload = BlockPayload.encode(EventGenerator.events(count: 50, seed: 9))
        var failures = 0
        for cut in stride(from: 0, to: payload.count - 1, by: 3) {
            let short = Array(payload.prefix(cut))
            if (try? short.withUnsafeBytes { try BlockPayload.decode($0, firstSequence: 0) }) == nil { failures += 1 }
        }
        #expect(failures == (0..<(payload.count - 1)).filter { $0 % 3 == 0 }.count)
        var random = SeededRandom(seed: 1)
        for _ in 0..<500 {
            var damaged = payload
            damaged[Int(random.next() % UInt64(damaged.count))] = UInt8(truncatingIfNeeded: random.next())
            _ = try? damaged.withUnsafeBytes { try BlockPayload.decode($0, firstSequence: 0) }
        }
        #expect(throws: DecodeFailure.self) { try [UInt8]([9]).withUnsafeBytes { try BlockPayload.decode($0, firstSequence: 0) } }
    }

    @Test("varints and zigzag round-trip the extremes; overlong varints are errors")
    func varints() throws {
        var writer = ByteWriter()
        let values: [UInt64] = [0, 1, 127, 128, 300, .max, .max - 1, 1 << 63]
        for value in values { writer.varint(value) }
        let signed: [Int64] = [0, -1, 1, .min, .max]
        for value in signed { writer.zigzag(value) }
        let (decodedValues, decodedSigned, atEnd) = try writer.bytes.withUnsafeBytes { raw throws -> ([UInt64], [Int64], Bool) in
            var reader = ByteReader(raw)
            let unsigned = try values.map { _ in try reader.varint() }
            let zigzags = try signed.map { _ in try reader.zigzag() }
            return (unsigned, zigzags, reader.isAtEnd)
        }
        #expect(decodedValues == values)
        #expect(decodedSigned == signed)
        #expect(atEnd)
        let overlong = [UInt8](repeating: 0xFF, count: 11)
        #expect(throws: DecodeFailure.self) { try overlong.withUnsafeBytes { raw in var reader = ByteReader(raw); _ = try reader.varint() } }
        #expect(throws: DecodeFailure.self) { try [UInt8]([0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x02]).withUnsafeBytes { raw in var reader = ByteReader(raw); _ = try reader.varint() } }
        #expect(throws: DecodeFailure.self) { try [UInt8]([0x80]).withUnsafeBytes { raw in var reader = ByteReader(raw); _ = try reader.varint() } }
        #expect(throws: DecodeFailure.self) { try [UInt8]([1, 2]).withUnsafeBytes { raw in var reader = ByteReader(raw); _ = try reader.u32() } }
        #expect(throws: DecodeFailure.self) { try [UInt8]([2, 0xC3]).withUnsafeBytes { raw in var reader = ByteReader(raw); _ = try reader.string() } }
        #expect(throws: DecodeFailure.self) { try [UInt8]([5]).withUnsafeBytes { raw in var reader = ByteReader(raw); _ = try reader.count(limit: 4) } }
        #expect(DecodeFailure(offset: 3, reason: "r").description == "r at byte 3")
    }
}
