package import Foundation
package import MMMMetricsCore

/// MMM's `ProjectMetrics` as its readers decode it: every key present (values may be null), no others.
package struct StrictProjectMetrics: Decodable {
    package let test_coverage: Double?
    package let type_coverage: Double?
    package let lint_warnings: Int
    package let code_duplication: Double?
    package let doc_coverage: Double?
    package let benchmark_results: JSONValue?
    package let compile_time: Double?
    package let binary_size: UInt64?
    package let cyclomatic_complexity: [String: Int]?
    package let max_nesting_depth: Int?
    package let total_lines: Int?
    package let tech_debt_score: Double?
    package let improvement_velocity: Double?
    package let timestamp: String
    package let iteration_id: String?
    package let iteration_duration: Double?
    package let command_timings: [String: Double]?
    package let workflow_timing: JSONValue?

    package static let keys: Set<String> = [
        "test_coverage", "type_coverage", "lint_warnings", "code_duplication", "doc_coverage", "benchmark_results", "compile_time",
        "binary_size", "cyclomatic_complexity", "max_nesting_depth", "total_lines", "tech_debt_score", "improvement_velocity",
        "timestamp", "iteration_id", "iteration_duration", "command_timings", "workflow_timing",
    ]

    package struct AnyKey: CodingKey {
        package var stringValue: String
        package var intValue: Int? { nil }
        package init(stringValue: String) { self.stringValue = stringValue }
        package init?(intValue: Int) { nil }
    }

    /// Decodes, failing on a missing or an unknown key.
    package static func decodeStrictly(_ data: Data) throws -> StrictProjectMetrics {
        let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
        guard Set(object.keys) == keys else {
            throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "keys differ: \(Set(object.keys).symmetricDifference(keys))"))
        }
        return try JSONDecoder().decode(StrictProjectMetrics.self, from: data)
    }
}
