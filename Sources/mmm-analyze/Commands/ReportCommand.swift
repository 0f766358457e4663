import ArgumentParser
import MMMMetricsCore
import MMMMetricsAnalysis
import MMMMetricsLog

struct ReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report", abstract: "Summarise one session: status, iterations, quality, slowest commands, errors.")

    @OptionGroup var logOptions: LogOptions
    @OptionGroup package var damage: DamageOptions
    @OptionGroup var selection: SessionSelection
    @Option(help: "text, json, markdown or html.") var format: ReportFormat = .text
    @OptionGroup var output: OutputOptions

    func validate() throws {
        guard selection.isGiven else { throw ValidationError("report needs --session ID or --latest") }
    }

    func run() async throws {
        try await reportingErrors {
            let source = try logOptions.source()
            let session = try selection.required(in: source)
            let report = try SessionReport.build(session: session, source: source, mode: damage.mode, warning: damage.warn)
            try output.write(report.rendered(as: format), root: logOptions.root)
        }
    }
}
