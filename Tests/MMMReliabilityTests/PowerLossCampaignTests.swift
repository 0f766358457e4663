import Foundation
import MMMMetricsCore
@_spi(Benchmarks) import MMMMetricsLog
import MMMMetricsTestSupport
import Testing

extension ReliabilityCampaigns {
    /// Campaign 2 (docs/RELIABILITY.md): the loss of unsynced writes, as a power cut leaves it.
    ///
    /// A writer runs in this process through a seeded script of appends, flushes, rolls and reopenings.
    /// After every call the campaign records each segment's length and the length its durability
    /// setting has made durable, following the writer's fsync calls:
    ///
    /// - `flush` and `block`: a new segment's header and directory entry are synced when it is created;
    ///   a sealed segment is synced whole (seal, then fsync, before the next segment is created);
    ///   `flush()` and `close()` sync the segment; `block` also syncs after every block; every index is
    ///   written to a temporary file, synced, renamed and its directory synced.
    /// - `none`: nothing is ever synced.
    ///
    /// At random moments it builds, in a scratch directory, a state that a power cut could leave, and
    /// checks what the log makes of it:
    ///
    /// - **after** a call (flush, block): every file at least at its durable length, the last segment
    ///   cut anywhere between its durable and its current length;
    /// - **during** a call (flush, block; and `none` in the *ordered* form, where the device writes in
    ///   the order it was given): files as they were before the call, plus any prefix of what the call
    ///   appended; segments the call created present or not (a later one only with every earlier one
    ///   whole, as the writer seals and syncs a segment before it creates the next); each index the
    ///   old version or the new one;
    /// - **unordered** (`none` only): every segment independently cut anywhere or gone, every index
    ///   current, gone, cut or zeroed.
    ///
    /// The unsynced part that remains may be kept, zeroed or overwritten with garbage at its end (a
    /// file system that grew the file but lost its data), or have a hole of zeros with data after it
    /// (pages written out of order); such damage starts where the file ended when last synced or at a
    /// 512-byte sector boundary, as devices write whole sectors (garbage never over the segment header). Leftover temporary index files and orphan indexes are added now
    /// and then. The promises checked: under `flush`, every event of every `flush()` (and of every
    /// sealed segment) that returned before the cut survives; under `block`, every block whose append
    /// returned; under `none`, nothing, but the log is still a valid prefix in the ordered form. In every
    /// form nothing crashes, nothing read is wrong, a writer opens and appends, and `verify` is clean
    /// after `recover` unless it names damage that is really there.
    @Suite("Power-loss campaign: unsynced writes lost")
    struct PowerLossCampaignTests {
        @Test("a power cut at random moments loses nothing a durability setting promised, leaves a valid log and never a wrong event")
        func powerCuts() async throws {
            try await inBackground { try PowerLossCampaign(seed: CampaignScale.seed(0x90DE_105), trials: CampaignScale.trials(short: 102, long: 2_100)).run() }
        }
    }
}

/// The session's files after one call of the writer.
struct WriterMoment {
    /// Segment file name → its bytes.
    var segments: [String: [UInt8]] = [:]
    /// Segment file name → the bytes of its index file.
    var indexes: [String: [UInt8]] = [:]
    /// Segment file name → the length that has reached the disk for sure.
    var durable: [String: Int] = [:]
    /// Events the durability setting promises to keep after a power cut.
    var promised = 0
    /// Events in blocks that `write` returned for.
    var written = 0

    var names: [String] { segments.keys.sorted() }
}

/// How a crash state was made.
enum PowerCut: String, CaseIterable {
    case after, during, ordered, unordered
}

/// What the unsynced part of the last segment looks like after the cut.
enum UnsyncedTail: String, CaseIterable {
    case cut, zeroTail, garbageTail, hole
}

final class PowerLossCampaign {
    let seed: UInt64
    let trials: Int
    var random: SeededRandom
    let findings: CampaignFindings
    let session = "power"
    var trial = 0
    var byDurability: [LogDurability: Int] = [:]
    var byCut: [PowerCut: Int] = [:]
    var byTail: [UnsyncedTail: Int] = [:]
    var promisedEvents = 0, keptBeyondPromise = 0, lostUnpromised = 0, strictFailuresReported = 0, extras = 0
    var promiseKeptCuts = 0, wrongEvents = 0

