/// SplitMix64 (Steele, Lea and Flood, 2014): a fast, seedable generator whose outputs pass BigCrush;
/// the sampler, the workload generator and the tests' random events all draw from it.
package struct SplitMix64: RandomNumberGenerator, Sendable {
    /// The increment between states (the golden ratio in 64 bits).
    package static let gamma: UInt64 = 0x9E37_79B9_7F4A_7C15

    package var state: UInt64

    package init(seed: UInt64) { state = seed }

    @inline(__always)
    package mutating func next() -> UInt64 {
        state &+= Self.gamma
        return Self.mix(state)
    }

    /// The output function: a state (or any counter times ``gamma``) to a well-mixed 64-bit value.
    @inline(__always)
    package static func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
