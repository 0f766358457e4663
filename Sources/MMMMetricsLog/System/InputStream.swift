import MMMMetricsLogFormat
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A stream of bytes to follow as they arrive (a pipe, standard input, a growing file).
package struct InputStream {
    /// The name in messages.
    package let name: String
    private let descriptor: Int32

    /// Standard input.
    package static var standardInput: InputStream { InputStream(name: "stdin", descriptor: 0) }

    /// A file opened for reading.
    package static func open(path: String) throws(LogError) -> InputStream {
        let descriptor = openForReading(path)
        guard descriptor >= 0 else { throw FileSystem.failure(path, "open") }
        return InputStream(name: path, descriptor: descriptor)
    }

    private static func openForReading(_ path: String) -> Int32 {
        #if canImport(Glibc)
        Glibc.open(path, O_RDONLY | O_CLOEXEC)
        #else
        Darwin.open(path, O_RDONLY | O_CLOEXEC)
        #endif
    }

    /// Waits until bytes (or the end) can be read, at most `timeout`; `false` when the time ran out.
    package func waitReadable(timeout: Duration) throws(LogError) -> Bool {
        let (seconds, attoseconds) = max(timeout, .zero).components
        let milliseconds = Int32(clamping: seconds.multipliedReportingOverflow(by: 1000).partialValue + attoseconds / 1_000_000_000_000_000)
        var request = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        while true {
            let ready = poll(&request, 1, milliseconds)
            if ready >= 0 { return ready > 0 }
            if errno != EINTR { throw FileSystem.failure(name, "poll") }
            // A termination signal (where caught): the caller looks at it now, not after the timeout.
            if InterruptSignal.caught != 0 { return false }
        }
    }

    /// Closes the descriptor (not standard input's).
    package func close() {
        guard descriptor > 2 else { return }
        #if canImport(Glibc)
        _ = Glibc.close(descriptor)
        #else
        _ = Darwin.close(descriptor)
        #endif
    }

    /// Reads what is there into `buffer`; 0 at the end of the stream.
    package func read(into buffer: UnsafeMutableRawBufferPointer) throws(LogError) -> Int {
        while true {
            #if canImport(Glibc)
            let count = Glibc.read(descriptor, buffer.baseAddress, buffer.count)
            #else
            let count = Darwin.read(descriptor, buffer.baseAddress, buffer.count)
            #endif
            if count >= 0 { return count }
            if errno == EINTR { try InterruptSignal.check("reading \(name)") }
            if errno == EINTR || errno == EAGAIN { continue }
            throw FileSystem.failure(name, "read")
        }
    }
}
