import ArgumentParser
import MMMMetricsCore
import MMMMetricsLog

struct VerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check every CRC, block and index; exit 0 when all is well, else 1 with one line per problem.")

    @OptionGroup var logOptions: LogOptions
    @Option(help: "Only this session.") var session: String?

    func run() async throws {
        try await reportingErrors {
            let source = try logOptions.source()
            let problems = try LogMaintenance(source: source).verify(session: session)
            if problems.isEmpty {
                try Console.write("ok: no problems in \(session.map { "session \($0)" } ?? source.location)\n")
                return
            }
            try Console.write(problems.map { "\($0)\n" }.joined())
            throw ExitCode(1)
        }
    }
}
