import ArgumentParser
import Foundation
import MMMMetrics
import MMMMetricsAnalysis
import MMMMetricsLog

struct ReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report", abstract: "Summarise one session: status, iterations, quality, slowest commands, errors.")

    @OptionGroup var logOptions: LogOptions
    @Option(help: "The session to report on.") var session: String
    @Option(help: "text, json, markdown or html.") var format: String = "text"
    @Option(name: .shortAndLong, help: "Write to this file instead of standard output.") var output: String?

    func validate() throws {
        guard ["text", "json", "markdown", "html"].contains(format) else { throw ValidationError("--format must be text, json, markdown or html") }
    }

    func run() async throws {
        try await reportingErrors {
            let source = try logOptions.source()
            if let root = source as? LogRoot, try root.sessionIDs().isEmpty {
                let legacy = ["current.json", "history.json"].filter { FileManager.default.fileExists(atPath: root.path + "/" + $0) }
                if !legacy.isEmpty {
                    throw Failure(message: """
                        \(root.path) holds only MMM's old metrics files (\(legacy.joined(separator: ", "))), no event log yet. Import them with:
                          mmm-analyze import-legacy --log \(root.path) --session \(session) \(root.path)
                        """)
                }
            }
            let report: SessionReport
            do {
                report = try SessionReport.build(session: session, source: source) { printError("mmm-analyze: \($0)") }
            } catch LogError.noSuchSession(let missing, let location) {
                let known = (try? source.sessionIDs()) ?? []
                throw Failure(message: "no session \(missing) in \(location)"
                    + (known.isEmpty ? "" : "; sessions there: " + known.prefix(10).joined(separator: ", ") + (known.count > 10 ? ", …" : "")))
            }
            let text: String
            switch format {
            case "json": text = JSONText.encode(report.json()) + "\n"
            case "markdown": text = report.markdown()
            case "html": text = report.html()
            default: text = report.text()
            }
            if let output {
                guard FileManager.default.createFile(atPath: output, contents: Data(text.utf8)) else {
                    throw Failure(message: "\(output): cannot write the report")
                }
            } else {
                writeOut(Array(text.utf8))
            }
        }
    }
}

struct QueryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "query",
        abstract: "Evaluate a query over stored sessions.",
        discussion: """
            QUERY is  agg(selector) [by (tag, …)] [since T] [until T] [top N | bottom N]  — for example
              p95(command.duration) by (command)
              count(error) by (session) since -7d
              max(iteration.duration) by (session, iteration) top 5
            See docs/QUERY.md for the grammar and the functions.
            """)

    @OptionGroup var logOptions: LogOptions
    @Option(help: "Only this session.") var session: String?
    @Option(help: "table, json or csv.") var format: String = "table"
    @Argument(help: "The query.") var query: String

    func validate() throws {
        guard ["table", "json", "csv"].contains(format) else { throw ValidationError("--format must be table, json or csv") }
    }

    func run() async throws {
        let parsed: ParsedQuery
        do {
            parsed = try QueryParser.parse(query)
        } catch {
            printError("mmm-analyze: query \(error)")
            throw ExitCode(2)
        }
        try await reportingErrors {
            let engine = QueryEngine(source: try logOptions.source())
            let showProgress = isatty(2) == 1
            var lastShown = 0
            let result = try engine.run(parsed, sessions: session.map { [$0] } ?? []) { events in
                if showProgress, events - lastShown >= 1_000_000 {
                    lastShown = events
                    FileHandle.standardError.write(Data("\rreplayed \(events) events…".utf8))
                }
            }
            if lastShown > 0 { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
            print(QueryOutput.render(result, groupBy: parsed.groupBy, format: format), terminator: "")
        }
    }
}

/// Query results as a table, JSON or CSV.
enum QueryOutput {
    static func number(_ value: Double) -> String {
        if value.isFinite, value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return "\(value)"
    }

    static func render(_ result: AggregateResult, groupBy: [String], format: String) -> String {
        switch format {
        case "json":
            let rows: [JSONValue] = result.rows.map { row in
                var group: [String: JSONValue] = [:]
                for key in groupBy { group[key] = .string(row.group[key] ?? "") }
                let value: JSONValue = row.value.isFinite && row.value == row.value.rounded() && abs(row.value) < 1e15
                    ? .integer(Int64(row.value)) : .double(row.value)
                return .object(["group": .object(group), "value": value, "count": .integer(Int64(row.count))])
            }
            return JSONText.encode(.object(["rows": .array(rows)])) + "\n"
        case "csv":
            func field(_ text: String) -> String {
                text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) ? "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : text
            }
            let header = (groupBy + ["value"]).map(field).joined(separator: ",")
            let rows = result.rows.map { row in (groupBy.map { field(row.group[$0] ?? "") } + [number(row.value)]).joined(separator: ",") }
            return ([header] + rows).joined(separator: "\n") + "\n"
        default:
            if result.rows.isEmpty { return "no rows\n" }
            let header = groupBy.map { $0.uppercased() } + ["VALUE"]
            let rows = result.rows.map { row in groupBy.map { row.group[$0] ?? "" } + [number(row.value)] }
            return table(header, rows) + "\n"
        }
    }
}
