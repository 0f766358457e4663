import MMMMetricsCore
import MMMMetricsTestSupport
import Testing

@Suite("GroupKeyTable: query groups by their values' bytes")
struct GroupKeyTableTests {
    /// Groups a query can meet: empty values, two spellings of "é", values whose bytes run together
    /// alike (["ab", "c"] and ["a", "bc"]), values of 127 and 128 bytes (one and two length bytes),
    /// and 120,000 paths drawn with repeats, so the table grows many times.
    static func groups() -> [[String]] {
        var groups: [[String]] = [[""], ["", ""], ["\u{E9}"], ["e\u{301}"], ["ab", "c"], ["a", "bc"], ["abc"], ["abc", ""], ["", "abc"]]
        groups += [[String(repeating: "x", count: 127)], [String(repeating: "x", count: 128)], [String(repeating: "x", count: 300), "y"]]
        var random = SeededRandom(seed: 11)
        for _ in 0..<120_000 {
            let path = "src/m\(random.next() % 53)/file_\(random.next() % 40_000).swift"
            groups.append(random.next() % 4 == 0 ? [path, "pass \(random.next() % 3)"] : [path])
        }
        return groups
    }

    @Test("numbers groups in order of first appearance, by bytes, like a dictionary of byte arrays")
    func numbersLikeADictionary() {
        var table = GroupKeyTable()
        var reference: [[[UInt8]]: Int] = [:]
        for group in Self.groups() {
            let bytes = group.map { Array($0.utf8) }
            let expected = reference[bytes] ?? reference.count
            let (number, isNew) = table.number(of: group)
            #expect(number == expected)
            #expect(isNew == (reference[bytes] == nil))
            if isNew { reference[bytes] = number }
        }
        #expect(table.count == reference.count)
        // "é" and "e\u{301}" are equal as Swift strings, yet two groups.
        #expect(table.number(of: ["\u{E9}"]).number != table.number(of: ["e\u{301}"]).number)
        #expect(table.number(of: ["ab", "c"]).number != table.number(of: ["a", "bc"]).number)
    }

    @Test("a packing unpacks to its values' bytes, and packed lookups agree with lookups by strings")
    func packingRoundTrips() {
        var byStrings = GroupKeyTable()
        var byPacking = GroupKeyTable()
        for group in Self.groups().prefix(5_000) {
            var packing: [UInt8] = []
            GroupKeyTable.pack(group, into: &packing)
            packing.withUnsafeBytes { raw in
                #expect(GroupKeyTable.unpack(raw).map { Array($0.utf8) } == group.map { Array($0.utf8) })
                #expect(byPacking.number(of: raw, hash: ByteHash.hash(raw)) == byStrings.number(of: group))
            }
        }
    }

    @Test("an aggregator folds packed groups and groups of strings into the same rows")
    func aggregatorAgreesAcrossEntryPoints() throws {
        var packed = try GroupedAggregator(.sum, groupBy: ["path"])
        var plain = try GroupedAggregator(.sum, groupBy: ["path"])
        var random = SeededRandom(seed: 3)
        for _ in 0..<20_000 {
            let group = ["f\(random.next() % 700)"]
            let value = Double(random.next() % 1000) / 8
            try plain.add(value: value, name: "m", group: group)
            var packing: [UInt8] = []
            GroupKeyTable.pack(group, into: &packing)
            try packing.withUnsafeBytes { raw in
                try packed.add(count: 1, numeric: 1, sum: value, minimum: value, maximum: value, nonNumeric: false, name: "m",
                               packedGroup: raw, hash: ByteHash.hash(raw))
            }
        }
        #expect(packed.result() == plain.result())
        #expect(packed.result().rows.count == 700)
        var merged = try GroupedAggregator(.sum, groupBy: ["path"])
        merged.merge(packed)
        #expect(merged.result() == plain.result())
    }
}
