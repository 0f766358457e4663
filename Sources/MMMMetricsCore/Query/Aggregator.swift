
/// Exact order statistics.
package enum Percentile {
    /// The q-th percentile (q in [0, 100]) of ascending `sorted` values by linear interpolation
    /// between closest ranks (Hyndman–Fan type 7, numpy's default, DuckDB's `quantile_cont`);
    /// `nil` for no values.
    @inlinable
    package static func of(sorted: some RandomAccessCollection<Double>, q: Double) -> Double? {
        guard !sorted.isEmpty else { return nil }
        let n = sorted.count
        let h = Double(n - 1) * (Swift.min(Swift.max(q, 0), 100) / 100)
        let lowRank = Int(h.rounded(.down))
        let low = sorted[sorted.index(sorted.startIndex, offsetBy: lowRank)]
        guard lowRank + 1 < n else { return low }
        let high = sorted[sorted.index(sorted.startIndex, offsetBy: lowRank + 1)]
        let fraction = h - Double(lowRank)
        return fraction == 0 ? low : interpolate(low, high, fraction)
    }

    /// `low + fraction × (high − low)`; for values more than 1.8e308 apart (the difference does not
    /// fit a double) the two are weighted separately instead.
    @inlinable
    package static func interpolate(_ low: Double, _ high: Double, _ fraction: Double) -> Double {
        let spread = high - low
        return spread.isFinite ? low + fraction * spread : low * (1 - fraction) + high * fraction
    }
}

extension Percentile {
    /// The same result as ``of(sorted:q:)`` for unsorted values, in expected linear time (quickselect):
    /// `values` is reordered. `nil` for no values.
    package static func select(_ values: inout [Double], q: Double) -> Double? {
        guard !values.isEmpty else { return nil }
        let n = values.count
        let h = Double(n - 1) * (Swift.min(Swift.max(q, 0), 100) / 100)
        let lowRank = Int(h.rounded(.down))
        let low = nthSmallest(&values, lowRank)
        let fraction = h - Double(lowRank)
        guard lowRank + 1 < n, fraction != 0 else { return low }
        // After selection every element right of lowRank is ≥ low: the next order statistic is their minimum.
        let high = values[(lowRank + 1)...].min()!
        return interpolate(low, high, fraction)
    }

    /// Reorders `values` so that index `k` holds the k-th smallest, smaller ones before, larger after.
    static func nthSmallest(_ values: inout [Double], _ k: Int) -> Double {
        var low = 0
        var high = values.count - 1
        var seed: UInt64 = 0x9E37_79B9_7F4A_7C15
        values.withUnsafeMutableBufferPointer { buffer in
            while low < high {
                // Median of three, with a little randomness against adversarial orders.
                seed = seed &* 6364136223846793005 &+ 1442695040888963407
                let middle = low + Int((seed >> 33) % UInt64(high - low + 1))
                let pivot = medianOfThree(buffer[low], buffer[middle], buffer[high])
                var i = low
                var j = high
                while i <= j {
                    while buffer[i] < pivot { i += 1 }
                    while buffer[j] > pivot { j -= 1 }
                    if i <= j {
                        buffer.swapAt(i, j)
                        i += 1
                        j -= 1
                    }
                }
                if k <= j { high = j } else if k >= i { low = i } else { break }
            }
        }
        return values[k]
    }

    private static func medianOfThree(_ a: Double, _ b: Double, _ c: Double) -> Double {
        Swift.max(Swift.min(a, b), Swift.min(Swift.max(a, b), c))
    }
}

/// A user-defined aggregation: a fold with an initial state, a step, a merge and a result.
///
/// Merge must be associative so that separately folded parts (segments, sessions) combine to
/// the same result as one fold over all values.
public protocol AggregationFunction: Sendable {
    /// The fold's running state.
    associatedtype State
    /// The state before any value.
    func initialState() -> State
    /// Adds one value.
    func step(_ state: inout State, _ value: Double)
    /// Combines two states.
    func merge(_ state: inout State, _ other: State)
    /// The final value; `nil` for no value (the group yields no row).
    func result(_ state: State) -> Double?
}

