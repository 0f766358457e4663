import MMMMetricsCore
import MMMMetricsLog

/// One block's part of a query: which events pass, in which group each lands, and the values per
/// group, gathered with references (integers) and turned into group strings once at the end.
struct BlockAggregation {
    /// Up to four references: a group key inside one block, hashed without allocating.
    struct LocalKey: Hashable {
        var a: UInt32 = 0, b: UInt32 = 0, c: UInt32 = 0, d: UInt32 = 0
        var rest: [UInt32] = []

        /// The reference of group key `position`.
        func reference(at position: Int) -> UInt32 {
            switch position {
            case 0: a
            case 1: b
            case 2: c
            case 3: d
            default: rest[position - 4]
            }
        }
    }

    /// A group key's references per event. Tag references index the block's strings; name
    /// references its metrics; data and time references a table of this block's own (`LocalValues`).
    enum GroupColumn {
        case session
        case tag([UInt32]?)  // nil when no event of the block has the tag
        case name
        case data(String)
        case time(Int64)
    }

    /// Values of a data or time column met in this block, numbered from 1 (0: absent, "").
    struct LocalValues {
        var strings: [String] = []
        var byText: [ExactText: UInt32] = [:]  // by bytes, as groups are (é and e\u{301} are two)
        var byBucket: [Int64: UInt32] = [:]
        var lastBucket: (start: Int64, reference: UInt32)?

        mutating func reference(of text: String) -> UInt32 {
            // "" is absent's group: one slot, so values stay in event order (`last` breaks ties by it).
            if text.isEmpty { return 0 }
            if let known = byText[ExactText(text)] { return known }
            strings.append(text)
            byText[ExactText(text)] = UInt32(strings.count)
            return UInt32(strings.count)
        }

        /// `start` is `Int64.min` for the bucket that starts before the earliest timestamp (it is
        /// labelled by its start in whole seconds, which `Int64` nanoseconds cannot hold).
        mutating func reference(ofBucket start: Int64, width: Int64) -> UInt32 {
            if let lastBucket, lastBucket.start == start { return lastBucket.reference }
            let reference: UInt32
            if let known = byBucket[start] {
                reference = known
            } else if start == .min, width % 1_000_000_000 == 0 {
                let seconds = width / 1_000_000_000
                let earliest = Int64.min / 1_000_000_000 - 1  // the second of Int64.min nanoseconds, floored
                var first = earliest / seconds * seconds
                if first > earliest { first -= seconds }
                strings.append(RFC3339.format(secondsSinceEpoch: first))
                reference = UInt32(strings.count)
                byBucket[start] = reference
            } else {
                // Buckets are whole seconds: the label has no fraction (2026-11-29T10:00:00Z).
                let label = RFC3339.format(MetricTimestamp(nanosecondsSinceEpoch: start))
                strings.append(label.hasSuffix(".000000000Z") ? String(label.dropLast(11)) + "Z" : label)
                reference = UInt32(strings.count)
                byBucket[start] = reference
            }
            lastBucket = (start, reference)
            return reference
        }
    }

    /// A matcher's tag column and its verdict per string reference, computed on first use.
    struct MatcherVerdicts {
        let column: [UInt32]?
        var verdicts: [UInt8]  // 0 unknown, 1 false, 2 true; index 0 = tag absent
    }

