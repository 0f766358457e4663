public import MMMMetricsCore
public import MMMMetricsLog

/// A query's answer as `mmm-analyze query` prints it: a table of the group keys and the value
/// (rounded to six significant digits; whole numbers below 10^15 exact) with a unit column when the
/// unit is known, JSON `{"rows": [{"group": {key: value}, "value": V, "count": N}], "unit": "s" or
/// null, "skipped_events": N, "skipped_places": N}` (values that are whole numbers below 10^15 as
/// JSON integers), or CSV of the group keys and the value at full precision.
public struct QueryAnswer: TabularOutput, Sendable, Hashable {
    /// The engine's result.
    public var result: AggregateResult
    /// The `by` keys, in the query's order.
    public var groupBy: [String]

    /// An answer to print.
    public init(result: AggregateResult, groupBy: [String]) {
        self.result = result
        self.groupBy = groupBy
    }

    /// A value as the table and CSV print it: whole numbers without a fraction.
    static func number(_ value: Double) -> String {
        if value.isFinite, value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return "\(value)"
    }

    public var columns: [String] { groupBy + ["value"] }

    public var rows: [[String]] {
        result.rows.map { row in groupBy.map { row.group[$0] ?? "" } + [Self.number(row.value)] }
    }

    public var textTable: String {
        guard !result.rows.isEmpty else { return "no rows" }
        let unit = result.unit.map { [$0] } ?? []
        let cells = result.rows.map { row in groupBy.map { row.group[$0] ?? "" } + [Self.rounded(row.value)] + unit }
        return TextTable.render((columns + (unit.isEmpty ? [] : ["unit"])).map { $0.uppercased() }, cells)
    }

    /// A value rounded to six significant digits, as tables print it; whole numbers below 10^15
    /// (counts) exact; non-finite values as Swift spells them.
    static func rounded(_ value: Double) -> String {
        guard value.isFinite, value != 0 else { return number(value) }
        if value == value.rounded(), abs(value) < 1e15 { return number(value) }
        let exponent = value.log10Floor
        let shift = 5 - exponent
        let rounded: Double
        if shift >= 0, shift <= 300 {
            let scale = Self.power(shift)
            rounded = (value * scale).rounded() / scale
        } else if shift < 0, shift >= -300 {
            let scale = Self.power(-shift)
            rounded = (value / scale).rounded() * scale
        } else {
            rounded = value
        }
        return number(rounded.isFinite ? rounded : value)
    }

    private static func power(_ exponent: Int) -> Double {
        var result = 1.0
        for _ in 0..<exponent { result *= 10 }
        return result
    }

    enum CodingKeys: String, CodingKey {
        case rows
        case unit
        case skippedEvents = "skipped_events"
        case skippedPlaces = "skipped_places"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        let rows: [JSONValue] = result.rows.map { row in
            var group: [String: JSONValue] = [:]
            for key in groupBy { group[key] = .string(row.group[key] ?? "") }
            let value: JSONValue = row.value.isFinite && row.value == row.value.rounded() && abs(row.value) < 1e15
                ? .integer(Int64(row.value)) : .double(row.value)
            return .object(["group": .object(group), "value": value, "count": .integer(Int64(row.count))])
        }
        try container.encode(rows, forKey: .rows)
        try container.encode(result.unit.map(JSONValue.string) ?? .null, forKey: .unit)
        try container.encode(result.skipped.events, forKey: .skippedEvents)
        try container.encode(result.skipped.places, forKey: .skippedPlaces)
    }
}

/// How a session report is written.
public enum ReportFormat: String, Sendable, Hashable, CaseIterable {
    case text, json, markdown, html
}

extension SessionReport {
    /// The report in `format`, ending with a newline.
    public func rendered(as format: ReportFormat) -> String {
        switch format {
        case .text: text()
        case .json: JSONText.encode(json()) + "\n"
        case .markdown: markdown()
        case .html: html()
        }
    }
}

extension Double {
    /// ⌊log10(|self|)⌋ for finite non-zero values, exact at powers of ten.
    fileprivate var log10Floor: Int {
        var magnitude = Swift.abs(self)
        var exponent = 0
        while magnitude >= 10 { magnitude /= 10; exponent += 1 }
        while magnitude < 1 { magnitude *= 10; exponent -= 1 }
        return exponent
    }
}
