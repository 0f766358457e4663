public import Foundation
import MMMMetricsCore
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// One HTTP request of a wire format: method, URL, headers, body.
public struct HTTPRequest: Sendable {
    /// `POST`, `PUT`, `GET`.
    public var method: String
    /// Where it goes.
    public var url: URL
    /// Headers; `Authorization` is the only place a secret goes.
    public var headers: [String: String]
    /// The body.
    public var body: [UInt8]

    /// A request.
    public init(method: String, url: URL, headers: [String: String] = [:], body: [UInt8] = []) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
    }
}

/// Why a delivery failed, as drops are counted.
public enum DeliveryFailure: Error, Sendable, Hashable, CustomStringConvertible {
    /// The server answered 4xx (other than 408 and 429): the data is refused, retrying will not help.
    case rejected(status: Int, message: String)
    /// The server answered 5xx, 408 or 429.
    case serverError(status: Int, message: String)
    /// No answer within the timeout.
    case timeout
    /// No connection (refused, unresolvable, reset).
    case unreachable(String)

    /// Whether trying again may help.
    public var isRetryable: Bool {
        if case .rejected = self { false } else { true }
    }

    /// The reason's name in statistics: `rejected`, `server_error`, `timeout`, `unreachable`.
    public var reason: String {
        switch self {
        case .rejected: "rejected"
        case .serverError: "server_error"
        case .timeout: "timeout"
        case .unreachable: "unreachable"
        }
    }

    public var description: String {
        switch self {
        case .rejected(let status, let message): "refused with HTTP \(status)" + (message.isEmpty ? "" : ": \(message)")
        case .serverError(let status, let message): "server error HTTP \(status)" + (message.isEmpty ? "" : ": \(message)")
        case .timeout: "no answer within the timeout"
        case .unreachable(let message): message
        }
    }
}

/// Sends requests; the seam where another client (AsyncHTTPClient, an OTLP exporter) plugs in.
public protocol HTTPTransport: Sendable {
    /// Sends `request` and returns the response body of a 2xx answer; throws ``DeliveryFailure`` otherwise.
    func send(_ request: HTTPRequest, timeout: Duration) async throws(DeliveryFailure) -> [UInt8]
}

/// ``HTTPTransport`` over Foundation's `URLSession` (FoundationNetworking on Linux): no extra
/// package to build, and it speaks HTTP/1.1 and TLS to every server this package targets.
public struct URLSessionTransport: HTTPTransport {
    private let session: URLSession

    /// A transport with its own ephemeral session (no cookies, no cache, no credentials stored).
    public init() {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.urlCache = nil
        configuration.httpCookieStorage = nil
        configuration.urlCredentialStorage = nil
        session = URLSession(configuration: configuration)
    }

    /// Sends the request; answers within `timeout` whatever the connection does (URLSession's own
    /// timeout is an idle timeout, and on Linux a hung connection has been seen to outlast it by
    /// many seconds): at the deadline the request is cancelled and ``DeliveryFailure/timeout`` thrown.
    public func send(_ request: HTTPRequest, timeout: Duration) async throws(DeliveryFailure) -> [UInt8] {
        let outcome = FirstOutcome()
        let result: Result<[UInt8], DeliveryFailure> = await withCheckedContinuation { continuation in
            outcome.attach(continuation)
            let work = Task {
                do throws(DeliveryFailure) {
                    outcome.finish(.success(try await perform(request, timeout: timeout)))
                } catch {
                    outcome.finish(.failure(error))
                }
            }
            Task {
                try? await Task.sleep(for: timeout)
                if outcome.finish(.failure(.timeout)) { work.cancel() }
            }
        }
        return try result.get()
    }

    private func perform(_ request: HTTPRequest, timeout: Duration) async throws(DeliveryFailure) -> [UInt8] {
        var urlRequest = URLRequest(url: request.url)
        urlRequest.httpMethod = request.method
        urlRequest.timeoutInterval = max(0.001, Double(timeout.components.seconds) + Double(timeout.components.attoseconds) * 1e-18)
        for (name, value) in request.headers { urlRequest.setValue(value, forHTTPHeaderField: name) }
        urlRequest.httpBody = Data(request.body)
        let data: Data
        let response: URLResponse
        do {
            (data, response) = try await session.data(for: urlRequest)
        } catch let error as URLError {
            if error.code == .timedOut { throw .timeout }
            throw .unreachable(Self.describe(error))
        } catch {
            throw .unreachable("the request failed (\(type(of: error)))")
        }
        guard let http = response as? HTTPURLResponse else { throw .unreachable("the answer is not an HTTP response") }
        let body = [UInt8](data)
        switch http.statusCode {
        case 200..<300:
            return body
        case 408, 429, 500...:
            throw .serverError(status: http.statusCode, message: Self.excerpt(body, hiding: Self.secrets(of: request)))
        default:
            throw .rejected(status: http.statusCode, message: Self.excerpt(body, hiding: Self.secrets(of: request)))
        }
    }

