/// A recursive-descent JSON parser over UTF-8 bytes.
package struct JSONParser {
    package let bytes: UnsafeRawBufferPointer
    package var position = 0
    package static let maximumDepth = 512

    package init(bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    package func error(_ reason: String, at offset: Int? = nil) -> JSONSyntaxError {
        JSONSyntaxError(offset: offset ?? position, in: bytes, reason: reason)
    }

    /// The byte at `position` as a reader would name it: a character, a control character's code
    /// point, a byte-order mark, or a byte that starts no UTF-8 character.
    package func describeCurrent() -> String {
        guard let byte = current else { return "end of input" }
        if byte == 0xEF, position + 2 < bytes.count, bytes[position + 1] == 0xBB, bytes[position + 2] == 0xBF {
            return "byte-order mark (bytes EF BB BF; save the file as UTF-8 without one)"
        }
        if byte < 0x20 || byte == 0x7F { return "control character U+\(HexText.padded(byte, width: 4))" }
        if byte < 0x80 { return "character '\(Character(Unicode.Scalar(byte)))'" }
        var decoder = UTF8()
        var iterator = bytes[position...].makeIterator()
        if case .scalarValue(let scalar) = decoder.decode(&iterator) { return "character '\(Character(scalar))' (U+\(HexText.padded(scalar.value, width: 4)))" }
        return "byte 0x\(HexText.padded(byte, width: 2)) (not UTF-8 text)"
    }

    package var current: UInt8? { position < bytes.count ? bytes[position] : nil }

    package mutating func skipWhitespace() {
        while position < bytes.count {
            switch bytes[position] {
            case 0x20, 0x09, 0x0A, 0x0D: position += 1
            default: return
            }
        }
    }

    package mutating func expect(_ literal: String, value: JSONValue) throws(JSONSyntaxError) -> JSONValue {
        for byte in literal.utf8 {
            guard current == byte else { throw error("invalid literal, expected \(literal)") }
            position += 1
        }
        return value
    }

    package mutating func value(depth: Int) throws(JSONSyntaxError) -> JSONValue {
        guard depth < Self.maximumDepth else { throw error("nesting deeper than \(Self.maximumDepth)") }
        guard let byte = current else { throw error("unexpected end of input, expected a value") }
        switch byte {
        case UInt8(ascii: "{"): return try object(depth: depth)
        case UInt8(ascii: "["): return try array(depth: depth)
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): return try expect("true", value: .bool(true))
        case UInt8(ascii: "f"): return try expect("false", value: .bool(false))
        case UInt8(ascii: "n"): return try expect("null", value: .null)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try number()
        default: throw error("unexpected \(describeCurrent()), expected a value")
        }
    }

    package mutating func object(depth: Int) throws(JSONSyntaxError) -> JSONValue {
        position += 1
        var members: [String: JSONValue] = [:]
        skipWhitespace()
        if current == UInt8(ascii: "}") {
            position += 1
            return .object(members)
        }
        while true {
            skipWhitespace()
            let keyOffset = position
            guard current == UInt8(ascii: "\"") else {
                throw error(current == nil || current == UInt8(ascii: "}") ? "expected a string key" : "expected a string key, found \(describeCurrent())")
            }
            let key = try string()
            skipWhitespace()
            guard current == UInt8(ascii: ":") else { throw error("expected ':' after key \(JSONText.encode(.string(key)))") }
            position += 1
            skipWhitespace()
            let member = try value(depth: depth + 1)
            guard members.updateValue(member, forKey: key) == nil else { throw duplicateKey(key, in: members, at: keyOffset) }
            skipWhitespace()
            switch current {
            case UInt8(ascii: ","): position += 1
            case UInt8(ascii: "}"):
                position += 1
                return .object(members)
            default: throw error("expected ',' or '}' in an object")
            }
        }
    }

    /// A raw control character in a string (JSON wants it escaped), named by its code point.
    private func controlCharacterInString(_ byte: UInt8, at offset: Int) -> JSONSyntaxError {
        let code = HexText.padded(byte, width: 4)
        return error("control character U+\(code) in a string (write it as \\u\(code))", at: offset)
    }

    /// A repeated key, or one that Swift's `String` (and so ``JSONValue/object(_:)`` and ``Tags``)
    /// cannot tell from an earlier one: another spelling of the same canonical text.
    private func duplicateKey(_ key: String, in members: [String: JSONValue], at offset: Int) -> JSONSyntaxError {
        if let earlier = members.keys.first(where: { $0 == key }), !earlier.utf8.elementsEqual(key.utf8) {
            // Every scalar outside printable ASCII spelled out: the two keys look alike otherwise.
            let spelled = { (text: String) in
                text.unicodeScalars.map { (0x20..<0x7F).contains($0.value) ? String($0) : "\\u{\(String($0.value, radix: 16))}" }.joined()
            }
            return error(
                "duplicate key \"\(spelled(key))\": Unicode-equivalent to the earlier key \"\(spelled(earlier))\" (an object cannot hold both)",
                at: offset)
        }
        return error("duplicate key \(JSONText.encode(.string(key)))", at: offset)
    }

    package mutating func array(depth: Int) throws(JSONSyntaxError) -> JSONValue {
        position += 1
        var items: [JSONValue] = []
        skipWhitespace()
        if current == UInt8(ascii: "]") {
            position += 1
            return .array(items)
        }
        while true {
            skipWhitespace()
            items.append(try value(depth: depth + 1))
            skipWhitespace()
            switch current {
            case UInt8(ascii: ","): position += 1
            case UInt8(ascii: "]"):
                position += 1
                return .array(items)
            default: throw error("expected ',' or ']' in an array")
            }
        }
    }

    package mutating func hex4() throws(JSONSyntaxError) -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard let byte = current else { throw error("unexpected end of input in \\u escape") }
            guard let digit = Self.hexDigit(byte) else { throw error("invalid hex digit in \\u escape") }
            value = value << 4 | digit
            position += 1
        }
        return value
    }

    /// The value of one hexadecimal digit, either case.
    @inline(__always)
    static func hexDigit(_ byte: UInt8) -> UInt32? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): UInt32(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): UInt32(byte - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): UInt32(byte - UInt8(ascii: "A") + 10)
        default: nil
        }
    }

    package mutating func string() throws(JSONSyntaxError) -> String {
        let start = position
        position += 1
        // Fast path: no escapes.
        var scan = position
        while scan < bytes.count {
            let byte = bytes[scan]
            if byte == UInt8(ascii: "\"") {
                let raw = UnsafeRawBufferPointer(rebasing: bytes[position..<scan])
                guard let text = String(validating: raw.bindMemory(to: UInt8.self), as: UTF8.self) else {
                    throw error("string is not valid UTF-8", at: start)
                }
                if let control = raw.firstIndex(where: { $0 < 0x20 }) {
                    throw controlCharacterInString(raw[control], at: position + (control - raw.startIndex))
                }
                position = scan + 1
                return text
            }
            if byte == UInt8(ascii: "\\") { break }
            scan += 1
        }
        var output: [UInt8] = []
        while true {
            guard let byte = current else { throw error("unterminated string", at: start) }
            position += 1
            switch byte {
            case UInt8(ascii: "\""):
                guard let text = String(validating: output, as: UTF8.self) else { throw error("string is not valid UTF-8", at: start) }
                return text
            case UInt8(ascii: "\\"):
                guard let escape = current else { throw error("unterminated escape", at: start) }
                position += 1
                switch escape {
                case UInt8(ascii: "\""): output.append(0x22)
                case UInt8(ascii: "\\"): output.append(0x5C)
                case UInt8(ascii: "/"): output.append(0x2F)
                case UInt8(ascii: "b"): output.append(0x08)
                case UInt8(ascii: "f"): output.append(0x0C)
                case UInt8(ascii: "n"): output.append(0x0A)
                case UInt8(ascii: "r"): output.append(0x0D)
                case UInt8(ascii: "t"): output.append(0x09)
                case UInt8(ascii: "u"):
                    var scalar = try hex4()
                    if (0xD800..<0xDC00).contains(scalar) {
                        guard current == UInt8(ascii: "\\") else { throw error("unpaired surrogate in \\u escape") }
                        position += 1
                        guard current == UInt8(ascii: "u") else { throw error("unpaired surrogate in \\u escape") }
                        position += 1
                        let low = try hex4()
                        guard (0xDC00..<0xE000).contains(low) else { throw error("invalid low surrogate in \\u escape") }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    }
                    guard let unicode = Unicode.Scalar(scalar) else { throw error("invalid \\u escape") }
                    output.append(contentsOf: String(Character(unicode)).utf8)
                default: throw error("invalid escape '\\\(Character(Unicode.Scalar(escape)))'")
                }
            case 0..<0x20: throw controlCharacterInString(byte, at: position - 1)
            default: output.append(byte)
            }
        }
    }

    package mutating func number() throws(JSONSyntaxError) -> JSONValue {
        let start = position
        var isInteger = true
        if current == UInt8(ascii: "-") { position += 1 }
        func digits(_ parser: inout JSONParser) -> Int {
            var count = 0
            while let byte = parser.current, byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") {
                parser.position += 1
                count += 1
            }
            return count
        }
        let integerStart = position
        let integerDigits = digits(&self)
        guard integerDigits > 0 else { throw error("expected digits in a number", at: start) }
        if integerDigits > 1, bytes[integerStart] == UInt8(ascii: "0") { throw error("leading zero in a number", at: start) }
        if current == UInt8(ascii: ".") {
            isInteger = false
            position += 1
            guard digits(&self) > 0 else { throw error("expected digits after '.'", at: start) }
        }
        if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
            isInteger = false
            position += 1
            if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { position += 1 }
            guard digits(&self) > 0 else { throw error("expected digits in an exponent", at: start) }
        }
        let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)
        if isInteger {
            if let integer = Int64(text) { return .integer(integer) }
            // Beyond Int64 an integer is kept as a double only when the double holds it exactly.
            let magnitude = text.hasPrefix("-") ? text.dropFirst() : Substring(text)
            guard let double = Double(text), let exact = UInt64(exactly: double.magnitude), String(exact) == magnitude else {
                throw error("integer \(text.prefix(40)) does not fit in Int64 and a 64-bit float would change it (write it as a string)", at: start)
            }
            return .double(double)
        }
        // Double("1e400") is infinity, not nil: a number beyond the Double range is refused, not stored as infinity.
        guard let double = Double(text), double.isFinite else { throw error("number \(text.prefix(40)) is out of the range of a 64-bit float", at: start) }
        // 1e-400 would read back as 0: a non-zero number that underflows is refused too.
        let mantissa = text.prefix(while: { $0 != "e" && $0 != "E" })
        if double == 0, mantissa.contains(where: { ("1"..."9").contains($0) }) {
            throw error("number \(text.prefix(40)) is too small for a 64-bit float (it would read as 0)", at: start)
        }
        return .double(double)
    }
}