    private let block: DecodedBlock
    private let session: String
    /// The reference of the block's empty string (0 when it has none): an event whose tag is ""
    /// falls in one group with those lacking the tag, so it takes the same slot (two slots of one
    /// group would hand their values over slot by slot, out of event order).
    private let emptyReference: UInt32
    private let selectedMetric: [Bool]
    private let timeRange: TimeRange?
    private var matchers: [CompiledTagMatcher]
    private var verdicts: [MatcherVerdicts]
    /// Per group key: where its references come from.
    private let groupColumns: [GroupColumn]
    private var localValues: [LocalValues]
    /// With no group key, or exactly one tag (or session) key: the slot of each tag reference (-1:
    /// none yet), no hashing.
    private var slotByReference: [Int]
    private let singleColumn: GroupColumn?
    private let hashesKeys: Bool
    /// Whether groups keep totals (`slotTotals`: the block's own partial sum in event order, as a
    /// summary's) rather than values (`slotValues`), for `count`, `sum`, `avg`, `min` and `max`.
    private let keepsTotals: Bool
    private var slotTotals: [SummaryTotals] = []
    private var slots: [LocalKey: Int] = [:]
    private var slotKeys: [LocalKey] = []
    /// Each slot's group values packed (``GroupKeyTable``) back to back, where each ends, and the hash of each.
    private var packedGroups: [UInt8] = []
    private var packedEnds: [Int] = []
    private var packedHashes: [UInt64] = []
    /// Without totals: each numeric value of a selected event in event order, its slot, and (with
    /// `keepsTimestamps`) its timestamp. ``groups()`` sorts them by slot into one array; an array
    /// per slot cost an allocation per group per block (thousands per block when grouping by path),
    /// freed on the folding thread.
    private var valueSlots: [Int32] = []
    private var values: [Double] = []
    private var valueTimestamps: [Int64] = []
    private let keepsTimestamps: Bool
    private var slotNonNumeric: [Int] = []
    private var slotExtraCount: [Double] = []
    private var slotExtraSum: [Double] = []
    /// The sample-rate tag's column, when scaling and some event of the block carries it, and the
    /// weight per string reference (0: not yet known; -1: not a rate).
    private let rateColumn: [UInt32]?
    private var rateWeights: [Double]
    /// Each slot's metric (the last custom event's, else the first event's): its name goes into an
    /// error message. An index, not a string: no reference count per group per block.
    private var slotMetric: [Int32] = []
    /// Checked tag keys not yet seen on a selected event, with their column in this block.
    private var unseenTags: [(key: String, column: [UInt32]?)]

    /// Prepares the block; `plan`'s matchers keep their compiled state across blocks. With
    /// `keepsTimestamps`, each value's timestamp goes to the aggregator too (`first`, `last`); with
    /// `keepsTotals` (only for an aggregator that ``GroupedAggregator/acceptsTotals``), each group's
    /// totals go instead of its values.
    init(
        _ block: DecodedBlock, session: String, plan: inout QueryPlan, keepsTimestamps: Bool = false, keepsTotals: Bool = false,
        usage: KeyUsage = KeyUsage()
    ) {
        self.block = block
        self.session = session
        var emptyReference: UInt32 = 0
        for index in 0..<block.stringCount where block.packedStringEnds[index] - (index == 0 ? 0 : block.packedStringEnds[index - 1]) == 1 {
            emptyReference = UInt32(index + 1)  // packed as its length alone: one byte, 0
            break
        }
        self.emptyReference = emptyReference
        self.keepsTimestamps = keepsTimestamps
        self.keepsTotals = keepsTotals && !keepsTimestamps
        selectedMetric = block.metrics.map { plan.names.isEmpty || plan.names.matches($0.name) }
        timeRange = plan.timeRange
        matchers = plan.tagMatchers
        verdicts = plan.tagMatchers.map { matcher in
            MatcherVerdicts(column: Self.column(of: matcher.key, in: block), verdicts: [UInt8](repeating: 0, count: block.stringCount + 1))
        }
        groupColumns = plan.groupKeys.map { key in
            switch key {
            case .session: .session
            case .tag(let name): .tag(Self.column(of: name, in: block))
            case .name: .name
            case .data(let field): .data(field)
            case .time(let width): .time(width)
            }
        }
        localValues = groupColumns.map { _ in LocalValues() }
        let single: GroupColumn? = switch groupColumns.first {
        case .session?, .tag?: groupColumns.count == 1 ? groupColumns[0] : nil
        default: nil
        }
        singleColumn = single
        hashesKeys = single == nil && !groupColumns.isEmpty
        slotByReference = [Int](repeating: -1, count: hashesKeys ? 0 : block.stringCount + 1)
        // A slot per distinct reference at most: the slot arrays are sized once.
        let slots = min(block.count, hashesKeys ? 64 : block.stringCount + 1)
        slotKeys.reserveCapacity(slots)
        if self.keepsTotals { slotTotals.reserveCapacity(slots) }
        slotNonNumeric.reserveCapacity(slots)
        slotExtraCount.reserveCapacity(slots)
        slotExtraSum.reserveCapacity(slots)
        slotMetric.reserveCapacity(slots)
        rateColumn = plan.scalesSampledEvents ? Self.column(of: SampleRate.tag, in: block) : nil
        rateWeights = [Double](repeating: 0, count: rateColumn == nil ? 0 : block.stringCount + 1)
        unseenTags = plan.checkedTagKeys.filter { !usage.carriedTags.contains($0) }.map { ($0, Self.column(of: $0, in: block)) }
    }

