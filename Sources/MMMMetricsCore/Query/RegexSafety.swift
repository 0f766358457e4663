/// Patterns a backtracking matcher (Swift's `Regex`) can take exponential time on.
///
/// A repeated group that itself repeats something, such as `(a+)+` or `(\w*\s?)*`, makes a
/// backtracking matcher try every way of splitting a long value between the two repetitions: 20
/// characters took over a minute. Queries refuse such patterns rather than stall on a hostile tag.
package enum RegexSafety {
    /// The character offset of a repetition applied to a group that can match in more than one
    /// length, or `nil` when the pattern has none: `(a+)+`, `(\w*\s?)*`, `(a?){28}`. Escapes and
    /// character classes are skipped. A quantifier varies the length when it is `*`, `+`, `?` or
    /// `{n,m}` with n < m (`{n}` does not); it repeats when it allows more than one (`?` and `{1}` do not).
    package static func nestedRepetition(in pattern: String) -> Int? {
        let characters = Array(pattern)
        var repeatsInside: [Bool] = []  // per open group: whether something inside it varies in length
        var index = 0
        func repetition(at position: Int) -> (varies: Bool, repeats: Bool, length: Int)? {
            guard position < characters.count else { return nil }
            switch characters[position] {
            case "*", "+": return (true, true, 1)
            case "?": return (true, false, 1)
            case "{":
                guard let close = characters[position...].firstIndex(of: "}") else { return nil }
                let body = String(characters[(position + 1)..<close])
                guard !body.isEmpty, body.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ",") }) else { return nil }
                let bounds = body.split(separator: ",", omittingEmptySubsequences: false)
                let low = Int(bounds[0]) ?? 0
                let high: Int? = bounds.count == 1 ? low : (bounds[1].isEmpty ? nil : Int(bounds[1]) ?? Int.max)
                return (high != low, high.map { $0 > 1 } ?? true, close - position + 1)
            default: return nil
            }
        }
        func markRepeat() { if !repeatsInside.isEmpty { repeatsInside[repeatsInside.count - 1] = true } }
        while index < characters.count {
            switch characters[index] {
            case "\\":
                index += 2
                if let quantifier = repetition(at: index), quantifier.varies { markRepeat() }
                continue
            case "[":
                // A class: to its closing bracket (a `]` first in the class is literal).
                var end = index + 1
                if end < characters.count, characters[end] == "^" { end += 1 }
                if end < characters.count, characters[end] == "]" { end += 1 }
                while end < characters.count, characters[end] != "]" { end += characters[end] == "\\" ? 2 : 1 }
                index = end + 1
                if let quantifier = repetition(at: index), quantifier.varies { markRepeat() }
                continue
            case "(":
                repeatsInside.append(false)
            case ")":
                let inner = repeatsInside.popLast() ?? false
                let quantifier = repetition(at: index + 1)
                if inner, quantifier?.repeats == true { return index + 1 }
                if inner || quantifier?.varies == true { markRepeat() }
            default:
                if let quantifier = repetition(at: index + 1), quantifier.varies { markRepeat() }
            }
            index += 1
        }
        return nil
    }
}
