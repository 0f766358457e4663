import MMMMetricsCore
import MMMMetricsLogFormat

/// A problem `verify` found, one line each. JSON: `{"session", "file", "offset" (or null), "message"}`.
public struct VerifyProblem: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The session.
    public var session: String
    /// The file (segment or index).
    public var file: String
    /// The byte offset, when it applies.
    public var offset: Int?
    /// What is wrong.
    public var message: String

    /// A problem.
    public init(session: String, file: String, offset: Int?, message: String) {
        self.session = session
        self.file = file
        self.offset = offset
        self.message = message
    }

    public var description: String {
        "\(session) \(file)" + (offset.map { " offset \($0)" } ?? "") + ": \(message)"
    }

    enum CodingKeys: String, CodingKey { case session, file, offset, message }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(session, forKey: .session)
        try container.encode(file, forKey: .file)
        try container.encode(offset, forKey: .offset)
        try container.encode(message, forKey: .message)
    }
}

/// What `verify` found, as a table (one line per problem, as ``VerifyProblem`` describes it), JSON
/// (`{"ok": Bool, "problems": [...]}`) or CSV (`session,file,offset,message`; an empty offset when
/// none applies).
public struct VerifyReport: TabularOutput, Sendable, Hashable {
    /// Every problem, in the order found.
    public var problems: [VerifyProblem]

    /// A report.
    public init(problems: [VerifyProblem]) { self.problems = problems }

    /// Whether nothing is wrong.
    public var ok: Bool { problems.isEmpty }

    public var columns: [String] { ["session", "file", "offset", "message"] }

    public var rows: [[String]] { problems.map { [$0.session, $0.file, $0.offset.map { "\($0)" } ?? "", $0.message] } }

    public var textTable: String { problems.map(\.description).joined(separator: "\n") }

    enum CodingKeys: String, CodingKey { case ok, problems }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(ok, forKey: .ok)
        try container.encode(problems, forKey: .problems)
    }
}