/// A type-erased ``AggregationFunction``.
package struct AnyAggregationFunction: Sendable {
    /// The name queries call it by.
    package let name: String
    fileprivate let initial: @Sendable () -> any Sendable
    fileprivate let step: @Sendable (inout any Sendable, Double) -> Void
    fileprivate let merge: @Sendable (inout any Sendable, any Sendable) -> Void
    fileprivate let result: @Sendable (any Sendable) -> Double?

    /// Wraps a function under a name.
    package init<F: AggregationFunction>(name: String, _ function: F) where F.State: Sendable {
        self.name = name
        initial = { function.initialState() }
        step = { state, value in
            var typed = state as! F.State
            function.step(&typed, value)
            state = typed
        }
        merge = { state, other in
            var typed = state as! F.State
            function.merge(&typed, other as! F.State)
            state = typed
        }
        result = { function.result($0 as! F.State) }
    }
}

/// Named aggregation functions that queries can call besides the built-ins.
public final class AggregationRegistry: Sendable {
    private let functions: LockedState<[String: AnyAggregationFunction]>

    /// The names every query language knows without registration.
    public static let builtInNames = [
        "avg", "count", "first", "last", "max", "min", "p50", "p75", "p90", "p95", "p99", "p999", "percentile", "stddev", "sum",
    ]

    /// An empty registry.
    public init() { functions = LockedState([:]) }

    /// Registers (or replaces) a function under `name`.
    public func register<F: AggregationFunction>(_ name: String, _ function: F) where F.State: Sendable {
        functions.withLock { $0[name] = AnyAggregationFunction(name: name, function) }
    }

    /// The function registered under `name`.
    package func function(named name: String) -> AnyAggregationFunction? {
        functions.withLock { $0[name] }
    }

    /// Registered names, sorted.
    public var registeredNames: [String] { functions.withLock { $0.keys.sorted() } }
}