    /// The references of tag `key` per event, nil when the block has no such key. Keys are compared
    /// as Swift strings, as the query language compares them; the block stores two spellings of one
    /// canonical key (`"é"`, `"e\u{301}"`) as two columns, which no event has both of, so they merge.
    static func column(of key: String, in block: DecodedBlock) -> [UInt32]? {
        let columns = block.tagKeys.indices.filter { block.tagKeys[$0] == key }
        guard let first = columns.first else { return nil }
        guard columns.count > 1 else { return block.tagColumns[first] }
        var merged = block.tagColumns[first]
        for column in columns.dropFirst() {
            for (index, reference) in block.tagColumns[column].enumerated() where reference != 0 { merged[index] = reference }
        }
        return merged
    }

    /// Sorts every selected event of the block into its group, noting in `usage` which checked
    /// keys the selected events carry.
    mutating func run(usage: inout KeyUsage) {
        guard selectedMetric.contains(true) else { return }
        defer { packGroups() }
        if !keepsTotals {
            // At most one value per event: no growing (copies, page faults) while the block is read.
            valueSlots.reserveCapacity(block.count)
            values.reserveCapacity(block.count)
            if keepsTimestamps { valueTimestamps.reserveCapacity(block.count) }
        }
        if timeRange == nil, verdicts.isEmpty, rateColumn == nil, !hashesKeys {
            return runPlain(usage: &usage)
        }
        for index in 0..<block.count {
            let metric = Int(block.metricOfEvent[index])
            guard selectedMetric[metric] else { continue }
            if let timeRange, !timeRange.contains(MetricTimestamp(nanosecondsSinceEpoch: block.timestamps[index])) { continue }
            usage.selectedEvents += 1
            if !unseenTags.isEmpty { noteTags(index, metric: metric, usage: &usage) }
            guard passes(index) else { continue }
            let isTimer = block.kinds[metric] == .timer
            if usage.onlyTimers != false, usage.onlyTimers != isTimer { usage.onlyTimers = usage.onlyTimers == nil ? isTimer : false }
            let slot = self.slot(for: index, metric: metric)
            let value = block.numericValue(at: index)
            if let rateColumn, rateColumn[index] != 0 {
                let extra = weight(of: Int(rateColumn[index]), usage: &usage) - 1
                slotExtraCount[slot] += extra
                if let value, !value.isNaN { slotExtraSum[slot] += value * extra }
            }
            add(value, event: index, metric: metric, slot: slot)
        }
    }

    /// Adds event `index`'s value (nil: a custom event's) to its slot.
    @inline(__always)
    private mutating func add(_ value: Double?, event index: Int, metric: Int, slot: Int) {
        guard let value else {
            slotNonNumeric[slot] += 1
            slotMetric[slot] = Int32(truncatingIfNeeded: metric)
            return
        }
        if keepsTotals {
            slotTotals[slot].add(value)
        } else {
            valueSlots.append(Int32(truncatingIfNeeded: slot))
            values.append(value)
            if keepsTimestamps { valueTimestamps.append(block.timestamps[index]) }
        }
    }

