import MMMMetricsCore
import Testing

@Suite("JSON text")
struct JSONTextTests {
    @Test("JSON text: strict parsing with columns, exact integers, escapes, and compact sorted output")
    func jsonText() throws {
        #expect(try JSONText.parse(#" {"b": [1, -2.5e3, true, null, "x\u00e9\ud83d\ude80\n"], "a": {}} "#)
                == ["b": [1, -2500.0, true, nil, "xé🚀\n"], "a": [:]])
        #expect(try JSONText.parse("-9223372036854775808") == .integer(.min))
        #expect(try JSONText.parse("9223372036854775808") == .double(9.223372036854775808e18))
        #expect(try JSONText.parse(#""\"\\\/\b\f\r\t""#) == .string("\"\\/\u{8}\u{c}\r\t"))
        let failures: [(String, String)] = [
            ("{", "expected a string key"), (#"{"a" 1}"#, "expected ':'"), ("[1,]", "unexpected character"),
            (#"{"a":1,"a":2}"#, "duplicate key"), ("01", "leading zero"), ("1.", "expected digits after '.'"),
            ("1e", "expected digits in an exponent"), ("tru", "invalid literal"), (#""abc"#, "unterminated string"),
            (#""\x""#, "invalid escape"), (#""\ud800""#, "unpaired surrogate"), ("[1 2]", "expected ',' or ']'"),
            (#"{"a":1 "b":2}"#, "expected ',' or '}'"), ("1 2", "unexpected text after"), ("-", "expected digits"),
            (#""\u12G4""#, "invalid hex digit"), (#"{1:2}"#, "expected a string key"), ("\"a\u{1}\"", "control character"),
            (#""\ud800\u0041""#, "invalid low surrogate"), ("", "unexpected end of input"),
        ]
        for (text, reason) in failures {
            do {
                _ = try JSONText.parse(text)
                Issue.record("accepted \(text)")
            } catch {
                #expect(error.reason.contains(reason), "\(text): \(error)")
            }
        }
        do { _ = try JSONText.parse(#"{"a":1,"a":2}"#) } catch { #expect(error.description == #"duplicate key "a" at column 8"#) }
        // What the reader is shown for bytes that are not where JSON wants them.
        let named: [([UInt8], String)] = [
            ([0xEF, 0xBB, 0xBF] + Array("{}".utf8), "unexpected byte-order mark (bytes EF BB BF"),
            ([0x01], "unexpected control character U+0001"), ([0x7F], "unexpected control character U+007F"),
            ([0xFF], "unexpected byte 0xFF (not UTF-8 text)"), (Array("é".utf8), "unexpected character 'é' (U+00E9)"),
            (Array("[\"a\tb\"]".utf8), #"control character U+0009 in a string (write it as \u0009)"#),
            (Array("[\"a\\n\u{1}\"]".utf8), "control character U+0001 in a string"),
            ([0x7B, 0xEF, 0xBB, 0xBF, 0x22, 0x61, 0x22, 0x3A, 0x31, 0x7D], "expected a string key, found byte-order mark"),
            // Keys are quoted as JSON in messages: a key's newline does not break the line of the message.
            (Array(#"{"a\nb" 1}"#.utf8), #"expected ':' after key "a\nb""#), (Array(#"{"a\rb":1,"a\rb":2}"#.utf8), #"duplicate key "a\rb""#),
            (Array(#"{"é":1,"é":2}"#.utf8), #"duplicate key "e\u{301}": Unicode-equivalent to the earlier key "\u{e9}""#),
        ]
        for (bytes, reason) in named {
            let failure = #expect(throws: JSONSyntaxError.self) { try bytes.withUnsafeBytes { try JSONText.parse($0) } }
            #expect(failure?.reason.contains(reason) == true, "\(bytes): \(String(describing: failure))")
        }
        let deep = String(repeating: "[", count: 600) + String(repeating: "]", count: 600)
        #expect(throws: JSONSyntaxError.self) { try JSONText.parse(deep) }
        #expect(JSONText.encode(["b": 1, "a": [2.5, "x\u{1}\"\\\t\r\n"], "c": .double(.nan)]) == #"{"a":[2.5,"x\u0001\"\\\t\r\n"],"b":1,"c":null}"#)
        #expect(JSONText.encode([true, false, nil]) == "[true,false,null]")
    }

    @Test("validating without building accepts what parsing accepts and throws the same error")
    func validateAgreesWithParse() {
        let texts = [
            #"{"a":1,"b":[true,false,null,"x"],"c":{"d":-2.5e3}}"#, #"{"a":1,"a":2}"#, #"{"é":1,"e\u0301":2}"#, #"{"é":1,"é":2}"#,
            #"{"a":1,"b":"\u00e9"}"#, #"{"a\"b":1}"#, #"{"a" 1}"#, #"{"a":1,}"#, #"[1,2,]"#, #"[1 2]"#, #""unterminated"#,
            "\"tab\there\"", "\"caf\u{e9}\"", "\"\u{80}\"", #"1e400"#, #"1e-400"#, #"01"#, #"-"#, #"tru"#, #"nul"#, #"{} x"#,
            "  [ ]  ", #"{"a":{"a":{"a":1}},"b":[{"a":1,"a":2}]}"#, #"{"k":1,"k2":2,"k":3}"#, "", "\u{FEFF}{}",
            String(repeating: "[", count: 600) + String(repeating: "]", count: 600), "\"\\ud800\"", #"{"a":1}{"#,
            // Escaped strings, checked in place when their bytes are ASCII.
            #"{"trace":"at a\n\tat b\r\n\"q\" \\ \/ \b\f \u00e9 \ud83d\ude80"}"#, #"["\ud83d\u0041"]"#, #"["\ude80"]"#,
            #"["\ud83d"]"#, #"["\ud83d\"]"#, #"["\ud83d\u12"]"#, #"["\u12G4"]"#, #"["\u00"]"#, #"["\x"]"#, #"["a\"#, #"["a\n"#,
            "[\"a\\n\u{1}\"]", "[\"a\\n\u{e9}\"]", "[\"a\\n\u{e9}\" x]", #"["\uD83D\uDE80","\uFFFF","\u0000"]"#,
        ]
        for text in texts {
            var parseError: JSONSyntaxError?
            do { _ = try JSONText.parse(text) } catch { parseError = error }
            var validateError: JSONSyntaxError?
            var copy = text
            copy.withUTF8 { bytes in
                do throws(JSONSyntaxError) { try JSONText.validate(UnsafeRawBufferPointer(bytes)) } catch { validateError = error }
            }
            #expect(validateError == parseError, "\(text.prefix(60).debugDescription)")
        }
    }
}

