import MMMMetrics
import MMMMetricsTestSupport
import Testing

/// One test per defect that hostile testing of the released tool found (issue "No silent loss, no
/// silent wrong answer, no crash"); each failed on the code before its fix.
@Suite("Environment variables")
struct EnvironmentTests {
    @Test("every environment variable the package reads is accepted by MetricsConfig.load")
    func environmentVariables() throws {
        let directory = TemporaryDirectory()
        let config = try MetricsConfig.load(projectDirectory: directory.path, environment: [
            "MMM_METRICS_SESSION": "cook-1", "MMM_METRICS_DIR": directory.path, "MMM_METRICS": "on",
        ])
        #expect(config.enabled)
        #expect(throws: MetricsConfigError.self) { try MetricsConfig.load(projectDirectory: directory.path, environment: ["MMM_METRICS_SESION": "x"]) }
    }
}
