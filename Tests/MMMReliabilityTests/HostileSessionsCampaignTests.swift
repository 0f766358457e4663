import Foundation
import MMMMetricsCore
import MMMMetricsLog
import MMMMetricsTestSupport
import Testing

/// Campaign 7: session ids at every length limit and of every awkward shape, through every path
/// that stores or moves a session (the writer, a second writer appending, NDJSON ingest, archive and
/// import, listing, verify). Each accepted id must come back byte for byte with exactly its own
/// events; each refused one must be refused with a clear error before anything is written.
extension ReliabilityCampaigns {
    @Suite("Hostile-sessions campaign: session ids at every limit")
    struct HostileSessionsCampaignTests {
        /// Ids chosen at the edges: the 1,024-byte limit in 1-, 2- and 4-byte characters, the 200-byte
        /// plain directory name limit (escaped and not), a `%XX` escape straddling the 120-byte hash prefix,
        /// and names a file system or a path parser treats specially.
        static let edgeIDs: [String] = {
            var ids = ["a", "A", ".", "..", "...", ".hidden", "../up", "../../etc", "a/b", "/abs", "%41", "%", "~", "x~0123456789abcdef",
                       "LOCK", "sessions", "00000000000000000000.seg", " ", "\t", "tab\there", "\u{7F}", "\u{FEFF}bom", "é", "e\u{301}",
                       "🚀", "\u{10FFFF}", "quote\"back\\slash", "<script>", "CON", "nul", "a:b", "*?"]
            for length in [1, 66, 67, 119, 120, 121, 199, 200, 201, 255, 256, 1023, 1024] {
                ids.append(String(repeating: "s", count: length))
            }
            ids.append(String(repeating: "é", count: 512))  // 1,024 bytes
            ids.append(String(repeating: "🚀", count: 256))  // 1,024 bytes
            ids.append(String(repeating: "ab", count: 511) + "é")  // 1,024 bytes, a 2-byte character last
            // Escaped lengths 198..202 (each space is 3 escaped bytes).
            for extra in 0...4 { ids.append(String(repeating: " ", count: 66) + String(repeating: "z", count: extra)) }
            // A %XX escape at every position around the 120-byte prefix of a hashed name.
            for position in 115...122 { ids.append(String(repeating: "p", count: position) + "/" + String(repeating: "q", count: 120)) }
            // Two long ids that differ only in their last byte: one hashed prefix, two directories.
            ids.append(String(repeating: "h", count: 300) + "1")
            ids.append(String(repeating: "h", count: 300) + "2")
            return ids
        }()

        static let refusedIDs: [String] = [
            "", String(repeating: "s", count: 1025), String(repeating: "é", count: 512) + "a", String(repeating: "🚀", count: 256) + "x",
            "nul\u{0}inside", "line\nbreak", "carriage\rreturn", "\n",
        ]

        @Test("ids at every length limit and of every awkward shape: stored, listed, appended, ingested, archived and imported byte for byte")
        func edgeAndRandomIDs() async throws {
            try await inBackground { try Self.sweep() }
        }

