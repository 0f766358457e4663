public import MMMMetricsCore
import MMMMetricsLogFormat

/// Size figures of stored sessions, as `mmm-analyze stats` prints them. JSON keys: `sessions`,
/// `segments`, `blocks`, `raw_blocks`, `events`, `segment_bytes`, `index_bytes`,
/// `stored_payload_bytes`, `decoded_payload_bytes`, `bytes_per_event`, `compression_ratio`,
/// `skipped_events`, `skipped_places`.
public struct LogStatistics: TabularOutput, Sendable, Hashable {
    /// Sessions counted.
    public var sessions = 0
    /// Segment files.
    public var segments = 0
    /// Valid blocks.
    public var blocks = 0
    /// Events in valid blocks.
    public var events = 0
    /// Segment bytes on disk.
    public var segmentBytes = 0
    /// Index bytes on disk.
    public var indexBytes = 0
    /// Block payload bytes as stored (compressed).
    public var storedPayloadBytes = 0
    /// Block payload bytes once decompressed (the binary encoding).
    public var decodedPayloadBytes = 0
    /// Blocks stored raw because compression did not pay.
    public var rawBlocks = 0
    /// Blocks stored in sections, each part compressed alone (docs/FORMAT.md, "Sections").
    public var sectionedBlocks = 0
    /// Damaged places whose blocks are not counted.
    public var skipped = SkippedData()

    /// No sessions counted yet.
    public init() {}

    /// Segment bytes per event.
    public var bytesPerEvent: Double { events == 0 ? 0 : Double(segmentBytes) / Double(events) }
    /// Decoded payload bytes over stored payload bytes.
    public var compressionRatio: Double { storedPayloadBytes == 0 ? 0 : Double(decodedPayloadBytes) / Double(storedPayloadBytes) }

    enum CodingKeys: String, CodingKey {
        case sessions, segments, blocks, events
        case rawBlocks = "raw_blocks"
        case sectionedBlocks = "sectioned_blocks"
        case segmentBytes = "segment_bytes"
        case indexBytes = "index_bytes"
        case storedPayloadBytes = "stored_payload_bytes"
        case decodedPayloadBytes = "decoded_payload_bytes"
        case bytesPerEvent = "bytes_per_event"
        case compressionRatio = "compression_ratio"
        case skippedEvents = "skipped_events"
        case skippedPlaces = "skipped_places"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(sessions, forKey: .sessions)
        try container.encode(segments, forKey: .segments)
        try container.encode(blocks, forKey: .blocks)
        try container.encode(rawBlocks, forKey: .rawBlocks)
        try container.encode(sectionedBlocks, forKey: .sectionedBlocks)
        try container.encode(events, forKey: .events)
        try container.encode(segmentBytes, forKey: .segmentBytes)
        try container.encode(indexBytes, forKey: .indexBytes)
        try container.encode(storedPayloadBytes, forKey: .storedPayloadBytes)
        try container.encode(decodedPayloadBytes, forKey: .decodedPayloadBytes)
        try container.encode(bytesPerEvent, forKey: .bytesPerEvent)
        try container.encode(compressionRatio, forKey: .compressionRatio)
        try container.encode(skipped.events, forKey: .skippedEvents)
        try container.encode(skipped.places, forKey: .skippedPlaces)
    }

    public var columns: [String] { ["figure", "value"] }

    public var rows: [[String]] {
        [["sessions", "\(sessions)"], ["segments", "\(segments)"], ["blocks", "\(blocks)"], ["raw_blocks", "\(rawBlocks)"],
         ["sectioned_blocks", "\(sectionedBlocks)"],
         ["events", "\(events)"], ["segment_bytes", "\(segmentBytes)"], ["index_bytes", "\(indexBytes)"],
         ["stored_payload_bytes", "\(storedPayloadBytes)"], ["decoded_payload_bytes", "\(decodedPayloadBytes)"],
         ["bytes_per_event", "\(bytesPerEvent)"], ["compression_ratio", "\(compressionRatio)"],
         ["skipped_events", "\(skipped.events)"], ["skipped_places", "\(skipped.places)"]]
    }

    /// The figures as a person reads them.
    public var textTable: String {
        func decimals(_ value: Double) -> String {
            let scaled = (value * 100).rounded()
            let whole = Int(scaled / 100)
            let fraction = Int(abs(scaled).truncatingRemainder(dividingBy: 100))
            return "\(whole)." + (fraction < 10 ? "0" : "") + "\(fraction)"
        }
        var lines = [
            ["sessions", "\(sessions)"], ["segments", "\(segments)"], ["blocks", "\(blocks) (\(rawBlocks) stored raw, \(sectionedBlocks) in sections)"], ["events", "\(events)"],
            ["bytes on disk", "\(segmentBytes) in segments, \(indexBytes) in indexes"],
            ["bytes per event", decimals(bytesPerEvent)],
            ["compression ratio", "\(decimals(compressionRatio)) (binary payload \(decodedPayloadBytes) bytes, stored \(storedPayloadBytes))"],
        ]
        if !skipped.isEmpty { lines.append(["skipped", "\(EnglishText.count(skipped.places, "damaged place")) (\(skipped.events) events known) not counted"]) }
        return TextTable.render(["", ""], lines).split(separator: "\n", omittingEmptySubsequences: false).dropFirst().joined(separator: "\n")
    }
}
