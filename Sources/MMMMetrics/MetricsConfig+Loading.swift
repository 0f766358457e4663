public import Foundation
import TOMLKit

extension MetricsConfig {
    /// The project configuration file, relative to the project directory.
    public static let projectConfigPath = ".mmm/config.toml"

    /// Loads the configuration the way the cook tool does: defaults, then the `[metrics]` table of
    /// `<projectDirectory>/.mmm/config.toml` when the file exists, then `MMM_METRICS*` environment variables.
    /// Errors name the file or variable, the key, the value and the expected type.
    public static func load(
        projectDirectory: String = FileManager.default.currentDirectoryPath,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(MetricsConfigError) -> MetricsConfig {
        let path = (projectDirectory as NSString).appendingPathComponent(projectConfigPath)
        var config = MetricsConfig()
        if FileManager.default.fileExists(atPath: path) {
            let text: String
            do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
                throw .unreadableFile(path: path, reason: "\(error.localizedDescription)")
            }
            config = try MetricsConfig(toml: text, path: path)
        }
        return try config.applying(environment: environment)
    }

    /// Reads the `[metrics]` table of a TOML document (other tables are ignored).
    /// `path` names the document in errors.
    public init(toml text: String, path: String = projectConfigPath) throws(MetricsConfigError) {
        // The parser reads a C string: everything after a NUL byte would be ignored in silence.
        if let nul = text.utf8.firstIndex(of: 0) {
            let offset = text.utf8.distance(from: text.utf8.startIndex, to: nul)
            let line = text.utf8[..<nul].count(where: { $0 == 0x0A }) + 1
            throw .unreadableFile(path: path, reason: "a NUL byte at line \(line) (byte offset \(offset)); a TOML file holds text")
        }
        let document: TOMLTable
        do { document = try TOMLTable(string: text) } catch let error as TOMLParseError {
            throw .unreadableFile(
                path: path,
                reason: "TOML syntax error at line \(error.source.begin.line), column \(error.source.begin.column): \(error.description)")
        } catch {
            throw .unreadableFile(path: path, reason: "\(error)")
        }
        guard let section = document["metrics"] else {
            self = MetricsConfig()
            return
        }
        guard let table = section.table else {
            throw .invalidValue(key: "metrics", value: "\(section)", expected: "a table ([metrics])")
        }
        let members = Self.members(of: table)
        do {
            self = try MetricsConfig().applying(table: members)
        } catch .invalidValue(let key, let value, let expected) {
            throw .invalidValue(key: "\(key) in \(path)", value: value, expected: expected)
        } catch .unknownKey(let key) {
            throw .unknownKey("\(key) in \(path)")
        } catch {
            throw error
        }
    }

    static func members(of table: TOMLTable) -> [String: JSONValue] {
        var members: [String: JSONValue] = [:]
        for key in table.keys { members[key] = json(table[key]!) }
        return members
    }

    /// Converts a TOML value into a JSON value; dates and times become their TOML text.
    static func json(_ value: any TOMLValueConvertible) -> JSONValue {
        switch value.type {
        case .table: return .object(members(of: value.table!))
        case .array:
            return .array(value.array!.map { json($0) })
        case .string: return .string(value.string!)
        case .int: return .integer(Int64(value.int!))
        case .double: return .double(value.double!)
        case .bool: return .bool(value.bool!)
        case .date, .time, .dateTime: return .string(value.debugDescription)
        }
    }
}
