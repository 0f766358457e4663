/// A JSON syntax error: where it was found (byte offset, and line and column as an editor counts
/// them) and why.
package struct JSONSyntaxError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Byte offset in the input (0-based).
    package let offset: Int
    /// The line, 1-based.
    package let line: Int
    /// The column in characters (Unicode scalars) from the start of the line, 1-based.
    package let column: Int
    /// What was wrong.
    package let reason: String

    /// An error at `offset` of `bytes`; the line and column are counted from the bytes.
    init(offset: Int, in bytes: UnsafeRawBufferPointer, reason: String) {
        self.offset = offset
        self.reason = reason
        var line = 1
        var lineStart = 0
        let end = min(max(0, offset), bytes.count)
        for index in 0..<end where bytes[index] == 0x0A {
            line += 1
            lineStart = index + 1
        }
        // Characters, not bytes: count the bytes that start a UTF-8 sequence (not 10xxxxxx continuations).
        var column = 1
        for index in lineStart..<end where bytes[index] & 0xC0 != 0x80 { column += 1 }
        self.line = line
        self.column = column
    }

    package var description: String { line > 1 ? "\(reason) at line \(line), column \(column)" : "\(reason) at column \(column)" }
}
