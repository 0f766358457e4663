// The cook-like loop the CookLoop benchmark and `RecordingCost cook-overhead` time: real work
// (FNV-1a over 64 KiB, sorting 500 numbers, spawning `/bin/true` every 50 iterations) recording
// eighteen events per iteration through pre-bound handles and the async API.
import Foundation
public import MMMMetrics

/// One iteration's work: what a code-improvement loop does between its metrics.
public struct CookWork {
    private var buffer: [UInt8]
    private var numbers: [UInt64]
    private var iteration = 0
    /// Folded into so that the work cannot be optimised away.
    public private(set) var checksum: UInt64 = 0

    public init() {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return state
        }
        buffer = (0..<(64 << 10)).map { _ in UInt8(truncatingIfNeeded: next() >> 33) }
        numbers = (0..<500).map { _ in next() }
    }

    public mutating func step() {
        iteration += 1
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in buffer { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01B3 }
        buffer[iteration % buffer.count] &+= 1
        var sorted = numbers
        sorted.sort()
        numbers[iteration % numbers.count] = hash
        checksum &+= hash ^ sorted[sorted.count / 2]
        if iteration % 50 == 0 {
            let child = Process()
            child.executableURL = URL(fileURLWithPath: "/bin/true")
            try? child.run()
            child.waitUntilExit()
            checksum &+= UInt64(child.terminationStatus)
        }
    }
}

/// The loop: `iterations` steps, `eventsPerIteration` events each (at least 4: a timer, a gauge,
/// one `await registry.increment` with tags, and counter increments for the rest).
public func cookLoop(_ registry: MetricsRegistry, iterations: Int, eventsPerIteration: Int = 18) async -> UInt64 {
    var work = CookWork()
    let executed = registry.counter("command.executed", tags: ["command": "build"])
    let duration = registry.timer("command.duration", tags: ["command": "build", "status": "ok"])
    let coverage = registry.gauge("quality.test_coverage")
    let clock = ContinuousClock()
    let increments = max(1, eventsPerIteration - 3)
    for index in 0..<iterations {
        let start = clock.now
        work.step()
        let elapsed = clock.now - start
        duration.record(elapsed)
        coverage.set(Double(index % 1000) / 10)
        for _ in 0..<increments { executed.increment() }
        await registry.increment("git.lines_added", by: Int64(index % 17), tags: ["iteration": "1"])
    }
    return work.checksum
}
