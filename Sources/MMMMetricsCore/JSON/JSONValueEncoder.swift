/// Encodes any `Encodable` value as a ``JSONValue``, so library result types are `Codable` and every
/// command-line output goes through one JSON writer (``JSONText``): compact, keys sorted, numbers in
/// their shortest exact form, no Foundation needed.
///
/// Integers that fit in `Int64` stay integers; other numbers become doubles (non-finite ones `null`,
/// as ``JSONText`` writes them); synthesised conformances omit `nil` optionals, as Foundation's encoder does.
package struct JSONValueEncoder: Sendable {
    /// An encoder.
    package init() {}

    /// The JSON value for `value`.
    package func encode(_ value: some Encodable) throws -> JSONValue {
        try Self.encodeNested(value, codingPath: [])
    }

    /// The compact JSON text for `value`.
    package func text(_ value: some Encodable) throws -> String { JSONText.encode(try encode(value)) }

    /// A value being built: containers hold nodes, resolved into a ``JSONValue`` at the end.
    final class Node {
        enum Content {
            case empty
            case value(JSONValue)
            case object([String: Node])
            case array([Node])
        }

        var content: Content = .empty

        init(_ content: Content = .empty) { self.content = content }

        var resolved: JSONValue {
            switch content {
            case .empty: .null
            case .value(let value): value
            case .object(let members): .object(members.mapValues(\.resolved))
            case .array(let items): .array(items.map(\.resolved))
            }
        }

        func member(_ key: String) -> Node {
            let child = Node()
            if case .object(var members) = content {
                // Drop the enum's reference first, so the dictionary is unique and grows in place
                // (otherwise every member copies all the others: quadratic in a 6,000-row answer).
                content = .empty
                members[key] = child
                content = .object(members)
            } else {
                content = .object([key: child])
            }
            return child
        }

        func appended() -> Node {
            let child = Node()
            if case .array(var items) = content {
                content = .empty
                items.append(child)
                content = .array(items)
            } else {
                content = .array([child])
            }
            return child
        }
    }

    /// The JSON value of a primitive, or `nil` when `value` is not one.
    static func primitive(_ value: some Encodable) -> JSONValue? {
        switch value {
        case let value as JSONValue: value
        case let value as String: .string(value)
        case let value as Bool: .bool(value)
        case let value as Double: .double(value)
        case let value as Float: .double(Double(value))
        case let value as Int: .integer(Int64(value))
        case let value as Int64: .integer(value)
        case let value as Int32: .integer(Int64(value))
        case let value as UInt32: .integer(Int64(value))
        case let value as UInt64: Int64(exactly: value).map(JSONValue.integer) ?? .double(Double(value))
        case let value as UInt: Int64(exactly: value).map(JSONValue.integer) ?? .double(Double(value))
        default: nil
        }
    }

    static func encodeNested(_ value: some Encodable, codingPath: [any CodingKey]) throws -> JSONValue {
        if let primitive = primitive(value) { return primitive }
        let node = Node()
        try value.encode(to: ValueEncoder(node: node, codingPath: codingPath))
        if case .empty = node.content { return .object([:]) }
        return node.resolved
    }

    struct ValueEncoder: Encoder {
        let node: Node
        var codingPath: [any CodingKey]
        var userInfo: [CodingUserInfoKey: Any] { [:] }

        func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
            if case .object = node.content {} else { node.content = .object([:]) }
            return KeyedEncodingContainer(KeyedContainer<Key>(node: node, codingPath: codingPath))
        }

        func unkeyedContainer() -> any UnkeyedEncodingContainer {
            if case .array = node.content {} else { node.content = .array([]) }
            return UnkeyedContainer(node: node, codingPath: codingPath)
        }

        func singleValueContainer() -> any SingleValueEncodingContainer { SingleContainer(node: node, codingPath: codingPath) }
    }

    struct KeyedContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
        let node: Node
        var codingPath: [any CodingKey]

        mutating func encodeNil(forKey key: Key) throws { node.member(key.stringValue).content = .value(.null) }
        mutating func encode(_ value: some Encodable, forKey key: Key) throws {
            node.member(key.stringValue).content = .value(try JSONValueEncoder.encodeNested(value, codingPath: codingPath + [key]))
        }

        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
            let child = node.member(key.stringValue)
            child.content = .object([:])
            return KeyedEncodingContainer(KeyedContainer<NestedKey>(node: child, codingPath: codingPath + [key]))
        }

        mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
            let child = node.member(key.stringValue)
            child.content = .array([])
            return UnkeyedContainer(node: child, codingPath: codingPath + [key])
        }

        mutating func superEncoder() -> any Encoder { ValueEncoder(node: node.member("super"), codingPath: codingPath) }
        mutating func superEncoder(forKey key: Key) -> any Encoder { ValueEncoder(node: node.member(key.stringValue), codingPath: codingPath + [key]) }
    }

    struct UnkeyedContainer: UnkeyedEncodingContainer {
        let node: Node
        var codingPath: [any CodingKey]
        var count: Int {
            if case .array(let items) = node.content { return items.count }
            return 0
        }

        mutating func encodeNil() throws { node.appended().content = .value(.null) }
        mutating func encode(_ value: some Encodable) throws {
            node.appended().content = .value(try JSONValueEncoder.encodeNested(value, codingPath: codingPath))
        }

        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
            let child = node.appended()
            child.content = .object([:])
            return KeyedEncodingContainer(KeyedContainer<NestedKey>(node: child, codingPath: codingPath))
        }

        mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
            let child = node.appended()
            child.content = .array([])
            return UnkeyedContainer(node: child, codingPath: codingPath)
        }

        mutating func superEncoder() -> any Encoder { ValueEncoder(node: node.appended(), codingPath: codingPath) }
    }

    struct SingleContainer: SingleValueEncodingContainer {
        let node: Node
        var codingPath: [any CodingKey]
        mutating func encodeNil() throws { node.content = .value(.null) }
        mutating func encode(_ value: some Encodable) throws {
            node.content = .value(try JSONValueEncoder.encodeNested(value, codingPath: codingPath))
        }
    }
}