    /// ``run(usage:)`` when only the metric decides whether an event counts (no time range, tag
    /// matcher or sample rate) and one tag or the session (or nothing) names its group: the most
    /// common query, as one loop over the block's columns that does what the general loop does.
    /// (`usage.selectedEvents` is added at the end: `noteTags` does not read it.)
    private mutating func runPlain(usage: inout KeyUsage) {
        let metricOfEvent = block.metricOfEvent, rawValues = block.rawValues
        let kinds = block.kinds, selectedMetric = self.selectedMetric
        let column: [UInt32]? = if case .tag(let column?) = singleColumn { column } else { nil }
        let emptyReference = Int(self.emptyReference)
        var onlyTimers = usage.onlyTimers
        var selected = 0
        for index in 0..<block.count {
            let metric = Int(metricOfEvent[index])
            guard selectedMetric[metric] else { continue }
            selected += 1
            if !unseenTags.isEmpty { noteTags(index, metric: metric, usage: &usage) }
            let kind = kinds[metric]
            let isTimer = kind == .timer
            if onlyTimers != false, onlyTimers != isTimer { onlyTimers = onlyTimers == nil ? isTimer : false }
            var reference = column.map { Int($0[index]) } ?? 0
            if reference == emptyReference { reference = 0 }
            var slot = slotByReference[reference]
            if slot < 0 {
                slot = newSlot(LocalKey(a: UInt32(reference)), metric: metric)
                slotByReference[reference] = slot
            }
            // What `DecodedBlock.numericValue(at:)` gives, inlined (it is another module's).
            let raw = rawValues[index]
            let value: Double? = switch kind {
            case .counter: Double(Int64(bitPattern: raw))
            case .gauge: Double(bitPattern: raw)
            case .timer: Double(Int64(bitPattern: raw)) / 1e9
            case .custom: nil
            }
            add(value, event: index, metric: metric, slot: slot)
        }
        usage.selectedEvents += selected
        usage.onlyTimers = onlyTimers
    }

    /// Marks the checked tags event `index` carries, and counts the selected custom events (the
    /// warning's hint looks in their data afterwards: `QueryEngine.fieldsNamedLike`).
    private mutating func noteTags(_ index: Int, metric: Int, usage: inout KeyUsage) {
        unseenTags.removeAll { key, column in
            guard let column, column[index] != 0 else { return false }
            usage.carriedTags.insert(key)
            return true
        }
        if block.kinds[metric] == .custom { usage.customEventsLackingTags += 1 }
    }

    /// The weight (1/rate) of a sample-rate tag value; 1, counted as invalid, for what is no rate.
    private mutating func weight(of reference: Int, usage: inout KeyUsage) -> Double {
        if rateWeights[reference] == 0 {
            rateWeights[reference] = SampleRate.weight(block.string(at: reference - 1)) ?? -1
        }
        guard rateWeights[reference] > 0 else {
            usage.invalidRates += 1
            return 1
        }
        return rateWeights[reference]
    }

    /// Whether event `index` satisfies every tag matcher (a missing tag reads as "").
    private mutating func passes(_ index: Int) -> Bool {
        for position in verdicts.indices {
            let reference = verdicts[position].column.map { Int($0[index]) } ?? 0
            var verdict = verdicts[position].verdicts[reference]
            if verdict == 0 {
                let value = reference == 0 ? "" : block.string(at: reference - 1)
                verdict = matchers[position].holds(for: value) ? 2 : 1
                verdicts[position].verdicts[reference] = verdict
            }
            if verdict == 1 { return false }
        }
        return true
    }

    /// The reference of event `index` in group column `position`.
    private mutating func reference(_ index: Int, metric: Int, column position: Int) -> UInt32 {
        switch groupColumns[position] {
        case .session: return 0
        case .tag(let column):
            let reference = column?[index] ?? 0
            return reference == emptyReference ? 0 : reference
        case .name: return UInt32(metric + 1)
        case .data(let field):
            guard block.kinds[metric] == .custom, case .object(let fields) = block.customData(Int(block.rawValues[index])),
                let value = fields[field]
            else { return 0 }
            if case .string(let text) = value { return localValues[position].reference(of: text) }
            return localValues[position].reference(of: JSONText.encode(value))
        case .time(let width):
            let timestamp = block.timestamps[index]
            // Floor division: buckets are aligned to multiples of the width since the epoch, also before it.
            var start = (timestamp / width) * width
            if start > timestamp {
                let (earlier, overflow) = start.subtractingReportingOverflow(width)
                start = overflow ? .min : earlier
            }
            return localValues[position].reference(ofBucket: start, width: width)
        }
    }

