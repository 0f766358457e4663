/// Hexadecimal text for messages: `U+0009`, `0xC3`.
package enum HexText {
    /// `value` in upper-case hexadecimal, padded with zeros to at least `width` digits.
    package static func padded<Value: BinaryInteger>(_ value: Value, width: Int) -> String {
        let digits = String(value, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
}
