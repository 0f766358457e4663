/// JSON text to and from ``JSONValue``: compact output with sorted object keys, and a strict
/// parser that keeps integers that fit in `Int64` exact and reports errors with their column.
package enum JSONText {
    /// Compact JSON for a value, object keys sorted. Non-finite doubles (not representable in JSON) become `null`.
    package static func encode(_ value: JSONValue) -> String {
        var output: [UInt8] = []
        append(value, to: &output)
        return String(decoding: output, as: UTF8.self)
    }

    /// Appends compact JSON for a value.
    package static func append(_ value: JSONValue, to output: inout [UInt8]) {
        switch value {
        case .null: output.append(contentsOf: "null".utf8)
        case .bool(let flag): output.append(contentsOf: (flag ? "true" : "false").utf8)
        case .integer(let number): output.append(contentsOf: String(number).utf8)
        case .double(let number): appendDouble(number, to: &output)
        case .string(let text): appendString(text, to: &output)
        case .array(let items):
            output.append(UInt8(ascii: "["))
            for (index, item) in items.enumerated() {
                if index > 0 { output.append(UInt8(ascii: ",")) }
                append(item, to: &output)
            }
            output.append(UInt8(ascii: "]"))
        case .object(let members):
            output.append(UInt8(ascii: "{"))
            for (index, key) in members.keys.sorted().enumerated() {
                if index > 0 { output.append(UInt8(ascii: ",")) }
                appendString(key, to: &output)
                output.append(UInt8(ascii: ":"))
                append(members[key]!, to: &output)
            }
            output.append(UInt8(ascii: "}"))
        }
    }

    /// A finite double in the shortest form that reads back to the same value; non-finite as `null`.
    package static func appendDouble(_ number: Double, to output: inout [UInt8]) {
        guard number.isFinite else {
            output.append(contentsOf: "null".utf8)
            return
        }
        output.append(contentsOf: number.description.utf8)
    }

    /// The byte length of `append(value)`'s output, counted without building it; counting stops
    /// once it passes `limit` (the result is then some number above `limit`).
    package static func encodedLength(_ value: JSONValue, limit: Int = .max) -> Int {
        switch value {
        case .null: return 4
        case .bool(let flag): return flag ? 4 : 5
        case .integer(let number): return String(number).utf8.count
        case .double(let number): return number.isFinite ? number.description.utf8.count : 4
        case .string(let text): return stringLength(text)
        case .array(let items):
            var total = 2 + max(0, items.count - 1)
            for item in items where total <= limit { total += encodedLength(item, limit: limit - total) }
            return total
        case .object(let members):
            var total = 2 + max(0, members.count - 1)
            for (key, member) in members where total <= limit {
                total += stringLength(key) + 1 + encodedLength(member, limit: limit - total)
            }
            return total
        }
    }

    /// The byte length of a JSON string literal for `text`, quotes and escapes included.
    static func stringLength(_ text: String) -> Int {
        var total = 2
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), 0x0A, 0x0D, 0x09: total += 2
            case 0..<0x20: total += 6
            default: total += 1
            }
        }
        return total
    }

    /// A JSON string literal.
    package static func appendString(_ text: String, to output: inout [UInt8]) {
        output.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case 0x0A: output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case 0x0D: output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case 0x09: output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"),
                                           hex[Int(byte >> 4)], hex[Int(byte & 0xF)]])
            default: output.append(byte)
            }
        }
        output.append(UInt8(ascii: "\""))
    }

    /// Parses one JSON value (surrounding whitespace allowed).
    package static func parse(_ text: String) throws(JSONSyntaxError) -> JSONValue {
        var text = text
        let result: Result<JSONValue, JSONSyntaxError> = text.withUTF8 { bytes in
            Result { () throws(JSONSyntaxError) -> JSONValue in try parse(UnsafeRawBufferPointer(bytes)) }
        }
        return try result.get()
    }

    /// Checks that UTF-8 bytes are one JSON value that ``parse(_:)-(UnsafeRawBufferPointer)`` accepts,
    /// without building it; throws the error `parse` would throw.
    package static func validate(_ bytes: UnsafeRawBufferPointer) throws(JSONSyntaxError) {
        var parser = JSONParser(bytes: bytes)
        parser.skipWhitespace()
        try parser.skipValue(depth: 0)
        parser.skipWhitespace()
        guard parser.position == bytes.count else { throw parser.error("unexpected text after the JSON value") }
    }

    /// Parses one JSON value from UTF-8 bytes.
    package static func parse(_ bytes: UnsafeRawBufferPointer) throws(JSONSyntaxError) -> JSONValue {
        var parser = JSONParser(bytes: bytes)
        parser.skipWhitespace()
        let value = try parser.value(depth: 0)
        parser.skipWhitespace()
        guard parser.position == bytes.count else { throw parser.error("unexpected text after the JSON value") }
        return value
    }
}