    /// The group slot of event `index`, made on first use.
    private mutating func slot(for index: Int, metric: Int) -> Int {
        if !hashesKeys {
            var reference = if case .tag(let column?) = singleColumn { Int(column[index]) } else { 0 }
            if reference == Int(emptyReference) { reference = 0 }
            if slotByReference[reference] < 0 {
                slotByReference[reference] = newSlot(LocalKey(a: UInt32(reference)), metric: metric)
            }
            return slotByReference[reference]
        }
        var key = LocalKey()
        for position in groupColumns.indices {
            let reference = self.reference(index, metric: metric, column: position)
            switch position {
            case 0: key.a = reference
            case 1: key.b = reference
            case 2: key.c = reference
            case 3: key.d = reference
            default: key.rest.append(reference)
            }
        }
        if let known = slots[key] { return known }
        let slot = newSlot(key, metric: metric)
        slots[key] = slot
        return slot
    }

    private mutating func newSlot(_ key: LocalKey, metric: Int) -> Int {
        slotKeys.append(key)
        if keepsTotals { slotTotals.append(SummaryTotals()) }
        slotNonNumeric.append(0)
        slotExtraCount.append(0)
        slotExtraSum.append(0)
        slotMetric.append(Int32(truncatingIfNeeded: metric))
        return slotKeys.count - 1
    }

    /// Each slot's group values, packed and hashed: made at the end of ``run(usage:)``, on the
    /// thread that runs it, so the thread that folds them only looks them up (by bytes, no strings made).
    private mutating func packGroups() {
        packedEnds.reserveCapacity(slotKeys.count)
        packedHashes.reserveCapacity(slotKeys.count)
        // Grown once: by tag values alone, each group's key is one of the block's strings (or "").
        packedGroups.reserveCapacity(packedGroups.count + block.packedStrings.count + slotKeys.count * groupColumns.count)
        for key in slotKeys {
            let start = packedGroups.count
            for position in groupColumns.indices {
                let reference = Int(key.reference(at: position))
                switch groupColumns[position] {
                case .session: Self.pack(session, into: &packedGroups)
                case .name: Self.pack(block.metrics[reference - 1].name, into: &packedGroups)
                case .tag where reference == 0: packedGroups.append(0)  // "": length 0
                case .tag:
                    let start = reference == 1 ? 0 : block.packedStringEnds[reference - 2]
                    block.packedStrings.withUnsafeBytes { packed in
                        packedGroups.append(contentsOf: UnsafeRawBufferPointer(rebasing: packed[start..<block.packedStringEnds[reference - 1]]))
                    }
                case .data, .time: Self.pack(reference == 0 ? "" : localValues[position].strings[reference - 1], into: &packedGroups)
                }
            }
            packedEnds.append(packedGroups.count)
            packedHashes.append(packedGroups.withUnsafeBytes { ByteHash.hash(UnsafeRawBufferPointer(rebasing: $0[start...])) })
        }
    }

    @inline(__always)
    private static func pack(_ value: String, into bytes: inout [UInt8]) {
        var value = value
        value.withUTF8 { GroupKeyTable.pack(value: UnsafeRawBufferPointer($0), into: &bytes) }
    }

