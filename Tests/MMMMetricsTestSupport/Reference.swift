import MMMMetricsCore

/// Reference computations written independently of the code under test.
package enum Reference {
    /// numpy.percentile(values, q) with the default linear method, spelled out.
    package static func percentile(_ values: [Double], _ q: Double) -> Double? {
        if values.isEmpty { return nil }
        let sorted = values.sorted()
        let position = (q / 100) * Double(sorted.count - 1)
        let below = Int(position)  // floor for non-negative positions
        let above = min(below + 1, sorted.count - 1)
        let weight = position - Double(below)
        return sorted[below] * (1 - weight) + sorted[above] * weight
    }
}
