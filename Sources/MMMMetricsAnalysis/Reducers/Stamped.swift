/// A value with the position that decides which of two values is later: timestamp, then sequence.
/// The reducers keep "first" and "last" values with it.
package struct Stamped<Value> {
    /// The event's timestamp, nanoseconds.
    package var nanoseconds: Int64
    /// The event's sequence number.
    package var sequence: UInt64
    /// The value.
    package var value: Value

    /// A value at a position.
    package init(nanoseconds: Int64, sequence: UInt64, value: Value) {
        self.nanoseconds = nanoseconds
        self.sequence = sequence
        self.value = value
    }

    /// Whether this comes after `other` (timestamp, then sequence).
    package func isAfter(_ other: Stamped<Value>) -> Bool {
        (nanoseconds, sequence) > (other.nanoseconds, other.sequence)
    }

    /// Whether this comes after `other`, or `other` is absent.
    package func isAfter(_ other: Stamped<Value>?) -> Bool {
        other.map { isAfter($0) } ?? true
    }
}

extension Stamped: Sendable where Value: Sendable {}