    /// The groups of the block's selected events, ready to fold; the block itself is not kept (so
    /// it is freed on the thread that decoded it). Call after ``run(usage:)``.
    func groups() -> BlockGroups {
        // The values sorted by slot, each slot's in event order (a counting sort); none with totals.
        let slotCount = keepsTotals ? 0 : slotKeys.count
        var valueEnds = [Int](repeating: 0, count: slotCount)
        for slot in valueSlots { valueEnds[Int(slot)] += 1 }
        var next = [Int](repeating: 0, count: slotCount)
        var total = 0
        for slot in 0..<slotCount {
            next[slot] = total
            total += valueEnds[slot]
            valueEnds[slot] = total
        }
        var sortedValues = [Double](repeating: 0, count: values.count)
        var sortedTimestamps = [Int64](repeating: 0, count: valueTimestamps.count)
        for (position, slot) in valueSlots.enumerated() {
            let target = next[Int(slot)]
            next[Int(slot)] = target + 1
            sortedValues[target] = values[position]
            if keepsTimestamps { sortedTimestamps[target] = valueTimestamps[position] }
        }
        return BlockGroups(
            eventCount: block.count,
            presentFields: groupColumns.enumerated().compactMap { position, column in
                if case .data(let field) = column, !localValues[position].strings.isEmpty { field } else { nil }
            },
            packedGroups: packedGroups, packedEnds: packedEnds, packedHashes: packedHashes, keepsTotals: keepsTotals, totals: slotTotals, values: sortedValues, valueEnds: valueEnds,
            timestamps: sortedTimestamps,
            nonNumeric: slotNonNumeric, extraCount: slotExtraCount, extraSum: slotExtraSum, metrics: slotMetric,
            metricNames: block.metrics.map(\.name))
    }
}

/// One block's groups and their values (or totals), as ``BlockAggregation`` sorted them: what the
/// folding thread adds to the answer.
struct BlockGroups: @unchecked Sendable {  // strings and numbers, handed from one thread to another
    /// The block's events, selected or not (for progress).
    let eventCount: Int
    /// Grouped-by data fields met in the block.
    let presentFields: [String]
    /// Each group's values packed (``GroupKeyTable``), back to back; group g's end at `packedEnds[g]`.
    let packedGroups: [UInt8]
    let packedEnds: [Int]
    let packedHashes: [UInt64]
    let keepsTotals: Bool
    let totals: [SummaryTotals]
    /// Without totals: every group's values, group by group; group g's end at `valueEnds[g]`.
    let values: [Double]
    let valueEnds: [Int]
    /// The values' timestamps, when kept (else empty).
    let timestamps: [Int64]
    let nonNumeric: [Int]
    let extraCount: [Double]
    let extraSum: [Double]
    /// Each group's metric, an index into `metricNames` (for the error a custom event can raise).
    let metrics: [Int32]
    let metricNames: [String]

    /// Hands each group's values (or totals) to `aggregator`, and notes the data fields met in `usage`.
    func flush(into aggregator: inout GroupedAggregator, usage: inout KeyUsage) throws {
        usage.presentFields.formUnion(presentFields)
        try packedGroups.withUnsafeBytes { (packed: UnsafeRawBufferPointer) throws in
            try values.withUnsafeBufferPointer { values throws in
                try timestamps.withUnsafeBufferPointer { timestamps throws in
                    var start = 0
                    for slot in packedEnds.indices {
                        let group = UnsafeRawBufferPointer(rebasing: packed[start..<packedEnds[slot]])
                        start = packedEnds[slot]
                        if keepsTotals {
                            let totals = totals[slot], nonNumeric = nonNumeric[slot]
                            try aggregator.add(
                                count: totals.count + nonNumeric, numeric: totals.numeric, sum: totals.sum, minimum: totals.minimum,
                                maximum: totals.maximum, nonNumeric: nonNumeric > 0, extraCount: extraCount[slot],
                                extraSum: extraSum[slot], name: metricNames[Int(metrics[slot])], packedGroup: group, hash: packedHashes[slot])
                        } else {
                            let range = (slot == 0 ? 0 : valueEnds[slot - 1])..<valueEnds[slot]
                            try aggregator.add(
                                contentsOf: UnsafeBufferPointer(rebasing: values[range]),
                                timestamps: timestamps.isEmpty ? UnsafeBufferPointer(start: nil, count: 0) : UnsafeBufferPointer(rebasing: timestamps[range]),
                                nonNumeric: nonNumeric[slot], extraCount: extraCount[slot], extraSum: extraSum[slot],
                                name: metricNames[Int(metrics[slot])],
                                packedGroup: group, hash: packedHashes[slot])
                        }
                    }
                }
            }
        }
    }
}
