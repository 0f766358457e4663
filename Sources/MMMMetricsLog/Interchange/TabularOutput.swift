import MMMMetricsCore
import MMMMetricsLogFormat

/// How a command prints a table of results: aligned text for people, JSON for jq and scripts, CSV
/// for spreadsheets and DuckDB.
public enum TableFormat: String, Sendable, Hashable, CaseIterable {
    case table, json, csv
}

/// A result that prints as a table, as JSON (its `Encodable` form: each type's JSON is its
/// contract) or as CSV (a header of ``columns``, then ``rows``).
public protocol TabularOutput: Encodable {
    /// Column names, as the CSV header prints them.
    var columns: [String] { get }
    /// The rows' cells, in column order.
    var rows: [[String]] { get }
    /// The aligned text table; by default the upper-cased columns over the rows.
    var textTable: String { get }
}

extension TabularOutput {
    public var textTable: String { TextTable.render(columns.map { $0.uppercased() }, rows) }

    /// The result in `format`, ending with a newline.
    public func rendered(as format: TableFormat) throws -> String {
        switch format {
        case .table: return textTable + "\n"
        case .json: return try JSONValueEncoder().text(self) + "\n"
        case .csv: return ([columns] + rows).map { $0.map(CSV.field).joined(separator: ",") }.joined(separator: "\n") + "\n"
        }
    }
}

/// CSV as RFC 4180 writes it.
package enum CSV {
    /// A field, quoted when it holds a comma, a quote or a line break (quotes doubled).
    package static func field(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        var quoted = "\""
        for character in text {
            if character == "\"" { quoted += "\"\"" } else { quoted.append(character) }
        }
        return quoted + "\""
    }
}

/// Plain-text tables for terminals, shared by reports and the CLI.
package enum TextTable {
    /// Columns padded to their widest cell (right-aligned where asked), two spaces apart, each line
    /// prefixed by `indent` and without trailing spaces.
    /// Control characters in cells (a line break, an escape sequence in a tag value) are shown as
    /// `\n`, `\u{1B}` and so on, so that a cell cannot break the table or drive the terminal.
    package static func render(_ header: [String], _ rows: [[String]], rightAligned: Set<Int> = [], indent: String = "") -> String {
        let header = header.map(visible)
        let rows = rows.map { $0.map(visible) }
        let widths = header.indices.map { column in ([header] + rows).map { $0[column].count }.max() ?? 0 }
        func line(_ cells: [String]) -> String {
            let text = indent + cells.enumerated().map { column, cell in
                let padding = String(repeating: " ", count: widths[column] - cell.count)
                return rightAligned.contains(column) ? padding + cell : cell + padding
            }.joined(separator: "  ")
            // Trailing spaces off, by bytes (reversing a String by Characters cost most of a
            // 6,000-row table's time).
            var utf8 = Substring(text).utf8
            while utf8.last == UInt8(ascii: " ") { utf8.removeLast() }
            return String(Substring(utf8))
        }
        return ([line(header)] + rows.map(line)).joined(separator: "\n")
    }

    /// `text` with its control characters (C0, DEL, C1) written as escapes.
    package static func visible(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: isControl) else { return text }
        var shown = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\n": shown += "\\n"
            case "\t": shown += "\\t"
            case "\r": shown += "\\r"
            case _ where isControl(scalar): shown += "\\u{\(String(scalar.value, radix: 16, uppercase: true))}"
            default: shown.unicodeScalars.append(scalar)
            }
        }
        return shown
    }

    private static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
    }
}