    init(seed: UInt64, trials: Int) {
        self.seed = seed
        self.trials = trials
        random = SeededRandom(seed: seed)
        findings = CampaignFindings("power-loss", seed: seed)
    }

    func run() throws {
        for (position, durability) in LogDurability.allCases.enumerated() {
            let quota = trials * (position + 1) / LogDurability.allCases.count
            while trial < quota, !findings.shouldStop {
                try writerRun(durability: durability, until: quota)
            }
        }
        findings.report()
        let durabilities = LogDurability.allCases.map { "\(byDurability[$0, default: 0]) \($0.rawValue)" }.joined(separator: ", ")
        let cuts = PowerCut.allCases.map { "\(byCut[$0, default: 0]) \($0.rawValue)" }.joined(separator: ", ")
        let tails = UnsyncedTail.allCases.map { "\(byTail[$0, default: 0]) \($0.rawValue)" }.joined(separator: ", ")
        printCampaignSummary("power-loss", """
            seed \(seed): \(trial) power cuts (\(durabilities); \(cuts); last segment's unsynced part: \(tails)); \
            every promised event kept after \(promiseKeptCuts)/\(trial) cuts (\(promisedEvents) events promised in all), \(keptBeyondPromise) unpromised events kept and \(lostUnpromised) lost; \
            strict reads that failed naming the damage in non-prefix states \(strictFailuresReported); temp/orphan files added \(extras); \
            wrong or misplaced events read after \(wrongEvents) cuts; \
            failures \(findings.failures.count)
            """)
    }

    // MARK: The writer's run

    func writerRun(durability: LogDurability, until quota: Int) throws {
        let directory = TemporaryDirectory("power")
        let root = directory.root
        let events = EventGenerator.events(count: 2_500, seed: random.next())
        let options = LogWriterOptions(segmentMaxBytes: random.pick([3_000, 8_000, 30_000]), blockMaxEvents: random.pick([3, 16, 64]),
                                       compressionLevel: 1, durability: durability)
        var writer = try SessionLogWriter(root: root, session: session, options: options)
        var appended = 0
        var history = [WriterMoment()]
        let cutsInRun = random.int(5...25)
        var cutsDone = 0
        while appended < events.count, trial < quota, cutsDone < cutsInRun, !findings.shouldStop {
            let choice = random.int(0..<100)
            var synced = false
            if choice < 55 {
                let count = min(random.int(1...40), events.count - appended)
                try writer.append(contentsOf: events[appended..<appended + count])
                appended += count
            } else if choice < 75 {
                try writer.append(events[appended])
                appended += 1
            } else if choice < 93 {
                try writer.flush()
                synced = true
            } else if choice < 97 {
                try writer.roll()
            } else {
                try writer.close()
                writer = try SessionLogWriter(root: root, session: session, options: options)
                synced = true
            }
            let moment = try observe(root, after: history.last!, durability: durability, synced: synced, writer: writer)
            history.append(moment)
            if random.chance(0.35) {
                cutsDone += 1
                try powerCut(history: history, durability: durability, options: options, events: events)
            }
        }
        try writer.close()
    }

    /// The session's files now, and what is durable, from the last moment and what the call did.
    func observe(_ root: LogRoot, after previous: WriterMoment, durability: LogDurability, synced: Bool, writer: SessionLogWriter) throws -> WriterMoment {
        var moment = WriterMoment()
        moment.written = Int(writer.writtenSequence)
        let paths = try root.segmentPaths(session: session)
        for path in paths {
            let name = String(path.split(separator: "/").last!)
            let bytes = Corrupter.bytes(path)
            moment.segments[name] = bytes
            let indexPath = LogRoot.indexPath(forSegment: path)
            if FileManager.default.fileExists(atPath: indexPath) { moment.indexes[name] = Corrupter.bytes(indexPath) }
            if let old = previous.segments[name] {
                findings.check(bytes.starts(with: old), trial: trial, "segment \(name) was rewritten, not appended to: the campaign's model does not hold")
            }
        }
        var unsealedFirst: Int?
        if let lastPath = paths.last, !(try StoredSegment.load(lastPath)).sealed {
            unsealedFirst = Int(String(lastPath.split(separator: "/").last!.prefix(20)))
        }
        for name in moment.names {
            let length = moment.segments[name]!.count
            let isUnsealedLast = unsealedFirst != nil && name == moment.names.last
            switch durability {
            case .none:
                moment.durable[name] = 0
            case .onFlush:
                // Sealed segments were synced whole; the open one on flush and close, else its header when created.
                moment.durable[name] = !isUnsealedLast || synced ? length : max(previous.durable[name] ?? 0, min(length, headerSize))
            case .everyBlock:
                moment.durable[name] = length
            }
        }
        switch durability {
        case .none: moment.promised = 0
        case .onFlush: moment.promised = synced ? moment.written : max(previous.promised, unsealedFirst ?? moment.written)
        case .everyBlock: moment.promised = moment.written
        }
        return moment
    }

