/// One key/value pair of a ``Tags`` set.
public struct Tag: Sendable, Hashable, Codable {
    /// The tag's key, such as `"command"`.
    public var key: String
    /// The tag's value, such as `"build"`.
    public var value: String

    /// Creates a tag.
    public init(key: String, value: String) {
        self.key = key
        self.value = value
    }
}

/// A small set of string tags attached to a metric event.
///
/// Guarantees:
/// - keys are unique; when a literal or a merge names a key twice, the later value wins;
/// - iteration is in ascending key order, so equal sets hash, compare and print the same;
/// - copying is O(1) (copy-on-write storage), so passing tags around is cheap.
public struct Tags: Sendable, Hashable {
    /// The pairs, sorted by key, keys unique.
    @usableFromInline
    internal var pairs: [Tag]

    /// An empty set of tags.
    @inlinable
    public init() { pairs = [] }

    /// Creates tags from pairs; a later pair wins over an earlier one with the same key.
    public init<S: Sequence>(_ elements: S) where S.Element == (String, String) {
        pairs = []
        for (key, value) in elements { self[key] = value }
    }

    /// Creates tags from pairs already in ascending key order with unique keys, without sorting
    /// (decoders that store tags in order use it). The order is checked in debug builds only.
    package init(presorted pairs: [Tag]) {
        assert(zip(pairs, pairs.dropFirst()).allSatisfy { $0.key < $1.key }, "Tags(presorted:) needs ascending unique keys")
        self.pairs = pairs
    }

    /// Creates tags from a dictionary.
    public init(_ dictionary: [String: String]) {
        pairs = dictionary.map { Tag(key: $0.key, value: $0.value) }.sorted { $0.key < $1.key }
    }

    /// Whether there are no tags.
    @inlinable
    public var isEmpty: Bool { pairs.isEmpty }

    /// The number of tags.
    @inlinable
    public var count: Int { pairs.count }

    /// The keys, in ascending order.
    public var keys: [String] { pairs.map(\.key) }

    /// The tags as a dictionary.
    public var dictionary: [String: String] {
        Dictionary(uniqueKeysWithValues: pairs.map { ($0.key, $0.value) })
    }

    private func index(of key: String) -> (found: Bool, index: Int) {
        var low = 0
        var high = pairs.count
        while low < high {
            let mid = (low + high) / 2
            let midKey = pairs[mid].key
            if midKey == key { return (true, mid) }
            if midKey < key { low = mid + 1 } else { high = mid }
        }
        return (false, low)
    }

    /// The value for a key, or `nil`; setting `nil` removes the key.
    public subscript(key: String) -> String? {
        get {
            let position = index(of: key)
            return position.found ? pairs[position.index].value : nil
        }
        set {
            let position = index(of: key)
            switch (position.found, newValue) {
            case (true, let value?): pairs[position.index].value = value
            case (true, nil): pairs.remove(at: position.index)
            case (false, let value?): pairs.insert(Tag(key: key, value: value), at: position.index)
            case (false, nil): break
            }
        }
    }

    /// These tags with `other`'s laid over them: on a shared key, `other`'s value wins.
    public func merging(_ other: Tags) -> Tags {
        if other.isEmpty { return self }
        if isEmpty { return other }
        var merged: [Tag] = []
        merged.reserveCapacity(pairs.count + other.pairs.count)
        var left = 0
        var right = 0
        while left < pairs.count, right < other.pairs.count {
            let leftKey = pairs[left].key
            let rightKey = other.pairs[right].key
            if leftKey < rightKey {
                merged.append(pairs[left]); left += 1
            } else if rightKey < leftKey {
                merged.append(other.pairs[right]); right += 1
            } else {
                merged.append(other.pairs[right]); left += 1; right += 1
            }
        }
        merged.append(contentsOf: pairs[left...])
        merged.append(contentsOf: other.pairs[right...])
        var result = Tags()
        result.pairs = merged
        return result
    }

    /// These tags without the given keys.
    public func removing(_ keys: some Sequence<String>) -> Tags {
        var result = self
        for key in keys { result[key] = nil }
        return result
    }

    /// Whether every pair of `subset` is present here with the same value.
    public func contains(_ subset: Tags) -> Bool {
        subset.pairs.allSatisfy { self[$0.key] == $0.value }
    }
}

extension Tags: ExpressibleByDictionaryLiteral {
    /// Creates tags from a literal such as `["command": "build"]`; a repeated key keeps its last value.
    @inlinable
    public init(dictionaryLiteral elements: (String, String)...) {
        self.init()
        if !elements.isEmpty { self = Tags(elements) }
    }
}

extension Tags: Sequence {
    /// Iterates the tags in ascending key order.
    public func makeIterator() -> IndexingIterator<[Tag]> { pairs.makeIterator() }
}

extension Tags: CustomStringConvertible {
    /// `{key="value", …}` in key order, as Prometheus prints labels.
    public var description: String {
        "{" + pairs.map { "\($0.key)=\"\($0.value)\"" }.joined(separator: ", ") + "}"
    }
}

extension Tags: Codable {
    /// Decodes a JSON object of string values.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        self.init(try container.decode([String: String].self))
    }

    /// Encodes a JSON object of string values.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(dictionary)
    }
}
