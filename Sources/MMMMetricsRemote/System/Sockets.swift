#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The socket calls of this module (UDP for StatsD, TCP for the `/metrics` endpoint), on Linux
/// and Darwin: the one place here that makes system calls. IPv4 addresses only.
enum Sockets {
    /// A failed call, with `errno`'s text.
    struct Failure: Error, CustomStringConvertible {
        let description: String
        init(_ operation: String, _ code: Int32 = errno) { description = "\(operation): \(String(cString: strerror(code)))" }
        init(message: String) { description = message }
    }

    /// `host:port` with a dotted IPv4 host (or `localhost`), port 0...65535.
    static func parseAddress(_ text: String) -> (host: String, port: UInt16)? {
        guard let colon = text.lastIndex(of: ":"), let port = UInt16(text[text.index(after: colon)...]) else { return nil }
        var host = String(text[..<colon])
        if host == "localhost" { host = "127.0.0.1" }
        var address = in_addr()
        guard inet_pton(AF_INET, host, &address) == 1 else { return nil }
        return (host, port)
    }

    static func socketAddress(host: String, port: UInt16) -> sockaddr_in {
        var address = sockaddr_in()
        #if canImport(Darwin)
        address.sin_len = UInt8(MemoryLayout<sockaddr_in>.size)
        #endif
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        inet_pton(AF_INET, host, &address.sin_addr)
        return address
    }

    /// A new IPv4 socket, UDP or TCP.
    private static func socket(datagram: Bool) throws(Failure) -> Int32 {
        #if canImport(Darwin)
        let descriptor = Darwin.socket(AF_INET, datagram ? SOCK_DGRAM : SOCK_STREAM, 0)
        #else
        let descriptor = Glibc.socket(AF_INET, Int32(datagram ? SOCK_DGRAM.rawValue : SOCK_STREAM.rawValue), 0)
        #endif
        guard descriptor >= 0 else { throw Failure("socket") }
        return descriptor
    }

    /// `call` (bind or connect) with `host:port`; closes the socket and throws when it fails.
    private static func attach(
        _ descriptor: Int32, host: String, port: UInt16, _ operation: String,
        _ call: (Int32, UnsafePointer<sockaddr>, socklen_t) -> Int32
    ) throws(Failure) {
        var address = socketAddress(host: host, port: port)
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { call(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else {
            let code = errno
            close(descriptor)
            throw Failure(operation, code)
        }
    }

    /// A UDP socket connected to `host:port` (so sends need no address and errors come back).
    static func udp(host: String, port: UInt16) throws(Failure) -> Int32 {
        let descriptor = try socket(datagram: true)
        try attach(descriptor, host: host, port: port, "connect") { connect($0, $1, $2) }
        return descriptor
    }

    /// Sends one datagram without blocking; `false` when the kernel refused it (buffer full, no listener).
    static func send(_ descriptor: Int32, _ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { raw in
            #if canImport(Darwin)
            Darwin.send(descriptor, raw.baseAddress, raw.count, Int32(MSG_DONTWAIT)) == raw.count
            #else
            Glibc.send(descriptor, raw.baseAddress, raw.count, Int32(MSG_DONTWAIT)) == raw.count
            #endif
        }
    }

    /// A listening TCP socket on `host:port` (port 0: any free one); returns it and the port bound.
    static func listen(host: String, port: UInt16) throws(Failure) -> (descriptor: Int32, port: UInt16) {
        let descriptor = try socket(datagram: false)
        var reuse: Int32 = 1
        setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &reuse, socklen_t(MemoryLayout<Int32>.size))
        try attach(descriptor, host: host, port: port, "bind \(host):\(port)") { bind($0, $1, $2) }
        #if canImport(Darwin)
        let listening = Darwin.listen(descriptor, 64)
        #else
        let listening = Glibc.listen(descriptor, 64)
        #endif
        guard listening == 0 else {
            let code = errno
            close(descriptor)
            throw Failure("listen", code)
        }
        var actual = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &actual) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        return (descriptor, UInt16(bigEndian: actual.sin_port))
    }

    /// Waits up to `milliseconds` for a connection; the new socket, or `nil` on timeout.
    static func accept(_ descriptor: Int32, milliseconds: Int32) -> Int32? {
        var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        guard poll(&poller, 1, milliseconds) > 0 else { return nil }
        #if canImport(Darwin)
        let connection = Darwin.accept(descriptor, nil, nil)
        #else
        let connection = Glibc.accept(descriptor, nil, nil)
        #endif
        guard connection >= 0 else { return nil }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(connection, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(connection, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        #if canImport(Darwin)
        var noSignal: Int32 = 1
        setsockopt(connection, SOL_SOCKET, SO_NOSIGPIPE, &noSignal, socklen_t(MemoryLayout<Int32>.size))
        #endif
        return connection
    }

    /// Reads (up to `limit` bytes) until `complete` says the request is whole, the peer closes, or
    /// `seconds` pass in all: a client that sends slowly or nothing cannot hold the connection longer.
    static func readRequest(_ descriptor: Int32, limit: Int, seconds: Double, complete: ([UInt8]) -> Bool) -> [UInt8]? {
        let clock = ContinuousClock()
        let deadline = clock.now + .milliseconds(Int64(seconds * 1_000))
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4_096)
        while received.count < limit {
            let left = clock.now.duration(to: deadline)
            guard left > .zero else { return received.isEmpty ? nil : received }
            var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            let milliseconds = Int32(clamping: left.components.seconds * 1_000 + left.components.attoseconds / 1_000_000_000_000_000 + 1)
            guard poll(&poller, 1, milliseconds) > 0 else { continue }
            let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            guard count > 0 else { return received.isEmpty ? nil : received }
            received += buffer[0..<count]
            if complete(received) { return received }
        }
        return received
    }

    /// Writes everything (ignoring a peer that went away).
    static func writeAll(_ descriptor: Int32, _ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { raw in
                #if canImport(Darwin)
                Darwin.send(descriptor, raw.baseAddress, raw.count, 0)
                #else
                Glibc.send(descriptor, raw.baseAddress, raw.count, Int32(MSG_NOSIGNAL))
                #endif
            }
            guard written > 0 else { return }
            offset += written
        }
    }

    static func close(_ descriptor: Int32) {
        #if canImport(Darwin)
        _ = Darwin.close(descriptor)
        #else
        _ = Glibc.close(descriptor)
        #endif
    }
}