    var headerSize: Int { 38 + session.utf8.count }

    // MARK: One power cut

    struct CutState {
        var segments: [String: [UInt8]] = [:]
        var indexes: [String: [UInt8]] = [:]
        var extraFiles: [String: [UInt8]] = [:]
        /// Whether the state is one the promises speak of: a prefix of the history (no hole, nothing unordered).
        var prefixShaped = true
        var durability = LogDurability.none
        var promised = 0
        /// Events whose blocks had been written (not necessarily synced) when the power went.
        var written = 0
        var description = ""
    }

    func powerCut(history: [WriterMoment], durability: LogDurability, options: LogWriterOptions, events: [MetricEvent]) throws {
        trial += 1
        byDurability[durability, default: 0] += 1
        let cut: PowerCut = switch durability {
        case .none: random.chance(0.5) ? .ordered : .unordered
        default: random.chance(0.7) ? .during : .after
        }
        byCut[cut, default: 0] += 1
        var state: CutState
        switch cut {
        case .after:
            let now = history[history.count - 1]
            state = cutBetween(lower: now.durable, before: now, after: now, present: now.names.count, headerSyncedFirst: true)
            state.promised = now.promised
            state.written = now.written
        case .during:
            let before = history[history.count - 2], after = history[history.count - 1]
            state = cutDuring(before: before, after: after, floor: before.durable, headerSyncedFirst: true)
            state.promised = before.promised
            state.written = after.written
        case .ordered:
            // The device wrote everything in order up to some call, and part of the next one.
            let call = random.int(1..<history.count)
            let before = history[call - 1], after = history[call]
            state = cutDuring(before: before, after: after, floor: before.segments.mapValues(\.count), headerSyncedFirst: false)
            state.promised = before.written  // what a process crash would keep
            state.written = after.written
        case .unordered:
            state = cutUnordered(history.last!)
            state.written = history.last!.written
        }
        if random.chance(0.1), let name = state.segments.keys.sorted().last {
            state.extraFiles[String(name.dropLast(4)) + ".idx.tmp-4242"] = random.bytes(random.int(0...300))
            extras += 1
        }
        if random.chance(0.05), let name = history.last!.indexes.keys.sorted().last, state.segments[name] == nil {
            state.indexes[name] = history.last!.indexes[name]
            extras += 1
        }
        state.durability = durability
        state.description = "\(durability.rawValue), \(cut.rawValue) cut, \(state.description), \(options.segmentMaxBytes)-byte segments, \(options.blockMaxEvents)-event blocks"
        try check(state, options: options, events: events)
    }

