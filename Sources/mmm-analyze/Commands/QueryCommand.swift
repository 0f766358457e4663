import ArgumentParser
import Foundation
import MMMMetricsCore
import MMMMetricsAnalysis
import MMMMetricsLog

struct QueryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "query",
        abstract: "Evaluate a query over stored sessions.",
        discussion: """
            QUERY is  EXPR [> N] [since T] [until T] [every D] [top N | bottom N], where EXPR is
            agg(selector) [by (key, …)] or arithmetic (+ - * /) of such and numbers — for example
              p95(command.duration) by (command)
              count(error) by (session) since -7d
              count(command.duration{status="error"}) by (command) / count(command.duration) by (command)
              count(error) by (data.kind) every 1h
              p95(command.duration) by (command) > 60
            --since/--until are the query's since/until clauses, given as options. A query that starts
            with '-' goes after '--':  mmm-analyze query -- '-1 * count(x)'
            See docs/QUERY.md for the grammar and the functions.
            """)

    @OptionGroup var logOptions: LogOptions
    @OptionGroup package var damage: DamageOptions
    @OptionGroup var selection: SessionSelection
    @OptionGroup var time: TimeRangeOptions
    @Option(help: "table, json or csv.") var format: TableFormat = .table
    @Flag(help: "Do not scale count and sum of sampled events by 1/rate (see docs/QUERY.md, Sampling).") var raw = false
    @OptionGroup var output: OutputOptions
    @Argument(help: "The query.") var query: String

    func run() async throws {
        var parsed: ParsedQuery
        do {
            parsed = try QueryParser.parse(query)
        } catch {
            Console.error("mmm-analyze: query \(error)")
            throw ExitCode(2)
        }
        // --since/--until are the query's since/until, given on the command line; both at once is a mistake.
        if let range = try time.range() {
            if range.start != nil, parsed.since != nil { throw ValidationError("the query has a since clause and --since is given: give one") }
            if range.end != nil, parsed.until != nil { throw ValidationError("the query has an until clause and --until is given: give one") }
            parsed.since = parsed.since ?? range.start
            parsed.until = parsed.until ?? range.end
        }
        try await reportingErrors {
            let source = try logOptions.source()
            let session = try selection.resolve(in: source)
            let showProgress = isatty(2) == 1
            var lastShown = 0
            let result = try QueryEngine(source: source, scalesSampledEvents: !raw).run(
                parsed, sessions: session.map { [$0] } ?? [], mode: damage.mode, warning: damage.warn
            ) { events in
                if showProgress, events - lastShown >= 1_000_000 {
                    lastShown = events
                    StandardError.write("\rreplayed \(events) events…")
                }
            }
            if lastShown > 0 { StandardError.write("\r\u{1B}[K") }
            damage.warnIncomplete(result.skipped, "the answer")
            for note in result.notes { Console.error("mmm-analyze: warning: \(note)") }
            try output.write(try QueryAnswer(result: result, groupBy: parsed.groupBy).rendered(as: format), root: logOptions.root)
        }
    }
}
