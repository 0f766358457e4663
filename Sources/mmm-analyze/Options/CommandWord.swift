/// The first argument, checked as a command name: `unknown command 'reprot'; did you mean
/// 'report'?`, and `help NOPE` is an error too.
enum CommandWord {
    /// The error message for `arguments`, or `nil` when their command word (if any) is known.
    static func check(_ arguments: [String], commands: [String]) -> String? {
        guard let first = arguments.first, !first.hasPrefix("-") else { return nil }
        if first == "help" {
            guard arguments.count > 1, !arguments[1].hasPrefix("-") else { return nil }
            return commands.contains(arguments[1]) ? nil : unknown(arguments[1], commands: commands)
        }
        return commands.contains(first) ? nil : unknown(first, commands: commands)
    }

    private static func unknown(_ word: String, commands: [String]) -> String {
        let nearest = commands.map { (name: $0, distance: distance($0, word)) }.min { $0.distance < $1.distance }
        if let nearest, nearest.distance <= max(2, word.count / 3) {
            return "unknown command '\(word)'; did you mean '\(nearest.name)'?"
        }
        return "unknown command '\(word)'; the commands are \(commands.joined(separator: ", "))"
    }

    /// Optimal string alignment distance: insertions, deletions, substitutions and swaps of
    /// neighbours each cost 1 (so `reprot` is 1 from `report`).
    static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        if a.isEmpty || b.isEmpty { return max(a.count, b.count) }
        var table = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in 0...a.count { table[i][0] = i }
        for j in 0...b.count { table[0][j] = j }
        for i in 1...a.count {
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                table[i][j] = min(table[i - 1][j] + 1, table[i][j - 1] + 1, table[i - 1][j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] { table[i][j] = min(table[i][j], table[i - 2][j - 2] + 1) }
            }
        }
        return table[a.count][b.count]
    }
}
