import ArgumentParser
import MMMMetricsCore
import MMMMetricsAnalysis
import MMMMetricsLog

struct ReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report", abstract: "Summarise one session: status, iterations, quality, slowest commands, errors.")

    @OptionGroup var logOptions: LogOptions
    @OptionGroup package var damage: DamageOptions
    @Option(help: "The session to report on.") var session: String
    @Option(help: "text, json, markdown or html.") var format: ReportFormat = .text
    @Option(name: .shortAndLong, help: "Write to this file instead of standard output.") var output: String?

    func run() async throws {
        try await reportingErrors {
            let source = try logOptions.source()
            if try source.segments(session: session).isEmpty { throw source.missingSessionError(session) }
            let report = try SessionReport.build(session: session, source: source, mode: damage.mode, warning: damage.warn)
            let text = report.rendered(as: format)
            if let output {
                try FileOutput.write(text, to: output, root: logOptions.root)
            } else {
                try Console.write(text)
            }
        }
    }
}
