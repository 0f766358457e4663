import Foundation
import MMMMetricsAnalysis
import MMMMetricsCore
@_spi(Benchmarks) import MMMMetricsLog
import MMMMetricsTestSupport
import Testing

extension ReliabilityCampaigns {
    /// Campaign 3 (docs/RELIABILITY.md): single-bit flips and byte overwrites in the sealed segments and
    /// indexes of a multi-session log, one per trial, restored after it. Each must be detected by
    /// `verify` (an index change: reported or harmless, never believed); strict reading fails naming the
    /// segment and an offset inside the damaged structure (or, for an index, returns exactly the
    /// original events); lenient reading returns every event of every undamaged block and its warnings
    /// account for what it left out; `count(*)` is right or lower by exactly what it says it skipped.
    @Suite("Bit-rot campaign: flipped bits and overwritten bytes")
    struct BitRotCampaignTests {
        @Test("every bit flip or byte overwrite in a sealed segment is detected and confined; a damaged index is never believed")
        func bitRot() async throws {
            try await inBackground { try BitRotCampaign(seed: CampaignScale.seed(0xB17_2077), trials: CampaignScale.trials(short: 300, long: 10_000)).run() }
        }
    }
}

/// A segment file's structures, read with this file's own reading of docs/FORMAT.md (not the product's code).
struct SegmentMap {
    struct Block {
        let bytes: Range<Int>
        let events: Range<Int>
    }

    let header: Range<Int>
    var blocks: [Block] = []
    var seal: Range<Int>?

    init(_ bytes: [UInt8]) {
        func u32(_ offset: Int) -> Int { (0..<4).reduce(0) { $0 | Int(bytes[offset + $1]) << (8 * $1) } }
        func u64(_ offset: Int) -> Int { (0..<8).reduce(0) { $0 | Int(bytes[offset + $1]) << (8 * $1) } }
        header = 0..<u32(12)
        var offset = header.upperBound
        while offset + 4 <= bytes.count {
            let magic = String(decoding: bytes[offset..<offset + 4], as: UTF8.self)
            if magic == "MBLK" {
                let end = offset + 48 + u32(offset + 8)
                let first = u64(offset + 20)
                blocks.append(Block(bytes: offset..<end, events: first..<first + u32(offset + 16)))
                offset = end
            } else {
                precondition(magic == "MEND" && offset + 44 == bytes.count, "the campaign's log is not sealed as expected")
                seal = offset..<offset + 44
                break
            }
        }
    }

    /// Where `offset` falls.
    func structure(at offset: Int) -> BitRotCampaign.Target {
        if header.contains(offset) { return .segmentHeader }
        if let seal, seal.contains(offset) { return .seal }
        guard let block = blocks.first(where: { $0.bytes.contains(offset) }) else { return .seal }
        return offset - block.bytes.lowerBound < 48 ? .blockHeader : .blockPayload
    }
}

final class BitRotCampaign {
    enum Target: String, CaseIterable {
        case segmentHeader = "segment header", blockHeader = "block header", blockPayload = "block payload", seal, index
    }

    let seed: UInt64
    let trials: Int
    var random: SeededRandom
    let findings: CampaignFindings
    var byTarget: [Target: Int] = [:]
    var detected: [Target: Int] = [:]
    var strictNamed = 0, strictExact = 0, lenientConfined = 0, skippedAccounted = 0, queryHonest = 0
    var lastSealReadAsTornTail = 0, headersSalvaged = 0, unknownSizePlaces = 0, indexRebuilt = 0, flips = 0, overwrites = 0

    init(seed: UInt64, trials: Int) {
        self.seed = seed
        self.trials = trials
        random = SeededRandom(seed: seed)
        findings = CampaignFindings("bit-rot", seed: seed)
    }

