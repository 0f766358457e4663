import MMMMetricsCore
import MMMMetricsLog

/// One block's part of a query: which events pass, in which group each lands, and the values per
/// group, gathered with tag references (integers) and turned into group strings once at the end.
struct BlockAggregation {
    /// Up to four tag references: a group key inside one block, hashed without allocating.
    struct LocalKey: Hashable {
        var a: UInt32 = 0, b: UInt32 = 0, c: UInt32 = 0, d: UInt32 = 0
        var rest: [UInt32] = []
    }

    /// A group key's references per event: the session's (one group), or a tag's column.
    enum GroupColumn {
        case session
        case tag([UInt32]?)  // nil when no event of the block has the tag
    }

    /// A matcher's tag column and its verdict per string reference, computed on first use.
    struct MatcherVerdicts {
        let column: [UInt32]?
        var verdicts: [UInt8]  // 0 unknown, 1 false, 2 true; index 0 = tag absent
    }

    private let block: DecodedBlock
    private let session: String
    private let selectedMetric: [Bool]
    private let timeRange: TimeRange?
    private var matchers: [CompiledTagMatcher]
    private var verdicts: [MatcherVerdicts]
    /// Per group key: where its references come from.
    private let groupColumns: [GroupColumn]
    /// With exactly one group key: the slot of each tag reference (-1: none yet), no hashing.
    private var slotByReference: [Int]
    private let singleColumn: GroupColumn?
    private var slots: [LocalKey: Int] = [:]
    private var slotKeys: [LocalKey] = []
    private var slotValues: [[Double]] = []
    private var slotNonNumeric: [Int] = []
    private var slotName: [String] = []

    /// Prepares the block; `plan`'s matchers keep their compiled state across blocks.
    init(_ block: DecodedBlock, session: String, plan: inout QueryPlan) {
        self.block = block
        self.session = session
        selectedMetric = block.metrics.map { plan.names.isEmpty || plan.names.matches($0.name) }
        timeRange = plan.timeRange
        matchers = plan.tagMatchers
        verdicts = plan.tagMatchers.map { matcher in
            MatcherVerdicts(column: Self.column(of: matcher.key, in: block), verdicts: [UInt8](repeating: 0, count: block.strings.count + 1))
        }
        groupColumns = plan.groupBy.map { $0 == "session" ? .session : .tag(Self.column(of: $0, in: block)) }
        singleColumn = groupColumns.count == 1 ? groupColumns[0] : nil
        slotByReference = [Int](repeating: -1, count: singleColumn == nil ? 0 : block.strings.count + 1)
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

    /// Sorts every selected event of the block into its group.
    mutating func run() {
        guard selectedMetric.contains(true) else { return }
        for index in 0..<block.count {
            let metric = Int(block.metricOfEvent[index])
            guard selectedMetric[metric] else { continue }
            if let timeRange, !timeRange.contains(MetricTimestamp(nanosecondsSinceEpoch: block.timestamps[index])) { continue }
            guard passes(index) else { continue }
            let slot = self.slot(for: index, metric: metric)
            if let value = block.numericValue(at: index) {
                slotValues[slot].append(value)
            } else {
                slotNonNumeric[slot] += 1
                slotName[slot] = block.metrics[metric].name
            }
        }
    }

    /// Whether event `index` satisfies every tag matcher (a missing tag reads as "").
    private mutating func passes(_ index: Int) -> Bool {
        for position in verdicts.indices {
            let reference = verdicts[position].column.map { Int($0[index]) } ?? 0
            var verdict = verdicts[position].verdicts[reference]
            if verdict == 0 {
                let value = reference == 0 ? "" : block.strings[reference - 1]
                verdict = matchers[position].holds(for: value) ? 2 : 1
                verdicts[position].verdicts[reference] = verdict
            }
            if verdict == 1 { return false }
        }
        return true
    }

    /// The group slot of event `index`, made on first use.
    private mutating func slot(for index: Int, metric: Int) -> Int {
        if let singleColumn {
            let reference = if case .tag(let column?) = singleColumn { Int(column[index]) } else { 0 }
            if slotByReference[reference] < 0 {
                slotByReference[reference] = newSlot(LocalKey(a: UInt32(reference)), metric: metric)
            }
            return slotByReference[reference]
        }
        var key = LocalKey()
        for (position, column) in groupColumns.enumerated() {
            let reference: UInt32 = if case .tag(let column?) = column { column[index] } else { 0 }
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
        slotValues.append([])
        slotNonNumeric.append(0)
        slotName.append(block.metrics[metric].name)
        return slotKeys.count - 1
    }

    /// Hands each group's values to `aggregator`, under the group's tag values.
    func flush(into aggregator: inout GroupedAggregator) throws {
        for (slot, key) in slotKeys.enumerated() {
            let references = Array(([key.a, key.b, key.c, key.d] + key.rest).prefix(groupColumns.count))
            let group = zip(groupColumns, references).map { column, reference -> String in
                if case .session = column { return session }
                return reference == 0 ? "" : block.strings[Int(reference) - 1]
            }
            try aggregator.add(contentsOf: slotValues[slot], nonNumeric: slotNonNumeric[slot], name: slotName[slot], group: group)
        }
    }
}
