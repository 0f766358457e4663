/// Values numbered in the order they were first seen: "find or append" for string tables, name
/// tables and metric tables.
package struct InternTable<Key: Hashable> {
    /// The values, by number.
    package private(set) var keys: [Key] = []
    private var numbers: [Key: Int] = [:]

    package init() {}

    /// How many values.
    package var count: Int { keys.count }

    /// The number of `key`, if it has one.
    @inline(__always)
    package func index(of key: Key) -> Int? { numbers[key] }

    /// The number of `key`, given the next one when it is new.
    @inline(__always)
    package mutating func intern(_ key: Key) -> Int {
        if let number = numbers[key] { return number }
        numbers[key] = keys.count
        keys.append(key)
        return keys.count - 1
    }
}
