import Foundation
import MMMMetricsCore
import Synchronization

/// A small HTTP/1.1 server for `/metrics` and `/healthz`: an accepting thread and a thread per
/// connection (at most 32 at once; more are closed at once), one request per connection
/// (`Connection: close`), GET and HEAD only, requests up to 16 KiB, 5 s in all to send one (so idle
/// or slow clients cannot hold up a scrape).
///
/// Enough for a scraper; nothing else is its job. It binds 127.0.0.1 unless told otherwise.
public final class MetricsHTTPServer: Sendable {
    /// An answer: status, content type, body.
    public struct Response: Sendable {
        /// The HTTP status.
        public var status: Int
        /// The `Content-Type`.
        public var contentType: String
        /// The body.
        public var body: [UInt8]

        /// A response.
        public init(status: Int, contentType: String = "text/plain; charset=utf-8", body: [UInt8]) {
            self.status = status
            self.contentType = contentType
            self.body = body
        }
    }

    /// Answers a GET of a path (without the query).
    public typealias Handler = @Sendable (_ path: String) -> Response

    /// The address bound, such as `127.0.0.1:9464` (the real port when 0 was asked for).
    public let address: String
    /// The port bound.
    public let port: UInt16
    private let life = Life()

    /// What the serving thread and the owner share (a class: `Atomic` and `Mutex` cannot be copied into a closure).
    final class Life: Sendable {
        let stopped = Atomic<Bool>(false)
        let finished = LockedState<Bool>(false)
        let connections = Atomic<Int>(0)
    }

    /// Why `listen` is no address ``init(listen:handler:)`` takes, or nil when it is one.
    public static func problem(listen: String) -> String? {
        Sockets.parseAddress(listen) == nil ? "--listen \(listen.debugDescription) is not HOST:PORT with an IPv4 host (such as 127.0.0.1:9464)" : nil
    }

    /// Binds `listen` (`host:port`, IPv4; port 0 picks a free one) and starts serving.
    public init(listen: String, handler: @escaping Handler) throws {
        guard let (host, port) = Sockets.parseAddress(listen) else { throw ServerError(Self.problem(listen: listen) ?? "") }
        let listener: (descriptor: Int32, port: UInt16)
        do { listener = try Sockets.listen(host: host, port: port) } catch { throw ServerError("cannot listen on \(listen): \(error)") }
        self.port = listener.port
        address = "\(host):\(listener.port)"
        let life = self.life
        let thread = Thread {
            while !life.stopped.load(ordering: .relaxed) {
                guard let connection = Sockets.accept(listener.descriptor, milliseconds: 100) else { continue }
                guard life.connections.add(1, ordering: .relaxed).newValue <= Self.maximumConnections else {
                    life.connections.subtract(1, ordering: .relaxed)
                    Sockets.close(connection)
                    continue
                }
                let worker = Thread {
                    Self.serve(connection, handler: handler)
                    Sockets.close(connection)
                    life.connections.subtract(1, ordering: .relaxed)
                }
                worker.name = "mmm-metrics-http-connection"
                worker.start()
            }
            Sockets.close(listener.descriptor)
            life.finished.withLock { $0 = true }
        }
        thread.name = "mmm-metrics-http"
        thread.start()
    }

    /// Connections served at once.
    static let maximumConnections = 32

    /// Stops accepting and closes the socket (within about 100 ms).
    public func stop() {
        life.stopped.store(true, ordering: .relaxed)
        while !life.finished.withLock({ $0 }) { usleep(10_000) }
    }

    deinit { life.stopped.store(true, ordering: .relaxed) }

    static func serve(_ connection: Int32, handler: Handler) {
        guard let request = Sockets.readRequest(connection, limit: 16_384, seconds: 5, complete: Self.headersComplete) else { return }
        let line = String(decoding: request.prefix(while: { $0 != 13 && $0 != 10 }), as: UTF8.self)
        let parts = line.split(separator: " ")
        var response: Response
        if parts.count != 3 || !parts[2].hasPrefix("HTTP/1.") {
            response = Response(status: 400, body: Array("bad request\n".utf8))
        } else if parts[0] != "GET" && parts[0] != "HEAD" {
            response = Response(status: 405, body: Array("only GET and HEAD\n".utf8))
        } else {
            let target = parts[1]
            let path = String(target.prefix(while: { $0 != "?" }))
            response = handler(path)
        }
        let reason = switch response.status {
        case 200: "OK"
        case 400: "Bad Request"
        case 404: "Not Found"
        case 405: "Method Not Allowed"
        case 503: "Service Unavailable"
        default: "Status"
        }
        var head = "HTTP/1.1 \(response.status) \(reason)\r\nContent-Type: \(response.contentType)\r\n"
        head += "Content-Length: \(response.body.count)\r\nConnection: close\r\n"
        if response.status == 405 { head += "Allow: GET, HEAD\r\n" }
        head += "\r\n"
        Sockets.writeAll(connection, Array(head.utf8) + (parts.first == "HEAD" ? [] : response.body))
    }
}

/// A server that could not start.
public struct ServerError: Error, Sendable, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

extension MetricsHTTPServer {
    /// Whether the headers have ended: an empty line, `\r\n\r\n` or (as lenient servers accept) `\n\n`.
    static func headersComplete(_ bytes: [UInt8]) -> Bool {
        var previous: UInt8 = 0
        var lineEmpty = true
        for byte in bytes.suffix(8_192) {
            if byte == 0x0A {
                if lineEmpty, previous != 0 { return true }
                lineEmpty = true
            } else if byte != 0x0D {
                lineEmpty = false
            }
            previous = byte
        }
        return false
    }
}