    func run() throws {
        let directory = TemporaryDirectory("bitrot")
        let root = directory.root
        // Realistic sessions (cook-like), one with random events of every kind mixed in, written by
        // more than one writer: several sealed segments of several blocks each.
        let sessions: [String: [MetricEvent]] = [
            "cook-a": EventGenerator.cookSession(iterations: 120, seed: seed),
            "cook-b": EventGenerator.cookSession(iterations: 60, seed: seed &+ 1) + EventGenerator.events(count: 300, seed: seed &+ 2),
            "random": EventGenerator.events(count: 500, seed: seed &+ 3),
        ]
        let options = LogWriterOptions(segmentMaxBytes: 5_000, blockMaxEvents: 40)
        for (session, events) in sessions.sorted(by: { $0.key < $1.key }) {
            let half = events.count / 2
            try writeSession(root, session, Array(events[..<half]), options: options)
            try writeSession(root, session, Array(events[half...]), options: options)
        }
        var files: [(session: String, path: String, isIndex: Bool)] = []
        var originals: [String: [UInt8]] = [:]
        var maps: [String: SegmentMap] = [:]
        for session in sessions.keys.sorted() {
            let read = try readSession(root, session)
            try #require(sameEvents(read, sessions[session]!), "the campaign's log does not read back")
            for path in try root.segmentPaths(session: session) {
                let index = LogRoot.indexPath(forSegment: path)
                originals[path] = Corrupter.bytes(path)
                originals[index] = Corrupter.bytes(index)
                maps[path] = SegmentMap(originals[path]!)
                files.append((session, path, false))
                files.append((session, index, true))
            }
        }
        try #require(try LogMaintenance(root: root).verify().isEmpty)
        let segmentCount = files.count / 2
        let blockCount = maps.values.reduce(0) { $0 + $1.blocks.count }

        for trial in 1...trials where !findings.shouldStop {
            // Segments three times as often as indexes.
            let candidates = files.filter { $0.isIndex == random.chance(0.25) }
            let file = random.pick(candidates)
            let original = originals[file.path]!
            var bytes = original
            // Any byte, or (two times in five) a byte of a structure chosen first, so that the small
            // ones (segment headers, block headers, seals) are hit often enough to count.
            let offset: Int
            if !file.isIndex, random.chance(0.4), let map = maps[file.path] {
                let block = random.pick(map.blocks).bytes
                offset = switch random.int(0..<3) {
                case 0: random.int(map.header)
                case 1: random.int(block.lowerBound..<block.lowerBound + 48)
                default: random.int(map.seal!)
                }
            } else {
                offset = random.int(0..<bytes.count)
            }
            let change: String
            if random.chance(0.5) {
                let bit = random.int(0..<8)
                bytes[offset] ^= 1 << bit
                change = "bit \(bit) of byte \(offset) flipped"
                flips += 1
            } else {
                bytes[offset] = bytes[offset] &+ UInt8(random.int(1...255))
                change = "byte \(offset) overwritten with \(bytes[offset])"
                overwrites += 1
            }
            let name = String(file.path.split(separator: "/").last!)
            Corrupter.write(file.path, bytes)
            defer { Corrupter.write(file.path, original) }
            let segmentPath = file.isIndex ? String(file.path.dropLast(4)) + ".seg" : file.path
            let map = maps[segmentPath]!
            let target = file.isIndex ? .index : map.structure(at: offset)
            byTarget[target, default: 0] += 1
            let what = "\(file.session) \(name): \(change) (\(target.rawValue))"
            try check(root: root, session: file.session, original: sessions[file.session]!, segmentPath: segmentPath, map: map,
                      target: target, offset: offset, trial: trial, what: what)
            if file.isIndex {
                // Rebuilt by recover, never kept.
                _ = try LogMaintenance(root: root).recover(session: file.session)
                let problems = try LogMaintenance(root: root).verify(session: file.session)
                if findings.check(problems.isEmpty, trial: trial, "verify after recover: \(problems) (\(what))") { indexRebuilt += 1 }
            }
        }
        for (path, bytes) in originals { Corrupter.write(path, bytes) }
        #expect(try LogMaintenance(root: root).verify().isEmpty, "the campaign did not restore its log")
        findings.report()

        let segmentTrials = Target.allCases.filter { $0 != .index }.reduce(0) { $0 + byTarget[$1, default: 0] }
        let segmentDetected = Target.allCases.filter { $0 != .index }.reduce(0) { $0 + detected[$1, default: 0] }
        let targets = Target.allCases.map { "\(byTarget[$0, default: 0]) \($0.rawValue)" }.joined(separator: ", ")
        let indexTrials = byTarget[.index, default: 0]
        let rate = segmentTrials == 0 ? 100 : Double(segmentDetected) * 100 / Double(segmentTrials)
        printCampaignSummary("bit-rot", """
            seed \(seed): \(trials) trials (\(flips) bit flips, \(overwrites) byte overwrites) over \(sessions.count) sessions, \
            \(segmentCount) sealed segments, \(blockCount) blocks (\(targets)); \
            verify detected \(segmentDetected)/\(segmentTrials) segment changes (\(String(format: "%.2f", rate))%) and reported \(detected[.index, default: 0])/\(indexTrials) index changes; \
            strict reading failed naming the segment and the damaged structure \(strictNamed) times, returned exactly the original events \(strictExact) times \
            (index changes, and \(lastSealReadAsTornTail) changes to a session's last seal, read as a live writer's torn tail); \
            lenient reading returned every undamaged block's events \(lenientConfined)/\(trials), its warnings accounted for what it skipped \(skippedAccounted)/\(trials) \
            (\(unknownSizePlaces) places of unknown size); count(*) right or short by exactly what it said it skipped \(queryHonest)/\(trials); \
            segment header changes whose intact blocks lenient reading still returned in full \(headersSalvaged); damaged indexes rebuilt by recover \(indexRebuilt)/\(indexTrials); \
            failures \(findings.failures.count)
            """)
    }

