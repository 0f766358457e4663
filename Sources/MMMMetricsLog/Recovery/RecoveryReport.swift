import MMMMetricsCore
public import MMMMetricsLogFormat

/// What opening a session for writing found and repaired.
public struct RecoveryReport: Sendable, Hashable, CustomStringConvertible {
    /// The segment that was examined (the session's last).
    public var segmentPath: String
    /// Bytes cut from a torn tail.
    public var truncatedBytes: Int
    /// Events in the cut tail, when its block header could be read.
    public var droppedEvents: Int?
    /// Damage left in place (bad blocks followed by valid ones are never deleted).
    public var damageKept: [SegmentDamage]
    /// Segment files removed because they held no header and no event (a crash right after creating them).
    public var removedEmptySegments: [String] = []
    /// Events the last segment's index listed beyond what the segment still holds: proof that they
    /// were written and are lost (the segment was cut, by a copy or a power cut).
    public var eventsListedByIndexLost: Int?
    /// Whether the last segment's damaged header was rewritten (its blocks made it certain).
    public var rewroteHeader = false
    /// Whether the last segment's header is damaged beyond a certain rewrite: it is left for readers
    /// (who read its intact blocks) and new events go to a new segment.
    public var keptDamagedHeader = false

    /// Creates a value from its fields.
    package init(
        segmentPath: String, truncatedBytes: Int, droppedEvents: Int?, damageKept: [SegmentDamage], removedEmptySegments: [String] = [],
        rewroteHeader: Bool = false, keptDamagedHeader: Bool = false
    ) {
        self.segmentPath = segmentPath
        self.truncatedBytes = truncatedBytes
        self.droppedEvents = droppedEvents
        self.damageKept = damageKept
        self.removedEmptySegments = removedEmptySegments
        self.rewroteHeader = rewroteHeader
        self.keptDamagedHeader = keptDamagedHeader
    }

    public var description: String {
        var parts: [String] = removedEmptySegments.map { "removed the empty segment \($0) (no header, no events)" }
        if rewroteHeader { parts.append("rewrote the damaged header of \(segmentPath) (its blocks are intact)") }
        if keptDamagedHeader { parts.append("kept \(segmentPath), whose header is damaged, as it is; new events start a new segment") }
        if truncatedBytes > 0 {
            parts.append("truncated a torn tail of \(truncatedBytes) bytes"
                + (droppedEvents.map { " (\($0) events)" } ?? " (event count unknown)") + " from \(segmentPath)")
        }
        if let lost = eventsListedByIndexLost {
            parts.append("the index of \(segmentPath) lists \(lost) events the segment no longer holds (it was cut short): they are lost")
        }
        for damage in damageKept { parts.append("kept damage in \(segmentPath): \(damage)") }
        return parts.isEmpty ? "\(segmentPath): nothing to repair" : parts.joined(separator: "; ")
    }
}
