import Foundation
import Synchronization

/// A small HTTP/1.1 server for `/metrics` and `/healthz`: one thread of its own, one request per
/// connection (`Connection: close`), GET and HEAD only, requests up to 16 KiB, 5 s to send one.
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
        let finished = Mutex<Bool>(false)
    }

    /// Binds `listen` (`host:port`, IPv4; port 0 picks a free one) and starts serving.
    public init(listen: String, handler: @escaping Handler) throws {
        guard let (host, port) = Sockets.parseAddress(listen) else {
            throw ServerError("--listen \(listen.debugDescription) is not HOST:PORT with an IPv4 host (such as 127.0.0.1:9464)")
        }
        let listener: (descriptor: Int32, port: UInt16)
        do { listener = try Sockets.listen(host: host, port: port) } catch { throw ServerError("cannot listen on \(listen): \(error)") }
        self.port = listener.port
        address = "\(host):\(listener.port)"
        let life = self.life
        let thread = Thread {
            while !life.stopped.load(ordering: .relaxed) {
                guard let connection = Sockets.accept(listener.descriptor, milliseconds: 100) else { continue }
                Self.serve(connection, handler: handler)
                Sockets.close(connection)
            }
            Sockets.close(listener.descriptor)
            life.finished.withLock { $0 = true }
        }
        thread.name = "mmm-metrics-http"
        thread.start()
    }

    /// Stops accepting and closes the socket (within about 100 ms).
    public func stop() {
        life.stopped.store(true, ordering: .relaxed)
        while !life.finished.withLock({ $0 }) { usleep(10_000) }
    }

    deinit { life.stopped.store(true, ordering: .relaxed) }

    static func serve(_ connection: Int32, handler: Handler) {
        guard let request = Sockets.readRequest(connection, limit: 16_384, complete: { bytes in
            bytes.count >= 4 && bytes.suffix(from: max(0, bytes.count - 4_096)).windows4Contains([13, 10, 13, 10])
        }) else { return }
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

extension ArraySlice<UInt8> {
    func windows4Contains(_ pattern: [UInt8]) -> Bool {
        guard count >= 4 else { return false }
        var index = startIndex
        while index + 3 < endIndex {
            if self[index] == pattern[0], self[index + 1] == pattern[1], self[index + 2] == pattern[2], self[index + 3] == pattern[3] { return true }
            index += 1
        }
        return false
    }
}
