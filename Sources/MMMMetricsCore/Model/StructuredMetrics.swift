/// How a session ended.
public enum SessionStatus: String, Sendable, Hashable, Codable {
    case completed
    case failed
    case interrupted
    /// No `session.end` event was recorded.
    case incomplete
}

/// One error recorded during an iteration (a `custom` event named `error`).
public struct ErrorMetric: Sendable, Hashable, Codable {
    /// What went wrong.
    public var message: String
    /// The error's category, such as `lint` or `test`.
    public var kind: String
    /// When it was recorded.
    public var timestamp: MetricTimestamp?

    /// Creates an error record.
    public init(message: String, kind: String, timestamp: MetricTimestamp? = nil) {
        self.message = message
        self.kind = kind
        self.timestamp = timestamp
    }

    enum CodingKeys: String, CodingKey {
        case message, kind, timestamp
    }
}

/// What one iteration of a cook session did.
public struct IterationMetrics: Sendable, Hashable, Codable {
    /// The iteration's number (the `iteration` tag).
    public var iterationNumber: Int
    /// Sum of the iteration's `iteration.duration` timers, in seconds.
    public var durationSeconds: Double
    /// Number of `command.duration` events.
    public var commandsExecuted: Int
    /// Sum of `git.files_changed`.
    public var filesChanged: Int64
    /// Sum of `git.lines_added`.
    public var linesAdded: Int64
    /// Sum of `git.lines_removed`.
    public var linesRemoved: Int64
    /// The iteration's errors, in order.
    public var errors: [ErrorMetric]

    /// Creates iteration metrics.
    public init(
        iterationNumber: Int, durationSeconds: Double = 0, commandsExecuted: Int = 0, filesChanged: Int64 = 0,
        linesAdded: Int64 = 0, linesRemoved: Int64 = 0, errors: [ErrorMetric] = []
    ) {
        self.iterationNumber = iterationNumber
        self.durationSeconds = durationSeconds
        self.commandsExecuted = commandsExecuted
        self.filesChanged = filesChanged
        self.linesAdded = linesAdded
        self.linesRemoved = linesRemoved
        self.errors = errors
    }

    enum CodingKeys: String, CodingKey {
        case iterationNumber = "iteration_number"
        case durationSeconds = "duration_seconds"
        case commandsExecuted = "commands_executed"
        case filesChanged = "files_changed"
        case linesAdded = "lines_added"
        case linesRemoved = "lines_removed"
        case errors
    }
}

/// Code-quality measurements: the last value of each quality gauge, `nil` when never recorded.
public struct QualityMetrics: Sendable, Hashable, Codable {
    /// `quality.test_coverage`, percent.
    public var testCoverage: Double?
    /// `quality.lint_warnings`, a count.
    public var lintWarnings: Double?
    /// `quality.complexity_score`.
    public var complexityScore: Double?
    /// `quality.documentation_coverage`, percent.
    public var documentationCoverage: Double?

    /// Creates quality metrics.
    public init(testCoverage: Double? = nil, lintWarnings: Double? = nil, complexityScore: Double? = nil, documentationCoverage: Double? = nil) {
        self.testCoverage = testCoverage
        self.lintWarnings = lintWarnings
        self.complexityScore = complexityScore
        self.documentationCoverage = documentationCoverage
    }

    enum CodingKeys: String, CodingKey {
        case testCoverage = "test_coverage"
        case lintWarnings = "lint_warnings"
        case complexityScore = "complexity_score"
        case documentationCoverage = "documentation_coverage"
    }

    // Explicit nulls: a missing measurement is `null`, not an absent key.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(testCoverage, forKey: .testCoverage)
        try container.encode(lintWarnings, forKey: .lintWarnings)
        try container.encode(complexityScore, forKey: .complexityScore)
        try container.encode(documentationCoverage, forKey: .documentationCoverage)
    }
}

/// A whole cook session, derived by replaying its events.
public struct SessionMetrics: Sendable, Hashable, Codable {
    /// The session's id.
    public var sessionId: String
    /// When it began.
    public var startTime: MetricTimestamp?
    /// Its iterations, ascending by number.
    public var iterations: [IterationMetrics]
    /// From start to end, in seconds.
    public var totalDurationSeconds: Double
    /// How it ended.
    public var finalStatus: SessionStatus
    /// The last quality values.
    public var quality: QualityMetrics

    /// Creates session metrics.
    public init(
        sessionId: String, startTime: MetricTimestamp? = nil, iterations: [IterationMetrics] = [],
        totalDurationSeconds: Double = 0, finalStatus: SessionStatus = .incomplete, quality: QualityMetrics = QualityMetrics()
    ) {
        self.sessionId = sessionId
        self.startTime = startTime
        self.iterations = iterations
        self.totalDurationSeconds = totalDurationSeconds
        self.finalStatus = finalStatus
        self.quality = quality
    }

    enum CodingKeys: String, CodingKey {
        case sessionId = "session_id"
        case startTime = "start_time"
        case iterations
        case totalDurationSeconds = "total_duration_seconds"
        case finalStatus = "final_status"
        case quality
    }
}