extension JSONParser {
    /// Checks one value exactly as ``value(depth:)`` would parse it, without building it: the same
    /// values are accepted and the same errors thrown. Strings without escapes, and objects whose keys
    /// are such strings in ASCII, are checked in place; anything else (an escape, a non-ASCII key, a
    /// repeated key) is handed to the building parser from the start of its string or object, so the
    /// rules live in one place.
    package mutating func skipValue(depth: Int) throws(JSONSyntaxError) {
        guard depth < Self.maximumDepth else { throw error("nesting deeper than \(Self.maximumDepth)") }
        guard let byte = current else { throw error("unexpected end of input, expected a value") }
        switch byte {
        case UInt8(ascii: "{"): try skipObject(depth: depth)
        case UInt8(ascii: "["): try skipArray(depth: depth)
        case UInt8(ascii: "\""):
            if try skipPlainString() == nil, !skipEscapedASCIIString() { _ = try string() }
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): _ = try number()
        default: _ = try value(depth: depth)
        }
    }

    /// A string without escapes or control characters, valid UTF-8, checked in place: where its
    /// bytes are and whether they are all ASCII; `nil` (position unchanged) for any other string.
    private mutating func skipPlainString() throws(JSONSyntaxError) -> (start: Int, count: Int, ascii: Bool)? {
        let start = position + 1
        var scan = start
        var ascii = true
        while scan < bytes.count {
            let byte = bytes[scan]
            if byte == UInt8(ascii: "\"") { break }
            if byte == UInt8(ascii: "\\") || byte < 0x20 { return nil }
            if byte >= 0x80 { ascii = false }
            scan += 1
        }
        guard scan < bytes.count else { return nil }
        if !ascii {
            let raw = UnsafeRawBufferPointer(rebasing: bytes[start..<scan])
            guard String(validating: raw.bindMemory(to: UInt8.self), as: UTF8.self) != nil else { return nil }
        }
        position = scan + 1
        return (start, scan - start, ascii)
    }

    /// A string with escapes and only ASCII bytes (a stack trace's `\n`s), checked in place as
    /// `string()` reads it; `false` (position unchanged) at anything else, valid or not, which
    /// `string()` then reads, so its rules and errors stay the only ones.
    private mutating func skipEscapedASCIIString() -> Bool {
        func hex(at offset: Int) -> UInt32? {
            guard offset + 4 <= bytes.count else { return nil }
            var value: UInt32 = 0
            for byte in bytes[offset..<(offset + 4)] {
                guard let digit = Self.hexDigit(byte) else { return nil }
                value = value << 4 | digit
            }
            return value
        }
        var scan = position + 1
        while scan < bytes.count {
            switch bytes[scan] {
            case UInt8(ascii: "\""):
                position = scan + 1
                return true
            case UInt8(ascii: "\\"):
                guard scan + 1 < bytes.count else { return false }
                switch bytes[scan + 1] {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"), UInt8(ascii: "n"),
                    UInt8(ascii: "r"), UInt8(ascii: "t"):
                    scan += 2
                case UInt8(ascii: "u"):
                    guard let high = hex(at: scan + 2) else { return false }
                    switch high {
                    case 0xD800..<0xDC00:
                        // A high surrogate must be followed by an escaped low one.
                        guard scan + 12 <= bytes.count, bytes[scan + 6] == UInt8(ascii: "\\"), bytes[scan + 7] == UInt8(ascii: "u"),
                            let low = hex(at: scan + 8), (0xDC00..<0xE000).contains(low)
                        else { return false }
                        scan += 12
                    case 0xDC00..<0xE000: return false
                    default: scan += 6
                    }
                default: return false
                }
            case 0..<0x20, 0x80...: return false
            default: scan += 1
            }
        }
        return false
    }

    private mutating func skipObject(depth: Int) throws(JSONSyntaxError) {
        let objectStart = position
        position += 1
        skipWhitespace()
        if current == UInt8(ascii: "}") {
            position += 1
            return
        }
        var keys: [(start: Int, count: Int)] = []
        while true {
            skipWhitespace()
            guard current == UInt8(ascii: "\""), let key = try skipPlainString(), key.ascii else {
                position = objectStart
                _ = try object(depth: depth)
                return
            }
            for other in keys where other.count == key.count {
                if bytes[other.start..<(other.start + other.count)].elementsEqual(bytes[key.start..<(key.start + key.count)]) {
                    position = objectStart
                    _ = try object(depth: depth)
                    return
                }
            }
            keys.append((key.start, key.count))
            skipWhitespace()
            guard current == UInt8(ascii: ":") else {
                position = objectStart
                _ = try object(depth: depth)
                return
            }
            position += 1
            skipWhitespace()
            try skipValue(depth: depth + 1)
            skipWhitespace()
            switch current {
            case UInt8(ascii: ","): position += 1
            case UInt8(ascii: "}"):
                position += 1
                return
            default: throw error("expected ',' or '}' in an object")
            }
        }
    }

    private mutating func skipArray(depth: Int) throws(JSONSyntaxError) {
        position += 1
        skipWhitespace()
        if current == UInt8(ascii: "]") {
            position += 1
            return
        }
        while true {
            skipWhitespace()
            try skipValue(depth: depth + 1)
            skipWhitespace()
            switch current {
            case UInt8(ascii: ","): position += 1
            case UInt8(ascii: "]"):
                position += 1
                return
            default: throw error("expected ',' or ']' in an array")
            }
        }
    }
}
