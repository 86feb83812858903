/// The operator endpoint's routes: which answer a request line gets. Pure, unit-tested.
public enum OpsRoute: Sendable, Hashable {
    case health
    case metrics
    case notFound
    case methodNotAllowed

    /// GET and HEAD of `/healthz` and `/metrics` (a query string is ignored); anything else is 404 or 405.
    public static func route(method: String, uri: String) -> OpsRoute {
        let path = uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? uri
        let route: OpsRoute
        switch path {
        case "/healthz": route = .health
        case "/metrics": route = .metrics
        default: return .notFound
        }
        return method == "GET" || method == "HEAD" ? route : .methodNotAllowed
    }
}

/// One answer of the operator endpoint.
public struct OpsResponse: Sendable, Hashable {
    public var status: Int
    public var contentType: String
    public var body: [UInt8]

    public init(status: Int, contentType: String, body: [UInt8]) {
        self.status = status
        self.contentType = contentType
        self.body = body
    }

    public static func text(_ status: Int, _ text: String) -> OpsResponse {
        OpsResponse(status: status, contentType: "text/plain; charset=utf-8", body: Array(text.utf8))
    }

    public static let prometheusContentType = "text/plain; version=0.0.4; charset=utf-8"
}