/// Folds values into per-group aggregates; the shared engine behind every ``MetricsReader``.
///
/// NaN values count as events for `count` and are skipped by every other aggregation. `first` and
/// `last` need each value's timestamp; values of one group must be added in append order, and a
/// merged aggregator's values count as appended after this one's.
package struct GroupedAggregator {
    /// A group's counts, sum and extremes: all that `count`, `sum`, `avg`, `min` and `max` read.
    /// Kept apart from the rest (``Detail``) so that looking up a group and adding to it touches one
    /// small record: a query over thousands of file paths does so for every path in every block.
    fileprivate struct Fold {
        var count = 0
        var numeric = 0
        var sum = 0.0
        var minimum = Double.infinity
        var maximum = -Double.infinity
        /// Sampled events: what their weights (1/rate) add beyond 1 each, to the count and to the sum.
        var extraCount = 0.0
        var extraSum = 0.0
    }

    /// What only some aggregations keep per group: a percentile's values, a custom function's
    /// state, `first`/`last`, `stddev`.
    fileprivate struct Detail {
        var values: [Double] = []
        var state: (any Sendable)?
        /// `first`: the earliest value's timestamp and value (ties keep the one added first).
        var firstTime = Int64.max
        var firstValue = Double.nan
        /// `last`: the latest value's timestamp and value (ties take the one added last).
        var lastTime = Int64.min
        var lastValue = Double.nan
        /// `stddev`: the running mean and sum of squared deviations (Welford), over the numeric values,
        /// divided by 2^`spreadScale` and 2^(2 × `spreadScale`): scaled by the largest binary exponent
        /// met, so that values 1e154 apart do not overflow the squares. Scaling by a power of two is
        /// exact, so the answer is the same as unscaled where that does not overflow.
        var mean = 0.0
        var squaredDeviations = 0.0
        var spreadScale = 0
    }

    /// What a fold keeps besides counts, sums and extremes.
    fileprivate struct Tracking {
        var values = false
        var time = false
        var spread = false
    }

    /// The aggregation computed.
    package let aggregation: Aggregation
    /// Tag keys grouped by.
    package let groupBy: [String]
    private let custom: AnyAggregationFunction?
    private let tracking: Tracking
    /// Each group's place in `keys` and `folds`, by its values' bytes (``GroupKeyTable``).
    private var places = GroupKeyTable()
    private var keys: [ExactGroup] = []
    private var folds: [Fold] = []
    /// Each group's ``Detail``, by place, when the aggregation keeps one (``keepsDetails``); else empty.
    private var details: [Detail] = []
    private let keepsDetails: Bool

    /// Prepares an aggregation; a custom name must be registered in `functions`.
    package init(_ aggregation: Aggregation, groupBy: [String] = [], functions: AggregationRegistry? = nil) throws {
        self.aggregation = aggregation
        self.groupBy = groupBy
        switch aggregation {
        case .percentile(let q):
            guard q >= 0, q <= 100 else { throw MetricsReaderError.percentileOutOfRange(q) }
            custom = nil
        case .custom(let name):
            guard let function = functions?.function(named: name) else {
                throw MetricsReaderError.unknownAggregation(
                    name, known: (AggregationRegistry.builtInNames + (functions?.registeredNames ?? [])).sorted())
            }
            custom = function
        default:
            custom = nil
        }
        var tracking = Tracking()
        switch aggregation {
        case .percentile: tracking.values = true
        case .first, .last: tracking.time = true
        case .standardDeviation: tracking.spread = true
        default: break
        }
        self.tracking = tracking
        keepsDetails = custom != nil || tracking.values || tracking.time || tracking.spread
    }

    /// Whether values need their timestamps (`first`, `last`).
    package var needsTimestamps: Bool { tracking.time }
    /// Whether the answer is a number of events, whatever their values: built-in `count`.
    package var countsOnly: Bool { custom == nil && aggregation == .count }

    /// The group key of an event's tags.
    package func groupKey(tags: Tags, extraTags: Tags? = nil) -> [String] {
        groupBy.map { tags[$0] ?? extraTags?[$0] ?? "" }
    }

    /// Adds one event's value to its group. `value` is `nil` for custom events, which only `count` accepts.
    package mutating func add(value: Double?, timestamp: Int64 = 0, name: String, group: [String]) throws {
        if value == nil, aggregation != .count {
            throw MetricsReaderError.aggregationNeedsNumbers(aggregation: aggregation.name, metric: name)
        }
        add(value, timestamp: timestamp, at: place(of: group))
    }

    /// Adds many events of one group at once: `values` are their numbers, `nonNumeric` the number of
    /// custom events among them (only `count` accepts those), `timestamps` the values' timestamps
    /// (needed by `first` and `last`, else ignored). One group lookup for the lot.
    ///
    /// `extraCount` and `extraSum` scale `count` and `sum` for sampled events: what their weights
    /// (1/rate) add beyond 1 per event, and beyond each value.
    package mutating func add(
        contentsOf values: [Double], timestamps: [Int64] = [], nonNumeric: Int = 0, extraCount: Double = 0, extraSum: Double = 0,
        name: String, group: [String]
    ) throws {
        let place = place(of: group)
        try values.withUnsafeBufferPointer { values in
            try timestamps.withUnsafeBufferPointer { timestamps in
                try add(contentsOf: values, timestamps: timestamps, nonNumeric: nonNumeric, extraCount: extraCount, extraSum: extraSum,
                        name: name, place: place)
            }
        }
    }

    /// ``add(contentsOf:timestamps:nonNumeric:extraCount:extraSum:name:group:)`` for a group given
    /// as its packing (``GroupKeyTable/pack(_:into:)``) and the packing's ``ByteHash``.
    package mutating func add(
        contentsOf values: UnsafeBufferPointer<Double>, timestamps: UnsafeBufferPointer<Int64>, nonNumeric: Int = 0, extraCount: Double = 0,
        extraSum: Double = 0, name: String, packedGroup: UnsafeRawBufferPointer, hash: UInt64
    ) throws {
        try add(contentsOf: values, timestamps: timestamps, nonNumeric: nonNumeric, extraCount: extraCount, extraSum: extraSum, name: name,
                place: place(of: packedGroup, hash: hash))
    }

    private mutating func add(
        contentsOf values: UnsafeBufferPointer<Double>, timestamps: UnsafeBufferPointer<Int64>, nonNumeric: Int, extraCount: Double, extraSum: Double, name: String, place: Int
    ) throws {
        if nonNumeric > 0, aggregation != .count {
            throw MetricsReaderError.aggregationNeedsNumbers(aggregation: aggregation.name, metric: name)
        }
        folds[place].extraCount += extraCount
        folds[place].extraSum += extraSum
        if !keepsDetails {
            // A batch (one group of one block) is summed on its own, then added: as a block's totals
            // from the index are, so a time range that cuts a block gives the same sum.
            var numeric = 0, partial = 0.0, minimum = Double.infinity, maximum = -Double.infinity
            for value in values where !value.isNaN {
                numeric += 1
                partial += value
                minimum = Swift.min(minimum, value)
                maximum = Swift.max(maximum, value)
            }
            folds[place].add(count: values.count + nonNumeric, numeric: numeric, sum: partial, minimum: minimum, maximum: maximum)
        } else if custom == nil, tracking.values, !tracking.time, !tracking.spread {
            // A percentile: only the values and the counts matter (its answer reads nothing else).
            // Appended in place (no copy of the values).
            let before = details[place].values.count
            for value in values where !value.isNaN { details[place].values.append(value) }
            folds[place].count += values.count + nonNumeric
            folds[place].numeric += details[place].values.count - before
        } else {
            for (index, value) in values.enumerated() {
                add(value, timestamp: index < timestamps.count ? timestamps[index] : 0, at: place)
            }
            folds[place].count += nonNumeric
        }
    }

    /// Adds one value (nil: a custom event's) to the group at `place`.
    private mutating func add(_ value: Double?, timestamp: Int64, at place: Int) {
        folds[place].count += 1
        guard let value, !value.isNaN else { return }
        folds[place].numeric += 1
        if keepsDetails {
            let numeric = folds[place].numeric
            let custom = self.custom, tracking = self.tracking
            details[place].add(value, timestamp: timestamp, numeric: numeric, custom: custom, tracking: tracking)
            if custom != nil { return }
        }
        folds[place].sum += value
        folds[place].minimum = Swift.min(folds[place].minimum, value)
        folds[place].maximum = Swift.max(folds[place].maximum, value)
    }

    /// Whether ``add(count:numeric:sum:minimum:maximum:nonNumeric:extraCount:extraSum:name:group:)``
    /// can stand for adding the values one by one: `count`, `sum`, `avg`, `min` and `max`.
    package var acceptsTotals: Bool {
        guard custom == nil else { return false }
        switch aggregation {
        case .count, .sum, .average, .min, .max: return true
        default: return false
        }
    }

    /// Adds the totals of some events of one group, folded elsewhere in their order: `count` events,
    /// `numeric` of them with a number that is not NaN, whose sum and extremes are given. With
    /// `nonNumeric` (they are custom events) only `count` accepts them. Only when ``acceptsTotals``.
    package mutating func add(
        count: Int, numeric: Int, sum: Double, minimum: Double, maximum: Double, nonNumeric: Bool, extraCount: Double = 0,
        extraSum: Double = 0, name: String, group: [String]
    ) throws {
        if nonNumeric, count > 0, aggregation != .count {
            throw MetricsReaderError.aggregationNeedsNumbers(aggregation: aggregation.name, metric: name)
        }
        let place = place(of: group)
        folds[place].add(count: count, numeric: numeric, sum: sum, minimum: minimum, maximum: maximum)
        folds[place].extraCount += extraCount
        folds[place].extraSum += extraSum
    }

    /// ``add(count:numeric:sum:minimum:maximum:nonNumeric:extraCount:extraSum:name:group:)`` for a
    /// group given as its packing (``GroupKeyTable/pack(_:into:)``) and the packing's ``ByteHash``.
    package mutating func add(
        count: Int, numeric: Int, sum: Double, minimum: Double, maximum: Double, nonNumeric: Bool, extraCount: Double = 0,
        extraSum: Double = 0, name: String, packedGroup: UnsafeRawBufferPointer, hash: UInt64
    ) throws {
        if nonNumeric, count > 0, aggregation != .count {
            throw MetricsReaderError.aggregationNeedsNumbers(aggregation: aggregation.name, metric: name)
        }
        let place = place(of: packedGroup, hash: hash)
        folds[place].add(count: count, numeric: numeric, sum: sum, minimum: minimum, maximum: maximum)
        folds[place].extraCount += extraCount
        folds[place].extraSum += extraSum
    }

    /// The place of `group` in `folds`, made (with an empty fold) on first use.
    private mutating func place(of group: [String]) -> Int {
        let (number, isNew) = places.number(of: group)
        if isNew {
            keys.append(ExactGroup(group))
            folds.append(Fold())
            if keepsDetails { details.append(Detail(state: custom?.initial())) }
        }
        return number
    }

    /// The place of the group packed as `packing`, made (with an empty fold) on first use.
    @inline(__always)
    private mutating func place(of packing: UnsafeRawBufferPointer, hash: UInt64) -> Int {
        let (number, isNew) = places.number(of: packing, hash: hash)
        if isNew {
            keys.append(ExactGroup(GroupKeyTable.unpack(packing)))
            folds.append(Fold())
            if keepsDetails { details.append(Detail(state: custom?.initial())) }
        }
        return number
    }

    /// Combines another aggregator's groups into this one (same aggregation and grouping).
    package mutating func merge(_ other: GroupedAggregator) {
        for (number, key) in other.keys.enumerated() {
            let fold = other.folds[number]
            let (place, isNew) = places.number(of: key.values)
            guard !isNew else {
                keys.append(key)
                folds.append(fold)
                if keepsDetails { details.append(other.details[number]) }
                continue
            }
            if keepsDetails {
                var mine = details[place]
                details[place] = Detail()  // no second reference to `values` while `mine` grows
                mine.merge(other.details[number], numeric: folds[place].numeric, otherNumeric: fold.numeric, custom: custom)
                details[place] = mine
            }
            folds[place].add(count: fold.count, numeric: fold.numeric, sum: fold.sum, minimum: fold.minimum, maximum: fold.maximum)
            folds[place].extraCount += fold.extraCount
            folds[place].extraSum += fold.extraSum
        }
    }

    /// The rows: one per group with a value, ordered by group. A note says how many groups' values
    /// overflowed double precision: `inf` or `nan` from finite values (a sum past ±1.8e308, an
    /// average of such, a deviation of values some 1e154 apart).
    package func result() -> AggregateResult {
        var rows: [AggregateRow] = []
        var overflowed = 0
        for (place, key) in keys.enumerated() {
            guard let value = value(at: place) else { continue }
            let fold = folds[place]
            if !value.isFinite, custom == nil, fold.minimum.isFinite, fold.maximum.isFinite { overflowed += 1 }
            rows.append(AggregateRow(group: Tags(zip(groupBy, key.values)), value: value, count: fold.count))
        }
        let groupBy = self.groupBy
        let notes = overflowed == 0 ? [] : [
            "\(aggregation.name): \(EnglishText.count(overflowed, "group")) overflowed double precision: the value reads inf or nan although every value is finite"
        ]
        return AggregateResult(rows: GroupOrder.sorted(rows) { row in groupBy.map { row.group[$0] ?? "" } }, notes: notes)
    }

    private func value(at place: Int) -> Double? {
        let fold = folds[place]
        if let custom, let state = details[place].state { return custom.result(state) }
        let numeric = fold.numeric > 0
        switch aggregation {
        case .count: return Double(fold.count) + fold.extraCount
        case .sum: return numeric ? fold.sum + fold.extraSum : nil
        case .average: return numeric ? fold.sum / Double(fold.numeric) : nil
        case .min: return numeric ? fold.minimum : nil
        case .max: return numeric ? fold.maximum : nil
        case .first: return numeric ? details[place].firstValue : nil
        case .last: return numeric ? details[place].lastValue : nil
        case .standardDeviation:
            guard fold.numeric > 1 else { return nil }
            let detail = details[place]
            return Detail.scaled((detail.squaredDeviations / Double(fold.numeric - 1)).squareRoot(), by: detail.spreadScale)
        case .percentile(let q):
            var values = details[place].values
            return Percentile.select(&values, q: q)
        case .custom: return nil
        }
    }
}

