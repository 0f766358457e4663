/// A metric-name pattern where `*` matches any run of characters (including none) and
/// every other character matches itself.
///
/// Matching works on UTF-8 bytes and never allocates.
package struct NameGlob: Sendable, Hashable, CustomStringConvertible {
    /// The pattern as written.
    package let pattern: String
    private let parts: [[UInt8]]
    private let anchoredStart: Bool
    private let anchoredEnd: Bool

    /// Compiles a pattern.
    package init(_ pattern: String) {
        self.pattern = pattern
        let bytes = Array(pattern.utf8)
        parts = bytes.split(separator: UInt8(ascii: "*"), omittingEmptySubsequences: false).map(Array.init)
        anchoredStart = bytes.first != UInt8(ascii: "*")
        anchoredEnd = bytes.last != UInt8(ascii: "*")
    }

    /// Whether the pattern has no `*`, so it matches exactly one name.
    package var isLiteral: Bool { parts.count == 1 }

    package var description: String { pattern }

    /// Whether `name` matches the whole pattern.
    package func matches(_ name: String) -> Bool {
        var name = name
        return name.withUTF8 { matches(bytes: $0) }
    }

    /// Whether the UTF-8 bytes of a name match the whole pattern.
    package func matches(bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        if parts.count == 1 { return bytes.elementsEqual(parts[0]) }
        var position = 0
        let first = parts[0]
        if anchoredStart {
            guard bytes.count >= first.count, bytes[0..<first.count].elementsEqual(first) else { return false }
            position = first.count
        }
        let last = parts[parts.count - 1]
        var end = bytes.count
        if anchoredEnd {
            guard end - position >= last.count, bytes[(end - last.count)..<end].elementsEqual(last) else { return false }
            end -= last.count
        }
        // Middle parts: leftmost greedy placement is optimal for `*`-only globs.
        for part in parts[1..<(parts.count - 1)] where !part.isEmpty {
            guard let found = Self.find(part, in: bytes, from: position, to: end) else { return false }
            position = found + part.count
        }
        return position <= end
    }

    private static func find(_ needle: [UInt8], in haystack: UnsafeBufferPointer<UInt8>, from: Int, to: Int) -> Int? {
        guard to - from >= needle.count else { return nil }
        var start = from
        while start + needle.count <= to {
            if haystack[start] == needle[0], haystack[start..<(start + needle.count)].elementsEqual(needle) { return start }
            start += 1
        }
        return nil
    }
}

/// An ordered list of globs; a name matches the list when it matches any of them.
package struct NameGlobList: Sendable, Hashable {
    /// The globs, in order.
    package let globs: [NameGlob]
    private let literals: Set<String>

    /// Compiles the patterns.
    package init(_ patterns: [String]) {
        globs = patterns.map(NameGlob.init)
        literals = Set(globs.filter(\.isLiteral).map(\.pattern))
    }

    /// Whether there are no patterns.
    package var isEmpty: Bool { globs.isEmpty }

    /// Whether `name` matches any of the globs.
    package func matches(_ name: String) -> Bool {
        if literals.contains(name) { return true }
        return globs.contains { !$0.isLiteral && $0.matches(name) }
    }
}
