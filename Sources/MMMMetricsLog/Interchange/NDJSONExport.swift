import MMMMetricsCore
import MMMMetricsLogFormat

/// NDJSON out of a log root or archive.
public enum NDJSONExport {
    /// Writes a session's events (every session's, by id, when `session` is nil) as NDJSON lines in
    /// sequence order, through `write` in chunks. Returns the number of events written.
    @discardableResult
    public static func write(
        from source: any LogSource, session: String?, filter: ReadFilter = ReadFilter(), mode: ReadMode = .lenient,
        warning: (ReadWarning) -> Void = { _ in }, write: ([UInt8]) throws -> Void
    ) throws -> Int {
        let reader = LogReader(source: source)
        let sessions = try session.map { [$0] } ?? reader.sessions()
        let compiled = CompiledReadFilter(filter)
        var output: [UInt8] = []
        var written = 0
        output.reserveCapacity(1 << 20)
        for id in sessions {
            try reader.replay(session: id, filter: filter, mode: mode, warning: warning) { block in
                for index in 0..<block.count where compiled.selects(block, index) {
                    NDJSONEvent.format(block.event(at: index), session: id, into: &output)
                    output.append(0x0A)
                    written += 1
                    if output.count >= 1 << 20 {
                        try write(output)
                        output.removeAll(keepingCapacity: true)
                    }
                }
            }
        }
        if !output.isEmpty { try write(output) }
        return written
    }
}