extension GroupedAggregator.Fold {
    /// Totals folded elsewhere (see `GroupedAggregator.add(count:…)`), or another fold's.
    @inline(__always)
    fileprivate mutating func add(count: Int, numeric: Int, sum: Double, minimum: Double, maximum: Double) {
        self.count += count
        self.numeric += numeric
        guard numeric > 0 else { return }
        self.sum += sum
        self.minimum = Swift.min(self.minimum, minimum)
        self.maximum = Swift.max(self.maximum, maximum)
    }
}

extension GroupedAggregator.Detail {
    /// `value` × 2^`power`: exact unless the result leaves the doubles' range (zero, infinities and
    /// NaN as they are).
    fileprivate static func scaled(_ value: Double, by power: Int) -> Double {
        guard value.isFinite, value != 0 else { return value }
        return Double(sign: value.sign, exponent: value.exponent + power, significand: value.significand)
    }

    /// The running mean and squared deviations scaled by 2^`scale` (above the current one) instead.
    fileprivate mutating func rescale(to scale: Int) {
        guard scale > spreadScale else { return }
        mean = Self.scaled(mean, by: spreadScale - scale)
        squaredDeviations = Self.scaled(squaredDeviations, by: 2 * (spreadScale - scale))
        spreadScale = scale
    }

