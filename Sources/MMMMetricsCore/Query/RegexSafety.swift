/// Patterns a backtracking matcher (Swift's `Regex`) can take exponential time on.
///
/// A repeated group that itself repeats something, such as `(a+)+` or `(\w*\s?)*`, makes a
/// backtracking matcher try every way of splitting a long value between the two repetitions: 20
/// characters took over a minute. Queries refuse such patterns rather than stall on a hostile tag.
package enum RegexSafety {
    /// The character offset of a repetition applied to a group that already repeats something, or
    /// `nil` when the pattern has none. Escapes and character classes are skipped; `?` (at most
    /// once) and `{n}` (exactly n) do not count as repetition.
    package static func nestedRepetition(in pattern: String) -> Int? {
        let characters = Array(pattern)
        var repeatsInside: [Bool] = []  // per open group: whether something inside it repeats
        var index = 0
        func repetition(at position: Int) -> (repeats: Bool, length: Int)? {
            guard position < characters.count else { return nil }
            switch characters[position] {
            case "*", "+": return (true, 1)
            case "?": return (false, 1)
            case "{":
                guard let close = characters[position...].firstIndex(of: "}") else { return nil }
                let body = String(characters[(position + 1)..<close])
                guard !body.isEmpty, body.allSatisfy({ $0.isNumber || $0 == "," }) else { return nil }
                return (body.contains(","), close - position + 1)
            default: return nil
            }
        }
        func markRepeat() { if !repeatsInside.isEmpty { repeatsInside[repeatsInside.count - 1] = true } }
        while index < characters.count {
            switch characters[index] {
            case "\\":
                index += 2
                if let quantifier = repetition(at: index), quantifier.repeats { markRepeat() }
                continue
            case "[":
                // A class: to its closing bracket (a `]` first in the class is literal).
                var end = index + 1
                if end < characters.count, characters[end] == "^" { end += 1 }
                if end < characters.count, characters[end] == "]" { end += 1 }
                while end < characters.count, characters[end] != "]" { end += characters[end] == "\\" ? 2 : 1 }
                index = end + 1
                if let quantifier = repetition(at: index), quantifier.repeats { markRepeat() }
                continue
            case "(":
                repeatsInside.append(false)
            case ")":
                let inner = repeatsInside.popLast() ?? false
                if let quantifier = repetition(at: index + 1), quantifier.repeats {
                    if inner { return index + 1 }
                    markRepeat()
                } else if inner {
                    markRepeat()
                }
            default:
                if let quantifier = repetition(at: index + 1), quantifier.repeats { markRepeat() }
            }
            index += 1
        }
        return nil
    }
}