    /// The first line of a server's answer, at most 200 characters (servers quote what they
    /// refused), with every secret of the request replaced by `(hidden)` first: a server may echo
    /// the request's headers or URL back.
    static func excerpt(_ body: [UInt8], hiding secrets: [String]) -> String {
        var line = String(decoding: body.prefix(16_384).prefix(while: { $0 != 0x0A && $0 != 0x0D }), as: UTF8.self)
        for secret in secrets.sorted(by: { $0.count > $1.count }) where secret.count >= 3 {
            line = line.replacingOccurrences(of: secret, with: "(hidden)")
        }
        return String(line.prefix(200)).trimmingCharacters(in: .whitespaces)
    }

    /// What must never be shown of a request: the `Authorization` header's value and its
    /// credential, the URL's user, password and their Basic encoding, its query and the query's values.
    static func secrets(of request: HTTPRequest) -> [String] {
        var secrets: [String] = []
        for (name, value) in request.headers where name.lowercased() == "authorization" {
            secrets.append(value)
            if let space = value.firstIndex(of: " ") { secrets.append(String(value[value.index(after: space)...])) }
        }
        if let components = URLComponents(url: request.url, resolvingAgainstBaseURL: false) {
            let user = components.user ?? "", password = components.password ?? ""
            secrets += [user, password, components.percentEncodedUser ?? "", components.percentEncodedPassword ?? ""]
            if !user.isEmpty || !password.isEmpty { secrets.append(Data("\(user):\(password)".utf8).base64EncodedString()) }
            secrets.append(components.percentEncodedQuery ?? "")
            for item in components.queryItems ?? [] { secrets.append(item.value ?? "") }
        }
        return secrets.filter { !$0.isEmpty }
    }

    /// A URL error without its user info (which can hold the request's URL with credentials in it).
    static func describe(_ error: URLError) -> String {
        switch error.code {
        case .cannotConnectToHost: "cannot connect (connection refused)"
        case .cannotFindHost, .dnsLookupFailed: "cannot connect (host not found)"
        case .networkConnectionLost: "the connection was lost"
        case .notConnectedToInternet: "cannot connect (no network)"
        case .secureConnectionFailed, .serverCertificateUntrusted, .serverCertificateHasBadDate: "TLS failed"
        case .badServerResponse: "the server's answer is not HTTP (or the connection closed early)"
        case .unsupportedURL, .badURL: "the URL cannot be used (IPv6 literals are not supported by this client)"
        case .unknown: "the connection failed (https to a plain HTTP server?)"
        default: "the request failed (URL error \(error.code.rawValue))"
        }
    }
}

/// Resumes a continuation with the first of several outcomes; later ones are ignored.
final class FirstOutcome: Sendable {
    private let state = LockedState<(continuation: CheckedContinuation<Result<[UInt8], DeliveryFailure>, Never>?, result: Result<[UInt8], DeliveryFailure>?, done: Bool)>(
        (nil, nil, false))

    func attach(_ continuation: CheckedContinuation<Result<[UInt8], DeliveryFailure>, Never>) {
        let ready = state.withLock { state -> Result<[UInt8], DeliveryFailure>? in
            guard let result = state.result, !state.done else {
                state.continuation = continuation
                return nil
            }
            state.done = true
            return result
        }
        if let ready { continuation.resume(returning: ready) }
    }

    /// `true` when this outcome was the first.
    @discardableResult
    func finish(_ result: Result<[UInt8], DeliveryFailure>) -> Bool {
        let (first, continuation) = state.withLock { state -> (Bool, CheckedContinuation<Result<[UInt8], DeliveryFailure>, Never>?) in
            guard state.result == nil else { return (false, nil) }
            state.result = result
            guard let continuation = state.continuation else { return (true, nil) }
            state.done = true
            state.continuation = nil
            return (true, continuation)
        }
        continuation?.resume(returning: result)
        return first
    }
}
