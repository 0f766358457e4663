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
        return value.isNaN ? "nan" : "\(value)"  // a NaN's sign means nothing ("-nan")
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

    /// A value rounded to six significant digits, as tables print it: whole numbers below 10^15
    /// (counts) exact; plain decimals from 10^-4 up to 10^15, else `1.23457e+30`; non-finite values
    /// as Swift spells them. Rounding works on the shortest decimal that reads back as the value
    /// (half away from zero), so no binary artefact (`1.0000000000000002e+300`) shows.
    static func rounded(_ value: Double) -> String {
        guard value.isFinite, value != 0 else { return number(value) }
        if value == value.rounded(), abs(value) < 1e15 { return number(value) }
        var (digits, exponent) = decimalDigits(abs(value))  // value = 0.d1d2… × 10^exponent
        if digits.count > 6 {
            let roundUp = digits[6] >= 5
            digits = Array(digits.prefix(6))
            if roundUp {
                var index = 5
                while index >= 0 {
                    if digits[index] < 9 { digits[index] += 1; break }
                    digits[index] = 0
                    index -= 1
                }
                if index < 0 { digits.insert(1, at: 0); digits.removeLast(); exponent += 1 }
            }
        }
        while digits.count > 1, digits.last == 0 { digits.removeLast() }
        let text = digits.map { String($0) }.joined()
        let sign = value < 0 ? "-" : ""
        if exponent > 15 || exponent < -3 {
            let mantissa = text.count > 1 ? String(text.first!) + "." + text.dropFirst() : text
            let power = exponent - 1
            return sign + mantissa + "e" + (power < 0 ? "-" : "+") + (abs(power) < 10 ? "0" : "") + String(abs(power))
        }
        if exponent <= 0 { return sign + "0." + String(repeating: "0", count: -exponent) + text }
        if text.count <= exponent { return sign + text + String(repeating: "0", count: exponent - text.count) }
        return sign + text.prefix(exponent) + "." + text.dropFirst(exponent)
    }

    /// The significant digits of Swift's shortest round-trip spelling of a positive finite value,
    /// and the power of ten that puts the decimal point before the first.
    private static func decimalDigits(_ value: Double) -> (digits: [Int], exponent: Int) {
        let spelled = "\(value)"
        let parts = spelled.split(separator: "e", maxSplits: 1)
        let mantissa = parts[0]
        let power = parts.count > 1 ? Int(parts[1]) ?? 0 : 0
        let whole = mantissa.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        let integerPart = whole[0], fraction = whole.count > 1 ? whole[1] : ""
        var digits = (integerPart + fraction).compactMap { $0.wholeNumberValue }
        var exponent = integerPart.count + power
        while digits.first == 0 {
            digits.removeFirst()
            exponent -= 1
        }
        return (digits.isEmpty ? [0] : digits, exponent)
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