    /// One numeric value, the group's `numeric`-th (counted already).
    fileprivate mutating func add(
        _ value: Double, timestamp: Int64, numeric: Int, custom: AnyAggregationFunction?, tracking: GroupedAggregator.Tracking
    ) {
        if tracking.time {
            if numeric == 1 || timestamp < firstTime { (firstTime, firstValue) = (timestamp, value) }
            if timestamp >= lastTime { (lastTime, lastValue) = (timestamp, value) }
        }
        if tracking.spread {
            if value.isFinite, value != 0, value.exponent > spreadScale { rescale(to: value.exponent) }
            let value = Self.scaled(value, by: -spreadScale)
            let delta = value - mean
            mean += delta / Double(numeric)
            squaredDeviations += delta * (value - mean)
        }
        if let custom {
            if var current = state {
                state = nil
                custom.step(&current, value)
                state = current
            }
            return
        }
        if tracking.values { values.append(value) }
    }

    /// Another group's detail, added after this one's: `numeric` and `otherNumeric` are the two
    /// groups' numeric values before merging.
    fileprivate mutating func merge(_ other: Self, numeric: Int, otherNumeric: Int, custom: AnyAggregationFunction?) {
        if otherNumeric > 0, numeric > 0 {
            // Chan et al.'s combination of two Welford states.
            let total = Double(numeric + otherNumeric)
            var other = other
            if other.spreadScale > spreadScale { rescale(to: other.spreadScale) } else { other.rescale(to: spreadScale) }
            let delta = other.mean - mean
            squaredDeviations += other.squaredDeviations + delta * delta * Double(numeric) * Double(otherNumeric) / total
            mean += delta * Double(otherNumeric) / total
        } else if otherNumeric > 0 {
            mean = other.mean
            squaredDeviations = other.squaredDeviations
            spreadScale = other.spreadScale
        }
        if otherNumeric > 0, numeric == 0 || other.firstTime < firstTime { (firstTime, firstValue) = (other.firstTime, other.firstValue) }
        if otherNumeric > 0, other.lastTime >= lastTime { (lastTime, lastValue) = (other.lastTime, other.lastValue) }
        values += other.values
        if var mine = state, let theirs = other.state, let custom {
            state = nil
            custom.merge(&mine, theirs)
            state = mine
        }
    }
}

