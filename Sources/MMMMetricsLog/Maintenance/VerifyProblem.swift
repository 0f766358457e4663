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