    /// Files `0..<present` of `after` (by name), each at its full length except the last, which is cut
    /// between `lower` and its length; each index the version of `before` or of `after`. With
    /// `headerSyncedFirst` (flush, block: a segment's header is synced before any block is written to
    /// it), a segment that holds more than its header holds all of its header.
    func cutBetween(lower: [String: Int], before: WriterMoment, after: WriterMoment, present: Int, headerSyncedFirst: Bool) -> CutState {
        var state = CutState()
        let names = after.names.prefix(present)
        for name in names {
            state.segments[name] = after.segments[name]!
            // Each index is the old version or the new one: renames are atomic.
            let old = before.indexes[name], new = after.indexes[name]
            if let index = random.chance(0.5) ? new : old { state.indexes[name] = index }
        }
        guard let last = names.last else {
            state.description = "no segment left"
            return state
        }
        let full = after.segments[last]!
        var floor = min(lower[last] ?? 0, full.count)
        let length = random.int(floor...full.count)
        if headerSyncedFirst, length > headerSize { floor = max(floor, headerSize) }
        var bytes = Array(full.prefix(length))
        let tail = length - floor >= 2 ? random.pick(UnsyncedTail.allCases) : .cut
        byTail[tail, default: 0] += 1
        switch tail {
        case .cut:
            break
        case .zeroTail:
            for offset in sectorStart(floor: floor, length: length)..<length { bytes[offset] = 0 }
        case .garbageTail:
            for offset in sectorStart(floor: max(floor, min(headerSize, length)), length: length)..<length {
                bytes[offset] = UInt8(truncatingIfNeeded: random.next())
            }
        case .hole:
            let start = sectorStart(floor: floor, length: length)
            let ends = stride(from: (start / Self.sector + 1) * Self.sector, to: length, by: Self.sector).map { $0 }
            if let end = ends.isEmpty ? nil : random.pick(ends) {
                for offset in start..<end { bytes[offset] = 0 }
                state.prefixShaped = false
            } else {
                for offset in start..<length { bytes[offset] = 0 }
            }
        }
        state.segments[last] = bytes
        state.description = "\(names.count) of \(after.names.count) segments, \(last) cut to \(length) of \(full.count) bytes (\(floor) durable), \(tail.rawValue)"
        return state
    }

    /// A cut during the call from `before` to `after`: segments the call created present or not, in order.
    func cutDuring(before: WriterMoment, after: WriterMoment, floor: [String: Int], headerSyncedFirst: Bool) -> CutState {
        let created = after.names.filter { before.segments[$0] == nil }.count
        let present = after.names.count - created + random.int(0...created)
        return cutBetween(lower: floor, before: before, after: after, present: present, headerSyncedFirst: headerSyncedFirst)
    }

    /// Devices write whole sectors: data the power cut lost starts where the file ended when it was
    /// last synced (`floor`, the rest of that sector as it was then: zeros) or at a sector boundary after it.
    static let sector = 512

    func sectorStart(floor: Int, length: Int) -> Int {
        let boundaries = stride(from: (floor / Self.sector + 1) * Self.sector, to: length, by: Self.sector).map { $0 }
        return boundaries.isEmpty || random.chance(0.4) ? floor : random.pick(boundaries)
    }

    /// Nothing synced, nothing ordered: every file on its own.
    func cutUnordered(_ now: WriterMoment) -> CutState {
        var state = CutState()
        state.prefixShaped = false
        var kept = 0
        for name in now.names {
            if random.chance(0.15) { continue }
            kept += 1
            let full = now.segments[name]!
            var bytes = Array(full.prefix(random.chance(0.5) ? full.count : random.int(0...full.count)))
            if random.chance(0.3), !bytes.isEmpty {
                for offset in sectorStart(floor: 0, length: bytes.count)..<bytes.count { bytes[offset] = 0 }
            }
            state.segments[name] = bytes
            guard let index = now.indexes[name] else { continue }
            switch random.int(0..<4) {
            case 0: state.indexes[name] = index
            case 1: break
            case 2: state.indexes[name] = Array(index.prefix(random.int(0...index.count)))
            default: state.indexes[name] = [UInt8](repeating: 0, count: index.count)
            }
        }
        state.description = "\(kept) of \(now.names.count) segments kept, each cut anywhere"
        return state
    }

    // MARK: What must hold