        static func sweep() throws {
            let seed = CampaignScale.seed(0x5E55_1D)
            var random = SeededRandom(seed: seed)
            let randomCount = CampaignScale.trials(short: 150, long: 5000)
            var ids = edgeIDs
            var seen = Set(ids.map { Array($0.utf8) })
            while ids.count < edgeIDs.count + randomCount {
                let id = randomID(&random)
                if seen.insert(Array(id.utf8)).inserted { ids.append(id) }
            }
            let findings = CampaignFindings("hostile-sessions", seed: seed)
            let directory = TemporaryDirectory()
            let written = LogRoot(path: directory.path + "/written")
            let ingested = LogRoot(path: directory.path + "/ingested")
            let imported = LogRoot(path: directory.path + "/imported")
            var ndjson = ""
            var expected: [[UInt8]: [MetricEvent]] = [:]
            for (trial, id) in ids.enumerated() {
                let events = (0..<3).map { index in
                    MetricEvent.counter(name: "trial.\(trial)", value: Int64(index), tags: ["i": "\(index)"],
                                        timestamp: MetricTimestamp(nanosecondsSinceEpoch: Int64(trial * 10 + index)))
                }
                expected[Array(id.utf8)] = events
                for event in events { ndjson += NDJSONEvent.format(event, session: id) + "\n" }
                do {
                    // Two writers, one after the other: the second appends to what the first sealed.
                    try writeSession(written, id, Array(events.prefix(2)))
                    try writeSession(written, id, Array(events.suffix(1)))
                    let name = LogRoot.directoryName(for: id)
                    findings.check(name.utf8.count <= 200 && !name.contains("/") && name != "." && name != "..", trial: trial,
                                   "directory name \(name.debugDescription) for \(id.debugDescription)")
                    let back = try readSession(written, id)
                    findings.check(back.map(bytes) == events.map(bytes), trial: trial, "\(id.debugDescription): read back \(back.map(\.name)) instead of its 3 events")
                    let archive = directory.path + "/a\(trial).mmmar"
                    try SessionArchive.write(session: id, from: written, to: archive)
                    let result = try SessionArchive.importArchive(at: archive, into: imported)
                    findings.check(Array(result.session.utf8) == Array(id.utf8) && result.events == 3, trial: trial,
                                   "\(id.debugDescription): imported as \(result.session.debugDescription) with \(result.events) events")
                    findings.check(try readSession(imported, id).map(bytes) == events.map(bytes), trial: trial, "\(id.debugDescription): the imported copy differs")
                } catch {
                    findings.fail(trial: trial, "\(id.debugDescription) (\(id.utf8.count) bytes): \(error)")
                }
            }
            // The whole stream through NDJSON ingest at once: every line goes to its own session.
            do {
                let report = try NDJSONIngest.ingest(Array(ndjson.utf8), source: "ids.ndjson", into: ingested, defaultSession: nil)
                findings.check(report.sessions.count == ids.count, trial: -1, "ingest made \(report.sessions.count) sessions of \(ids.count)")
            } catch {
                findings.fail(trial: -1, "ingest: \(error)")
            }
            for (name, root) in [("written", written), ("ingested", ingested), ("imported", imported)] {
                do {
                    let listed = try root.sessionIDs()
                    findings.check(Set(listed.map { Array($0.utf8) }) == Set(expected.keys) && listed.count == ids.count, trial: -1,
                                   "\(name): \(listed.count) sessions listed of \(ids.count)")
                    for id in listed {
                        let events = try readSession(root, id)
                        findings.check(events.map(bytes) == expected[Array(id.utf8)]?.map(bytes), trial: -1, "\(name): \(id.debugDescription) read \(events.count) events, not its own 3")
                    }
                    let problems = try LogMaintenance(root: root).verify()
                    findings.check(problems.isEmpty, trial: -1, "\(name): verify found \(problems.prefix(3))")
                } catch {
                    findings.fail(trial: -1, "\(name): \(error)")
                }
            }
            findings.report()
            printCampaignSummary("hostile-sessions", """
                seed \(seed): \(edgeIDs.count) edge ids and \(randomCount) random ones (1 to 1,024 bytes of any Unicode but NUL and \
                line breaks), each written by two writers, ingested from NDJSON, archived and imported; every one listed and read back \
                byte for byte with only its own events in all three roots, verify clean: \(findings.failures.isEmpty ? "yes" : "no"); \
                failures \(findings.failures.count)
                """)
        }