    func check(root: LogRoot, session: String, original: [MetricEvent], segmentPath: String, map: SegmentMap,
               target: Target, offset: Int, trial: Int, what: String) throws {
        let segmentName = String(segmentPath.split(separator: "/").last!)
        let isLastSegment = try root.segmentPaths(session: session).last == segmentPath

        // verify: every segment change is found; an index change is found or harmless (checked below).
        let problems = try LogMaintenance(root: root).verify(session: session)
        if !problems.isEmpty { detected[target, default: 0] += 1 }
        if target != .index {
            findings.check(problems.contains { $0.file == segmentName }, trial: trial, "verify found nothing in \(segmentName): \(problems) (\(what))")
        }

        // Strict reading fails naming the segment and an offset inside the damaged structure, or returns exactly the original.
        do {
            let events = try readAll(root, session)
            let exact = events.count == original.count && sameEvents(events.map(\.event), original)
                && events.enumerated().allSatisfy { $0.offset == Int($0.element.sequence) }
            findings.check(exact, trial: trial, "strict reading succeeded with \(events.count) events, not the \(original.count) original ones (\(what))")
            if target == .seal && isLastSegment {
                lastSealReadAsTornTail += 1
            } else {
                findings.check(target == .index, trial: trial, "strict reading did not fail (\(what))")
            }
            if exact { strictExact += 1 }
        } catch LogError.corrupt(let path, let reported, let reason) {
            let range: Range<Int> = switch target {
            case .segmentHeader: map.header
            case .seal: map.seal ?? 0..<0
            case .blockHeader, .blockPayload: map.blocks.first { $0.bytes.contains(offset) }!.bytes
            case .index: 0..<0
            }
            let named = path.hasSuffix(segmentName) && (range.contains(reported) || reported == range.upperBound)
            findings.check(named, trial: trial, "strict reading failed naming \(path) offset \(reported) (\(reason)), not \(segmentName) at \(range) (\(what))")
            if named { strictNamed += 1 }
        }

        // Lenient reading: every event of every undamaged block, each the original; the warnings add up.
        var warnings: [ReadWarning] = []
        let lenient = try readAll(root, session, mode: .lenient) { warnings.append($0) }
        let lost: [Range<Int>] = switch target {
        // A damaged segment header costs nothing: the blocks are placed by the file name (docs/FORMAT.md).
        case .segmentHeader, .seal, .index: []
        case .blockHeader, .blockPayload: map.blocks.filter { $0.bytes.contains(offset) }.map(\.events)
        }
        var present = [Bool](repeating: false, count: original.count)
        var correct = true
        var previous = -1
        for (sequence, event) in lenient {
            let index = Int(sequence)
            guard index > previous, index < original.count, sameEvent(event, original[index]) else {
                correct = false
                break
            }
            present[index] = true
            previous = index
        }
        let confined = correct && present.indices.allSatisfy { index in present[index] || lost.contains { $0.contains(index) } }
        if confined {
            lenientConfined += 1
            if target == .segmentHeader { headersSalvaged += 1 }
        }
        findings.check(correct, trial: trial, "lenient reading returned a wrong or misplaced event (\(what))")
        findings.check(confined, trial: trial, "lenient reading left out events of undamaged blocks: \(original.count - lenient.count) missing, \(lost) damaged (\(what))")
        let missing = original.count - lenient.count
        let known = warnings.compactMap(\.skippedEvents).reduce(0, +)
        let unknown = warnings.filter { $0.skippedEvents == nil }.count
        unknownSizePlaces += unknown
        let accounted = unknown == 0 ? known == missing : known <= missing
        if accounted { skippedAccounted += 1 }
        findings.check(accounted, trial: trial, "lenient reading skipped \(missing) events, its warnings say \(known) (+\(unknown) unknown): \(warnings) (\(what))")
        if target == .index {
            findings.check(lenient.count == original.count && warnings.isEmpty, trial: trial, "a damaged index changed lenient reading: \(warnings) (\(what))")
        }

        // count(*) is right, or short by exactly what it says it skipped.
        let answer = try QueryEngine(source: root).run("count(*)", sessions: [session])
        let count = Int(answer.value ?? 0)
        let skipped = answer.skipped
        let honest = skipped.isEmpty ? count == original.count
            : skipped.placesOfUnknownSize == 0 ? count == original.count - skipped.events : count <= original.count - skipped.events
        if honest && count == lenient.count { queryHonest += 1 }
        findings.check(honest, trial: trial, "count(*) = \(count) of \(original.count) with skipped \(skipped) (\(what))")
        findings.check(count == lenient.count, trial: trial, "count(*) = \(count) but lenient reading returns \(lenient.count) events (\(what))")
    }
}
