import MMMMetricsCore
import MMMMetricsLog

/// One query's evaluation: each distinct aggregation run once, damage reported once per place.
struct Evaluation {
    /// An expression's rows, keyed by group values in `keys` order, and what a group absent from
    /// them counts as (`count`/`sum`: 0; a number: itself; otherwise none: the row is dropped).
    struct Rows {
        var keys: [String]
        var rows: [ExactGroup: (value: Double, count: Int)]
        var absent: Double?
        var grouped: Bool
    }

    let engine: QueryEngine
    let query: ParsedQuery
    let sessions: [String]
    let mode: ReadMode
    let warning: (ReadWarning) -> Void
    let progress: ((Int) -> Void)?
    var skipped = SkippedData()
    var notes: [String] = []
    private var reported: Set<[String]> = []
    private var answers: [AggregateExpression: Rows] = [:]
    private var units: [AggregateExpression: String?] = [:]

    init(engine: QueryEngine, query: ParsedQuery, sessions: [String], mode: ReadMode, warning: @escaping (ReadWarning) -> Void,
         progress: ((Int) -> Void)?) {
        self.engine = engine
        self.query = query
        self.sessions = sessions
        self.mode = mode
        self.warning = warning
        self.progress = progress
    }

    /// The unit of an expression's values: an aggregation's own; kept by `+` and `-` between values
    /// of one unit (or with a number); unknown after `*` and `/` (`* 1000` may mean milliseconds).
    func unit(of expression: QueryExpression) -> String? {
        switch expression {
        case .number: return nil
        case .aggregate(let aggregate): return units[aggregate] ?? nil
        case .arithmetic(let operation, let left, let right):
            guard operation == .add || operation == .subtract else { return nil }
            if case .number = left { return unit(of: right) }
            if case .number = right { return unit(of: left) }
            let unit = self.unit(of: left)
            return unit == self.unit(of: right) ? unit : nil
        }
    }

    mutating func evaluate(_ expression: QueryExpression) throws -> Rows {
        switch expression {
        case .number(let value):
            return Rows(keys: [], rows: [:], absent: value, grouped: false)
        case .aggregate(let aggregate):
            if let known = answers[aggregate] { return known }
            let rows = try run(aggregate)
            answers[aggregate] = rows
            return rows
        case .arithmetic(let operation, let left, let right):
            return combine(operation, try evaluate(left), try evaluate(right))
        }
    }

    /// Row by row: groups matched by their values under the same keys (the parser made sure both
    /// sides group by the same keys), in the left side's key order.
    func combine(_ operation: ArithmeticOperator, _ left: Rows, _ right: Rows) -> Rows {
        let keys = left.grouped ? left.keys : right.keys
        // The right side's groups rearranged into the left side's key order.
        let order = right.keys.isEmpty ? [] : keys.map { key in right.keys.firstIndex(of: key)! }
        var rightRows: [ExactGroup: (value: Double, count: Int)] = [:]
        for (group, row) in right.rows { rightRows[ExactGroup(order.map { group.values[$0] })] = row }
        var combined: [ExactGroup: (value: Double, count: Int)] = [:]
        for group in Set(left.rows.keys).union(rightRows.keys) {
            let l = left.rows[group], r = rightRows[group]
            guard let a = l?.value ?? left.absent, let b = r?.value ?? right.absent, let value = operation.apply(a, b) else { continue }
            combined[group] = (value, (l?.count ?? 0) + (r?.count ?? 0))
        }
        let absent = left.absent.flatMap { a in right.absent.flatMap { b in operation.apply(a, b) } }
        return Rows(keys: keys, rows: combined, absent: absent, grouped: left.grouped || right.grouped)
    }

    private mutating func run(_ aggregate: AggregateExpression) throws -> Rows {
        let selection = MetricsQuery(
            metricNames: [aggregate.metric], timeRange: query.timeRange, matchers: aggregate.matchers, groupBy: aggregate.groupBy)
        var fresh: [ReadWarning] = []
        var reported = self.reported
        let result = try engine.aggregate(
            aggregate.aggregation, for: selection, bucket: query.bucketNanoseconds, sessions: sessions, mode: mode,
            warning: { issue in
                // Each aggregation reads the same damaged places: say each once.
                if reported.insert([issue.session, issue.segment, String(issue.offset), issue.message]).inserted { fresh.append(issue) }
            }, progress: progress)
        self.reported = reported
        for issue in fresh {
            skipped.add(issue)
            warning(issue)
        }
        for note in result.notes where !notes.contains(note) { notes.append(note) }
        units[aggregate] = result.unit
        let keys = aggregate.groupBy + (query.bucketNanoseconds == nil ? [] : ["time"])
        var rows: [ExactGroup: (value: Double, count: Int)] = [:]
        for row in result.rows { rows[ExactGroup(keys.map { row.group[$0] ?? "" })] = (row.value, row.count) }
        return Rows(keys: keys, rows: rows, absent: aggregate.absentIsZero ? 0 : nil, grouped: true)
    }
}
