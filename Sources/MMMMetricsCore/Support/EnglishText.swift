/// Small pieces of English for messages and reports, spelled one way everywhere.
package enum EnglishText {
    /// `number` and `noun`, plural unless the number is one: "1 event", "0 events", "3 places".
    package static func count(_ number: Int, _ noun: String) -> String { "\(number) \(noun)\(number == 1 ? "" : "s")" }
}
