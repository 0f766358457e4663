public import Foundation

/// The HTTP requests of each wire format.
public enum RemoteRequests {
    /// Where line protocol goes: the endpoint as given when it has a path (`/api/v2/write`,
    /// `/write?db=mmm`), else its `/write`.
    public static func influxURL(_ endpoint: URL) -> URL {
        guard endpoint.path.isEmpty || endpoint.path == "/" else { return endpoint }
        return endpoint.appendingPathComponent("write")
    }

    /// Where a session's aggregates go on a Pushgateway:
    /// `<endpoint>/metrics/job@base64/<job>/session@base64/<id>` (both in base64url, so that any
    /// id, even one with `/` in it, is one label value). An endpoint whose path already holds
    /// `/metrics/job/` is taken as it is.
    public static func pushgatewayURL(_ endpoint: URL, job: String, session: String) -> URL {
        if endpoint.path.contains("/metrics/job") { return endpoint }
        return endpoint
            .appendingPathComponent("metrics").appendingPathComponent("job@base64").appendingPathComponent(base64URL(job))
            .appendingPathComponent("session@base64").appendingPathComponent(base64URL(session))
    }

    /// The `@base64` form a Pushgateway reads (RFC 4648 base64url; `=` for the empty string).
    static func base64URL(_ text: String) -> String {
        guard !text.isEmpty else { return "=" }
        return Data(text.utf8).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
    }

    /// A POST of line-protocol lines.
    public static func influx(_ lines: [UInt8], options: RemoteOptions) -> HTTPRequest {
        HTTPRequest(method: "POST", url: influxURL(options.endpoint),
                    headers: options.headers.merging(["Content-Type": "text/plain; charset=utf-8"]) { $1 }, body: lines)
    }

    /// A PUT of a session's exposition text: it replaces what the group held.
    public static func pushgateway(_ text: String, options: RemoteOptions, session: String) -> HTTPRequest {
        HTTPRequest(method: "PUT", url: pushgatewayURL(options.endpoint, job: options.job, session: session),
                    headers: options.headers.merging(["Content-Type": "text/plain; version=0.0.4; charset=utf-8"]) { $1 },
                    body: Array(text.utf8))
    }
}
