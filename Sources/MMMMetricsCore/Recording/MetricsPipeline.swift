/// One stage of the transformation pipeline that events pass through before any collector sees them.
///
/// Stages run in order; a stage returns `false` to drop the event. A stage must be cheap and must
/// not block: it runs on the caller's path.
public protocol MetricsPipelineStage: Sendable {
    /// Transforms the event in place; returns `false` to drop it.
    func apply(to event: inout MetricEvent) -> Bool
    /// Whether the stage's decision and changes depend only on the event's name and tags.
    /// Pre-bound handles run such stages once, when they are made, instead of on every call.
    var dependsOnlyOnNameAndTags: Bool { get }
}

extension MetricsPipelineStage {
    /// Custom stages may look at values, so by default they run on every event.
    public var dependsOnlyOnNameAndTags: Bool { false }
}

/// Drops events whose name matches a glob.
public struct DropStage: MetricsPipelineStage {
    /// The names to drop.
    package let names: NameGlobList
    /// Drops names matching any of the globs.
    public init(_ globs: [String]) { names = NameGlobList(globs) }
    public func apply(to event: inout MetricEvent) -> Bool { !names.matches(event.name) }
    public var dependsOnlyOnNameAndTags: Bool { true }
}

/// Renames events: an exact name, or a prefix when `from` ends in `*` (`old.*` → `new.*`).
public struct RenameStage: MetricsPipelineStage {
    /// The name (or `prefix*`) to rename.
    public let from: String
    /// The new name (or prefix, ending in `*`).
    public let to: String
    /// Renames `from` to `to`.
    public init(from: String, to: String) {
        self.from = from
        self.to = to
    }

    public func apply(to event: inout MetricEvent) -> Bool {
        if from.hasSuffix("*"), to.hasSuffix("*") {
            let prefix = from.dropLast()
            if event.name.hasPrefix(prefix) {
                event.name = String(to.dropLast()) + event.name.dropFirst(prefix.count)
            }
        } else if event.name == from {
            event.name = to
        }
        return true
    }

    public var dependsOnlyOnNameAndTags: Bool { true }
}

/// Adds tags to events whose name matches (existing keys are overwritten).
public struct AddTagsStage: MetricsPipelineStage {
    /// The tags to add.
    public let tags: Tags
    /// The names affected.
    package let names: NameGlobList
    /// Adds `tags` to events matching any glob in `matching` (all by default).
    public init(_ tags: Tags, matching: [String] = ["*"]) {
        self.tags = tags
        names = NameGlobList(matching)
    }

    public func apply(to event: inout MetricEvent) -> Bool {
        if names.matches(event.name) { event.tags = event.tags.merging(tags) }
        return true
    }

    public var dependsOnlyOnNameAndTags: Bool { true }
}

/// Removes tag keys from events whose name matches.
public struct RemoveTagsStage: MetricsPipelineStage {
    /// The keys to remove.
    public let keys: [String]
    /// The names affected.
    package let names: NameGlobList
    /// Removes `keys` from events matching any glob in `matching` (all by default).
    public init(_ keys: [String], matching: [String] = ["*"]) {
        self.keys = keys
        names = NameGlobList(matching)
    }

    public func apply(to event: inout MetricEvent) -> Bool {
        if names.matches(event.name) { event.tags = event.tags.removing(keys) }
        return true
    }

    public var dependsOnlyOnNameAndTags: Bool { true }
}
