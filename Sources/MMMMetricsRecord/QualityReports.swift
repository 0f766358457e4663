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

    /// The whole file as text: a regular file, or a pipe such as `<(swiftlint)` or `/dev/stdin`.
    static func text(_ path: String) throws(ReadError) -> String {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            throw ReadError(path: path, reason: "is a directory, not a report")
        }
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw ReadError(path: path, reason: FileManager.default.fileExists(atPath: path) ? "cannot open it for reading" : "No such file or directory")
        }
        defer { try? handle.close() }
        do {
            return String(decoding: try handle.readToEnd() ?? Data(), as: UTF8.self)
        } catch {
            throw ReadError(path: path, reason: "cannot read it: \(error.localizedDescription)")
        }
    }

    /// The file's lines, split at LF, CRLF or CR (a report written on Windows is read alike).
    static func lines(_ path: String) throws(ReadError) -> [Substring] {
        try text(path).split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)
    }

    /// Line coverage in percent from an lcov tracefile: the sum of `LH` over the sum of `LF`.
    public static func lcovCoverage(_ path: String) throws(ReadError) -> Double {
        // Sums as doubles: counts near Int.max in a hostile file must not overflow.
        var hit = 0.0, found = 0.0
        for (number, line) in try lines(path).enumerated() {
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
        let xml = Array(try text(path).utf8)
        let attributes: [String: String]
        do {
            attributes = try CoberturaRoot.attributes(of: xml)
        } catch {
            throw ReadError(path: path, reason: error.reason)
        }
        guard let value = attributes["line-rate"] else {
            throw ReadError(path: path, reason: "no <coverage line-rate=\"…\"> element (not a Cobertura report)")
        }
        guard let rate = Double(value.trimmingCharacters(in: .whitespaces)), rate >= 0, rate <= 1 else {
            throw ReadError(path: path, reason: "line-rate \"\(value.prefix(40))\" is not a number in [0, 1]")
        }
        return rate * 100
    }

    /// Line coverage in percent from `llvm-cov export` JSON: `data[0].totals.lines.percent`.
    public static func llvmCovCoverage(_ path: String) throws(ReadError) -> Double {
        let data = Data(try text(path).utf8)
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            let exports = object["data"] as? [[String: Any]], let totals = exports.first?["totals"] as? [String: Any],
            let lines = totals["lines"] as? [String: Any], let percent = (lines["percent"] as? NSNumber)?.doubleValue
        else { throw ReadError(path: path, reason: "no data[0].totals.lines.percent (not llvm-cov export JSON)") }
        // A fault in the report, named with it (as Cobertura's line-rate is), not in the arguments.
        guard (0...100).contains(percent) else { throw ReadError(path: path, reason: "data[0].totals.lines.percent \(percent) is not a percentage in [0, 100]") }
        return percent
    }

    /// Lines of a compiler's or linter's output that report a warning (`warning:` in any case).
    public static func warningLines(_ path: String) throws(ReadError) -> Int {
        try lines(path).filter { $0.lowercased().contains("warning:") }.count
    }
}

/// The attributes of a Cobertura report's root element, `<coverage …>`, read as XML reads them:
/// comments, processing instructions and the document type before it are skipped, values are in
/// single or double quotes with optional space around `=`, and an attribute named twice is an error.
/// Entities are not expanded (a number needs none).
enum CoberturaRoot {
    struct Failure: Error {
        let reason: String
    }

    static func attributes(of xml: [UInt8]) throws(Failure) -> [String: String] {
        var index = 0
        func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D }
        func starts(_ text: String, at position: Int) -> Bool {
            let bytes = Array(text.utf8)
            return position + bytes.count <= xml.count && Array(xml[position..<position + bytes.count]) == bytes
        }
        func skip(past terminator: String, from position: Int) throws(Failure) -> Int {
            let bytes = Array(terminator.utf8)
            var at = position
            while at + bytes.count <= xml.count {
                if xml[at] == bytes[0], Array(xml[at..<at + bytes.count]) == bytes { return at + bytes.count }
                at += 1
            }
            throw Failure(reason: "unterminated markup before the <coverage> element (no \(terminator))")
        }
        if starts("\u{FEFF}", at: 0) { index = 3 }
        // Up to the first element: text, comments, processing instructions and a document type only.
        while true {
            while index < xml.count, xml[index] != UInt8(ascii: "<") { index += 1 }
            guard index < xml.count else { return [:] }
            if starts("<!--", at: index) { index = try skip(past: "-->", from: index + 4); continue }
            if starts("<?", at: index) { index = try skip(past: "?>", from: index + 2); continue }
            if starts("<!", at: index) { index = try skip(past: ">", from: index + 2); continue }
            break
        }
        index += 1
        let nameStart = index
        while index < xml.count, !isSpace(xml[index]), xml[index] != UInt8(ascii: ">"), xml[index] != UInt8(ascii: "/") { index += 1 }
        guard String(decoding: xml[nameStart..<index], as: UTF8.self) == "coverage" else { return [:] }
        var attributes: [String: String] = [:]
        while true {
            while index < xml.count, isSpace(xml[index]) { index += 1 }
            guard index < xml.count else { throw Failure(reason: "the <coverage> element is not closed") }
            if xml[index] == UInt8(ascii: ">") || xml[index] == UInt8(ascii: "/") { return attributes }
            let attributeStart = index
            while index < xml.count, !isSpace(xml[index]), xml[index] != UInt8(ascii: "="), xml[index] != UInt8(ascii: ">") { index += 1 }
            let name = String(decoding: xml[attributeStart..<index], as: UTF8.self)
            while index < xml.count, isSpace(xml[index]) { index += 1 }
            guard index < xml.count, xml[index] == UInt8(ascii: "=") else { throw Failure(reason: "attribute \(name.prefix(40)) of <coverage> has no value") }
            index += 1
            while index < xml.count, isSpace(xml[index]) { index += 1 }
            guard index < xml.count, xml[index] == UInt8(ascii: "\"") || xml[index] == UInt8(ascii: "'") else {
                throw Failure(reason: "attribute \(name.prefix(40)) of <coverage> is not quoted")
            }
            let quote = xml[index]
            index += 1
            let valueStart = index
            while index < xml.count, xml[index] != quote { index += 1 }
            guard index < xml.count else { throw Failure(reason: "attribute \(name.prefix(40)) of <coverage> is not closed") }
            let value = String(decoding: xml[valueStart..<index], as: UTF8.self)
            index += 1
            guard attributes.updateValue(value, forKey: name) == nil else {
                throw Failure(reason: "attribute \(name.prefix(40)) appears twice in <coverage> (not well-formed XML)")
            }
        }
    }
}
