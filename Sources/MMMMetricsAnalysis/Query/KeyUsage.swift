import MMMMetricsCore

/// What the selected events carried, gathered across blocks, for the warnings about keys no
/// selected event carries.
struct KeyUsage {
    /// Events selected by name and time (before tag matchers).
    var selectedEvents = 0
    /// Checked tag keys some selected event carries.
    var carriedTags: Set<String> = []
    /// Grouped-by data fields some selected custom event has.
    var presentFields: Set<String> = []
    /// Checked tag keys that a selected custom event has as a data field (for the hint).
    var fieldsNamedLikeTags: Set<String> = []
    /// Selected custom events met while some checked tag key was not yet seen (where the hint may look).
    var customEventsLackingTags = 0
    /// Whether every event that passed the matchers was a timer (and at least one did).
    var onlyTimers: Bool?
    /// Events counted once because their sample-rate tag is not a decimal rate in [1e-12, 1].
    var invalidRates = 0

    /// Adds what another part of the query (another session) met.
    mutating func merge(_ other: KeyUsage) {
        selectedEvents += other.selectedEvents
        carriedTags.formUnion(other.carriedTags)
        presentFields.formUnion(other.presentFields)
        fieldsNamedLikeTags.formUnion(other.fieldsNamedLikeTags)
        customEventsLackingTags += other.customEventsLackingTags
        invalidRates += other.invalidRates
        switch (onlyTimers, other.onlyTimers) {
        case (nil, let theirs): onlyTimers = theirs
        case (_, nil): break
        case (let mine?, let theirs?): onlyTimers = mine && theirs
        }
    }

    /// The warnings, one per key.
    func notes(for plan: QueryPlan, names: [String]) -> [String] {
        guard selectedEvents > 0 else {
            // A misspelt name answers "no rows": say which name found nothing.
            let spelled = names.map { "'\($0)'" }.joined(separator: ", ")
            return names.isEmpty ? [] : ["no stored event matches the name \(spelled)" + (plan.timeRange == nil ? "" : " in the time range")]
        }
        var notes: [String] = []
        for key in plan.checkedTagKeys where !carriedTags.contains(key) {
            notes.append("no selected event carries the tag '\(key)'" + (fieldsNamedLikeTags.contains(key)
                ? "; custom events have a data field of that name: did you mean data.\(key)?" : ""))
        }
        if invalidRates > 0 {
            notes.append("\(invalidRates) event\(invalidRates == 1 ? " carries" : "s carry") a \(SampleRate.tag) tag that is not a decimal rate in [1e-12, 1]: counted once each")
        }
        for field in plan.checkedDataFields where !presentFields.contains(field) {
            notes.append("no selected custom event has the data field '\(field)' (data.\(field) groups them all under \"\")")
        }
        return notes
    }
}
