import ArgumentParser
import MMMMetricsCore
import MMMMetricsLog

struct VerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check every CRC, block and index; exit 0 when all is well, else 1 with one line per problem.")

    @OptionGroup var logOptions: LogOptions
    @Option(help: "Only this session.") var session: String?
    @Option(help: "table, json or csv.") var format: TableFormat = .table

    func run() async throws {
        try await reportingErrors {
            let source = try logOptions.source()
            let report = VerifyReport(problems: try LogMaintenance(source: source).verify(session: session))
            if format == .table, report.ok {
                try Console.write("ok: no problems in \(session.map { "session \($0)" } ?? source.location)\n")
                return
            }
            try Console.write(try report.rendered(as: format))
            if !report.ok { throw ExitCode(1) }
        }
    }
}