    func check(_ state: CutState, options: LogWriterOptions, events original: [MetricEvent]) throws {
        let scratch = TemporaryDirectory("power-cut")
        let root = scratch.root
        let directory = root.sessionPath(session)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        for (name, bytes) in state.segments { Corrupter.write(directory + "/" + name, bytes) }
        for (name, bytes) in state.indexes { Corrupter.write(directory + "/" + String(name.dropLast(4)) + ".idx", bytes) }
        for (name, bytes) in state.extraFiles { Corrupter.write(directory + "/" + name, bytes) }
        let trial = self.trial
        let what = state.description

        func correct(_ events: [(sequence: UInt64, event: MetricEvent)]) -> Bool {
            var previous: UInt64?
            for (sequence, event) in events {
                guard sequence < original.count, sameEvent(event, original[Int(sequence)]), previous.map({ $0 < sequence }) ?? true else { return false }
                previous = sequence
            }
            return true
        }
        func isPrefix(_ events: [(sequence: UInt64, event: MetricEvent)]) -> Bool {
            correct(events) && events.enumerated().allSatisfy { $0.offset == Int($0.element.sequence) }
        }

        // Reading what the cut left, before any repair.
        let lenient: [(sequence: UInt64, event: MetricEvent)]
        do {
            lenient = try readAll(root, session, mode: .lenient)
        } catch {
            findings.fail(trial: trial, "lenient reading failed (\(what)): \(error)")
            return
        }
        if !correct(lenient) { wrongEvents += 1 }
        findings.check(correct(lenient), trial: trial, "lenient reading returned a wrong or misplaced event (\(what))")
        var strictCount: Int?
        do {
            let strict = try readAll(root, session)
            findings.check(isPrefix(strict), trial: trial, "strict reading succeeded but is not an exact prefix (\(what))")
            strictCount = strict.count
        } catch let error as LogError {
            if case .corrupt = error {
                findings.check(!state.prefixShaped, trial: trial, "strict reading failed on a state that a power cut leaves in order (\(what)): \(error)")
                strictFailuresReported += 1
            } else {
                findings.fail(trial: trial, "strict reading failed with \(error) (\(what))")
            }
        }
        let present = Set(lenient.map { Int($0.sequence) })
        let promisedKept = (0..<state.promised).allSatisfy(present.contains)
        if promisedKept { promiseKeptCuts += 1 }
        findings.check(promisedKept, trial: trial, "\(state.promised) events were promised, the log holds \(present.count) (first missing \((0..<state.promised).first { !present.contains($0) } ?? -1)) (\(what))")
        if state.prefixShaped {
            findings.check(strictCount != nil && strictCount! >= state.promised, trial: trial, "fewer than the \(state.promised) promised events read strictly (\(what))")
        }
        promisedEvents += state.promised

        // Recovery: by recover first, or by a writer opening; then appending; then recover and verify.
        let maintenance = LogMaintenance(root: root)
        do {
            if random.chance(0.5) {
                _ = try maintenance.recover()
                let problems = try maintenance.verify()
                if state.prefixShaped { findings.check(problems.isEmpty, trial: trial, "verify after recover: \(problems) (\(what))") }
            }
            let writer = try SessionLogWriter(root: root, session: session, options: options)
            let next = Int(writer.nextSequence)
            if let strictCount, state.prefixShaped {
                findings.check(next == strictCount, trial: trial, "a writer continues at \(next) after \(strictCount) events (\(what))")
            }
            let more = max(0, min(random.int(1...50), original.count - next))
            try writer.append(contentsOf: original[next..<next + more])
            try writer.close()
            _ = try maintenance.recover()
            let problems = try maintenance.verify()
            let final: [(sequence: UInt64, event: MetricEvent)]
            if state.prefixShaped {
                findings.check(problems.isEmpty, trial: trial, "verify after recovering and appending: \(problems) (\(what))")
                final = try readAll(root, session)
                findings.check(isPrefix(final) && final.count == next + more, trial: trial,
                               "after appending \(more) events at \(next): \(final.count) read, exact prefix: \(isPrefix(final)) (\(what))")
                if let strictCount {
                    keptBeyondPromise += max(0, strictCount - state.promised)
                    lostUnpromised += max(0, state.written - strictCount)
                }
            } else {
                final = try readAll(root, session, mode: .lenient)
                findings.check(correct(final), trial: trial, "after appending, lenient reading returned a wrong or misplaced event (\(what))")
                findings.check(final.suffix(more).map { Int($0.sequence) } == Array(next..<next + more), trial: trial,
                               "the \(more) events appended at \(next) do not read back (\(what))")
                if problems.isEmpty {
                    findings.check((try? readAll(root, session)).map(isPrefix) == true, trial: trial,
                                   "verify is clean but strict reading fails or is not a prefix (\(what))")
                }
            }
        } catch {
            findings.fail(trial: trial, "recovering or appending failed (\(what)): \(error)")
        }
    }
}
