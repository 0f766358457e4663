/// Entry points for the libFuzzer targets in `Tools/Fuzz` (docs/FUZZING.md); not API.
///
/// Each runs the code under test on arbitrary bytes: a thrown error is an answer, a trap is a bug.
/// Invariants that fail stop the process with `fatalError`, which libFuzzer reports as a crash.
@_spi(Fuzzing) public enum CoreFuzzEntryPoints {
    /// For the fuzzers: `JSONText.parse`; a value that parses encodes (to exactly `encodedLength`
    /// bytes) and parses back to the same value and the same text.
    @_spi(Fuzzing) public static func jsonText(_ bytes: UnsafeRawBufferPointer) {
        // The checker readers use on custom data must agree with the parser, error for error.
        var validation: JSONSyntaxError?
        do throws(JSONSyntaxError) { try JSONText.validate(bytes) } catch { validation = error }
        let value: JSONValue
        do {
            value = try JSONText.parse(bytes)
        } catch {
            require(validation == error, "validate says \(String(describing: validation)), parse says \(error)")
            require(error.offset >= 0 && error.offset <= bytes.count, "JSON error offset \(error.offset) outside 0...\(bytes.count)")
            require(error.line >= 1 && error.column >= 1, "JSON error at line \(error.line), column \(error.column)")
            _ = error.description
            return
        }
        require(validation == nil, "validate refuses what parse accepts: \(String(describing: validation))")
        let text = JSONText.encode(value)
        let length = text.utf8.count
        require(JSONText.encodedLength(value) == length, "encodedLength \(JSONText.encodedLength(value)) != \(length) for \(text.prefix(200))")
        let limit = length / 2
        let bounded = JSONText.encodedLength(value, limit: limit)
        require(bounded > limit || bounded == length, "encodedLength(limit: \(limit)) = \(bounded), actual \(length)")
        let again: JSONValue
        do { again = try JSONText.parse(text) } catch { fatalError("encoded JSON does not parse: \(error): \(text.prefix(200))") }
        require(again == value, "JSON value changed on re-parse: \(text.prefix(200))")
        require(Array(JSONText.encode(again).utf8) == Array(text.utf8), "JSON text changed on re-encode: \(text.prefix(200))")
    }

    /// Stops the process (a crash libFuzzer records) when an invariant does not hold.
    package static func require(_ condition: Bool, _ message: @autoclosure () -> String, file: StaticString = #fileID, line: UInt = #line) {
        if !condition { fatalError("fuzz invariant: \(message())", file: file, line: line) }
    }

    /// Why two events differ, byte for byte (names, tags, JSON text; gauges by bit pattern), or `nil`.
    package static func difference(_ left: MetricEvent, _ right: MetricEvent) -> String? {
        if Array(left.name.utf8) != Array(right.name.utf8) { return "name \(left.name.debugDescription) != \(right.name.debugDescription)" }
        if left.timestamp != right.timestamp { return "timestamp \(String(describing: left.timestamp)) != \(String(describing: right.timestamp))" }
        let leftTags = left.tags.map { (Array($0.key.utf8), Array($0.value.utf8)) }
        let rightTags = right.tags.map { (Array($0.key.utf8), Array($0.value.utf8)) }
        if !leftTags.elementsEqual(rightTags, by: { $0.0 == $1.0 && $0.1 == $1.1 }) { return "tags \(left.tags) != \(right.tags)" }
        switch (left.value, right.value) {
        case (.counter(let a), .counter(let b)) where a == b: return nil
        case (.gauge(let a), .gauge(let b)) where a.bitPattern == b.bitPattern: return nil
        case (.timer(let a), .timer(let b)) where a == b: return nil
        case (.custom(let a), .custom(let b)) where a == b && Array(JSONText.encode(a).utf8) == Array(JSONText.encode(b).utf8): return nil
        default: return "value \(left.value) != \(right.value)"
        }
    }

    /// Requires two event lists to be the same, event by event (see ``difference(_:_:)``).
    package static func requireSame(_ left: [MetricEvent], _ right: [MetricEvent], _ what: String, file: StaticString = #fileID, line: UInt = #line) {
        require(left.count == right.count, "\(what): \(left.count) events != \(right.count)", file: file, line: line)
        for (index, (a, b)) in zip(left, right).enumerated() {
            if let why = difference(a, b) { fatalError("fuzz invariant: \(what): event \(index): \(why)", file: file, line: line) }
        }
    }
}