        @Test("ids over a limit or with NUL or a line break are refused by every path with a clear error, and nothing is written")
        func refusedIDs() throws {
            let directory = TemporaryDirectory()
            let root = directory.root
            for id in Self.refusedIDs {
                #expect {
                    try writeSession(root, id, [.counter(name: "x", value: 1, timestamp: MetricTimestamp(nanosecondsSinceEpoch: 1))])
                } throws: { error in
                    "\(error)".contains("session id")
                }
                let line = NDJSONEvent.format(.counter(name: "x", value: 1, timestamp: MetricTimestamp(nanosecondsSinceEpoch: 1)), session: id)
                let input = #"{"ts":"2026-11-28T10:00:00Z","session":"ok","type":"counter","name":"x","value":1}"# + "\n" + line + "\n"
                #expect {
                    try NDJSONIngest.ingest(Array(input.utf8), source: "bad.ndjson", into: root, defaultSession: nil)
                } throws: { error in
                    "\(error)".contains("bad.ndjson") && "\(error)".contains("2")
                }
                #expect(throws: LogError.self) { try SessionArchive.write(session: id, from: root, to: directory.path + "/x.mmmar") }
            }
            let left = FileManager.default.fileExists(atPath: root.path + "/sessions") ? try root.sessionIDs() : []
            #expect(left.isEmpty)
        }

        @Test("names, tag keys, tag values and session ids that Swift calls equal but that differ in bytes are stored as given")
        func canonicallyEquivalentSpellings() throws {
            let composed = "caf\u{E9}", decomposed = "cafe\u{301}"
            #expect(composed == decomposed && Array(composed.utf8) != Array(decomposed.utf8))
            let events: [MetricEvent] = [
                .counter(name: composed, value: 1, tags: ["k": composed], timestamp: MetricTimestamp(nanosecondsSinceEpoch: 1)),
                .counter(name: decomposed, value: 2, tags: ["k": decomposed], timestamp: MetricTimestamp(nanosecondsSinceEpoch: 2)),
                .gauge(name: "g", value: 3, tags: [composed: "v"], timestamp: MetricTimestamp(nanosecondsSinceEpoch: 3)),
                .gauge(name: "g", value: 4, tags: [decomposed: "v"], timestamp: MetricTimestamp(nanosecondsSinceEpoch: 4)),
            ]
            let directory = TemporaryDirectory()
            try writeSession(directory.root, composed, events)
            try writeSession(directory.root, decomposed, Array(events.prefix(1)))
            #expect(try readSession(directory.root, composed).map(Self.bytes) == events.map(Self.bytes))
            #expect(try readSession(directory.root, decomposed).map(Self.bytes) == [Self.bytes(events[0])])
            // Ingest keeps the two sessions apart too.
            let ingested = LogRoot(path: directory.path + "/ingested")
            let text = events.map { NDJSONEvent.format($0, session: composed) + "\n" }.joined() + NDJSONEvent.format(events[1], session: decomposed) + "\n"
            let report = try NDJSONIngest.ingest(Array(text.utf8), source: "t", into: ingested, defaultSession: nil)
            #expect(report.sessions.map(\.1) == [4, 1])
            #expect(try readSession(ingested, composed).map(Self.bytes) == events.map(Self.bytes))
            #expect(try readSession(ingested, decomposed).map(Self.bytes) == [Self.bytes(events[1])])
        }

        /// An event as bytes: `==` on events compares strings by canonical equivalence, the log promises bytes.
        static func bytes(_ event: MetricEvent) -> [[UInt8]] {
            [Array(event.name.utf8), Array("\(event.value) \(event.timestamp?.nanosecondsSinceEpoch ?? -1)".utf8)]
                + event.tags.flatMap { [Array($0.key.utf8), Array($0.value.utf8)] }
        }

        /// 1 to 1,024 bytes of random scalars from every plane, without NUL or line breaks.
        static func randomID(_ random: inout SeededRandom) -> String {
            let budget = random.chance(0.3) ? random.int(900...1024) : random.int(1...260)
            var scalars = String.UnicodeScalarView()
            var bytes = 0
            while true {
                let value: UInt32 = switch random.int(0..<5) {
                case 0: UInt32(random.int(0x01...0x7F))
                case 1: UInt32(random.int(0x80...0x7FF))
                case 2: UInt32(random.int(0x800...0xFFFF))
                case 3: UInt32(random.int(0x10000...0x10FFFF))
                default: UInt32(random.pick(Array(" ./%~-_.\\\"'*?:<>|".unicodeScalars)).value)
                }
                guard let scalar = Unicode.Scalar(value), value != 0x0A, value != 0x0D else { continue }
                let size = String(scalar).utf8.count
                if bytes + size > budget { break }
                scalars.append(scalar)
                bytes += size
            }
            return scalars.isEmpty ? "r" : String(scalars)
        }
    }
}
