import Foundation

/// Readers for the reports people already have, turned into the catalog's quality values.
public enum QualityReports {
    /// Why a report could not be read: the file and what was wrong.
    public struct ReadError: Error, CustomStringConvertible, Sendable {
        /// The report's path.
        public let path: String
        /// What was wrong.
        public let reason: String
        public var description: String { "\(path): \(reason)" }
    }

    static func text(_ path: String) throws(ReadError) -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ReadError(path: path, reason: FileManager.default.fileExists(atPath: path) ? "cannot read it" : "No such file or directory")
        }
        return String(decoding: data, as: UTF8.self)
    }

    /// Line coverage in percent from an lcov tracefile: the sum of `LH` over the sum of `LF`.
    public static func lcovCoverage(_ path: String) throws(ReadError) -> Double {
        // Sums as doubles: counts near Int.max in a hostile file must not overflow.
        var hit = 0.0, found = 0.0
        for (number, line) in try text(path).split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            if line.hasPrefix("LH:") || line.hasPrefix("LF:") {
                guard let value = Int(line.dropFirst(3).trimmingCharacters(in: .whitespaces)), value >= 0 else {
                    throw ReadError(path: path, reason: "line \(number + 1): \(line.prefix(40)) is not a count")
                }
                if line.hasPrefix("LH:") { hit += Double(value) } else { found += Double(value) }
            }
        }
        guard found > 0 else { throw ReadError(path: path, reason: "no LF: lines (not an lcov tracefile, or no lines to cover)") }
        guard hit <= found else { throw ReadError(path: path, reason: "more lines hit (LH) than found (LF)") }
        return 100 * hit / found
    }

    /// Line coverage in percent from a Cobertura XML report: its root's `line-rate` × 100.
    public static func coberturaCoverage(_ path: String) throws(ReadError) -> Double {
        let xml = try text(path)
        guard let root = xml.range(of: "<coverage"), let attribute = xml[root.upperBound...].range(of: "line-rate=\"") else {
            throw ReadError(path: path, reason: "no <coverage line-rate=\"…\"> element (not a Cobertura report)")
        }
        let value = xml[attribute.upperBound...].prefix { $0 != "\"" }
        guard let rate = Double(value), rate >= 0, rate <= 1 else { throw ReadError(path: path, reason: "line-rate \"\(value)\" is not a number in [0, 1]") }
        return rate * 100
    }

    /// Line coverage in percent from `llvm-cov export` JSON: `data[0].totals.lines.percent`.
    public static func llvmCovCoverage(_ path: String) throws(ReadError) -> Double {
        let data = Data(try text(path).utf8)
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            let exports = object["data"] as? [[String: Any]], let totals = exports.first?["totals"] as? [String: Any],
            let lines = totals["lines"] as? [String: Any], let percent = (lines["percent"] as? NSNumber)?.doubleValue
        else { throw ReadError(path: path, reason: "no data[0].totals.lines.percent (not llvm-cov export JSON)") }
        return percent
    }

    /// Lines of a compiler's or linter's output that report a warning (`warning:` in any case).
    public static func warningLines(_ path: String) throws(ReadError) -> Int {
        try text(path).split(separator: "\n").filter { $0.lowercased().contains("warning:") }.count
    }
}