/// A group's values compared and hashed by their bytes, as the log stores them: `"é"` and
/// `"e\u{301}"` are two groups, as they are two sessions, two names and two lines of `export`
/// (Swift's `String` equality would merge them).
package struct ExactGroup: Hashable, Sendable {
    package let values: [String]

    @inline(__always)
    package init(_ values: [String]) { self.values = values }

    package static func == (left: ExactGroup, right: ExactGroup) -> Bool {
        guard left.values.count == right.values.count else { return false }
        for index in left.values.indices where ExactText(left.values[index]) != ExactText(right.values[index]) { return false }
        return true
    }

    package func hash(into hasher: inout Hasher) {
        hasher.combine(values.count)
        for value in values { ExactText(value).hash(into: &hasher) }
    }
}

/// The order of result rows: by group values, key by key. Integers (an optional `-` and digits,
/// any length) come first, in numeric order (iteration 2 before 10); every other value after them,
/// by Unicode code points. (Comparing integers as numbers only when both are, and anything else by
/// code points, is no order: 2 < 10, 10 < 1a and 1a < 2.) Values equal as numbers (`02`, `2`) fall
/// back to code points, so distinct groups never tie.
package enum GroupOrder {
    /// `items` ordered by the group `key` gives each: every key is read once (sorting compares each
    /// item about log n times).
    package static func sorted<Item>(_ items: [Item], by key: (Item) -> [String]) -> [Item] {
        let keys = items.map { key($0).map(SortKey.init) }
        return items.indices.sorted { SortKey.precedes(keys[$0], keys[$1]) }.map { items[$0] }
    }

    /// One group value prepared for comparing: an integer's sign and digits, or its code points.
    struct SortKey {
        let integer: IntegerText?
        let scalars: [UInt32]

        init(_ text: String) {
            integer = IntegerText(text)
            scalars = text.unicodeScalars.map(\.value)
        }

        static func precedes(_ lhs: [SortKey], _ rhs: [SortKey]) -> Bool {
            for (left, right) in zip(lhs, rhs) {
                let order = compare(left, right)
                if order != 0 { return order < 0 }
            }
            return lhs.count < rhs.count
        }

        static func compare(_ left: SortKey, _ right: SortKey) -> Int {
            switch (left.integer, right.integer) {
            case (let a?, let b?):
                let order = a.compare(b)
                if order != 0 { return order }
            case (.some, nil): return -1
            case (nil, .some): return 1
            case (nil, nil): break
            }
            // Code points, not Swift's canonical-equivalence order: what jq and DuckDB print.
            if left.scalars == right.scalars { return 0 }
            return left.scalars.lexicographicallyPrecedes(right.scalars) ? -1 : 1
        }
    }

    /// Whether group `lhs` comes before group `rhs`.
    package static func precedes(_ lhs: [String], _ rhs: [String]) -> Bool {
        SortKey.precedes(lhs.map(SortKey.init), rhs.map(SortKey.init))
    }

    /// -1, 0 or 1.
    package static func compare(_ left: String, _ right: String) -> Int {
        SortKey.compare(SortKey(left), SortKey(right))
    }

    /// An integer of any length, compared without converting it (no overflow).
    struct IntegerText {
        let negative: Bool
        /// The digits without leading zeros ("0" for zero).
        let digits: [UInt8]

        init?(_ text: String) {
            var bytes = Array(text.utf8)[...]
            negative = bytes.first == 45
            if negative { bytes = bytes.dropFirst() }
            guard !bytes.isEmpty, bytes.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return nil }
            // Leading zeros do not change the number.
            let trimmed = bytes.drop { $0 == 48 }
            digits = Array(trimmed.isEmpty ? bytes.suffix(1) : trimmed)
        }

        func compare(_ other: IntegerText) -> Int {
            let zero = digits == [48], otherZero = other.digits == [48]
            let sign = zero ? 0 : (negative ? -1 : 1), otherSign = otherZero ? 0 : (other.negative ? -1 : 1)
            if sign != otherSign { return sign < otherSign ? -1 : 1 }
            var magnitude = 0
            if digits.count != other.digits.count {
                magnitude = digits.count < other.digits.count ? -1 : 1
            } else if digits != other.digits {
                magnitude = digits.lexicographicallyPrecedes(other.digits) ? -1 : 1
            }
            return sign < 0 ? -magnitude : magnitude
        }
    }
}
