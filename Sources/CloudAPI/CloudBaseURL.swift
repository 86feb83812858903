import SpoolbridgeCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The parsed `cloud.url`: where requests go and whether plain HTTP is acceptable there.
/// Parsed by hand (not Foundation's URL) so the rules are ours and testable: http or https,
/// a host, an optional port, an optional path prefix, nothing else.
struct CloudBaseURL: Sendable, Hashable {
    enum Scheme: String, Sendable {
        case http, https
    }

    var scheme: Scheme
    /// The host as written, without brackets for IPv6 literals.
    var host: String
    var port: Int?
    /// The path before `/api/v1`, without a trailing slash ("" for none).
    var pathPrefix: String

    /// `host:port` for messages (brackets around IPv6 literals).
    var authority: String {
        let shownHost = host.contains(":") ? "[\(host)]" : host
        let shownPort = port ?? (scheme == .https ? 443 : 80)
        return "\(shownHost):\(shownPort)"
    }

    /// The URL of an API endpoint, e.g. `endpoint("documents")`.
    func endpoint(_ path: String) -> String {
        let shownHost = host.contains(":") ? "[\(host)]" : host
        let shownPort = port.map { ":\($0)" } ?? ""
        return "\(scheme.rawValue)://\(shownHost)\(shownPort)\(pathPrefix)/api/v1/\(path)"
    }

    /// The URL of `path` right under the base, e.g. `resolving("token")` of `…/oauth/v1`.
    func resolving(_ path: String) -> String {
        let shownHost = host.contains(":") ? "[\(host)]" : host
        let shownPort = port.map { ":\($0)" } ?? ""
        return "\(scheme.rawValue)://\(shownHost)\(shownPort)\(pathPrefix)/\(path)"
    }

    var isLoopback: Bool { Self.isLoopback(host: host) }

    /// `setting` names the key in messages (`cloud.url`, `auth.oauth_url`).
    init(parsing text: String, setting: String = "cloud.url") throws(CloudClientError) {
        func invalid(_ why: String) -> CloudClientError {
            CloudClientError(
                code: .invalidURL,
                message: "\(setting) \"\(Self.printable(text))\" is not usable: \(why); "
                    + "write it like https://print.example.com:7300")
        }
        guard let schemeEnd = text.firstRange(of: "://") else { throw invalid("it has no scheme") }
        guard let scheme = Scheme(rawValue: text[..<schemeEnd.lowerBound].lowercased()) else {
            throw invalid("the scheme must be http or https")
        }
        let rest = text[schemeEnd.upperBound...]
        if rest.contains(where: { $0 == "?" || $0 == "#" }) {
            throw invalid("it must not have a query or a fragment")
        }
        let authorityEnd = rest.firstIndex(of: "/") ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        var path = String(rest[authorityEnd...])
        if authority.contains("@") { throw invalid("it must not carry credentials (use cloud.api_key_file)") }

        var hostPart: Substring
        var portPart: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { throw invalid("an IPv6 address lacks its ]") }
            hostPart = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw invalid("unexpected text after the IPv6 address") }
                portPart = after.dropFirst()
            }
            guard Self.isIPv6(String(hostPart)) else { throw invalid("\"\(hostPart)\" is not an IPv6 address") }
        } else {
            if let colon = authority.firstIndex(of: ":") {
                hostPart = authority[..<colon]
                portPart = authority[authority.index(after: colon)...]
            } else {
                hostPart = authority
            }
            guard !hostPart.isEmpty else { throw invalid("it has no host") }
            let allowed = hostPart.unicodeScalars.allSatisfy {
                $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "-" || $0 == "." || $0 == "_")
            }
            guard allowed else { throw invalid("the host may hold only letters, digits, '-', '.' and '_'") }
        }
        guard !hostPart.isEmpty else { throw invalid("it has no host") }
        if let portPart {
            guard let port = Int(portPart), (1...65535).contains(port), portPart.allSatisfy(\.isASCII) else {
                throw invalid("the port must be a number from 1 to 65535")
            }
            self.port = port
        } else {
            self.port = nil
        }
        if path.contains(where: { $0.isWhitespace || !$0.isASCII }) {
            throw invalid("the path may not hold spaces or non-ASCII characters")
        }
        while path.hasSuffix("/") { path.removeLast() }
        // Tolerate a URL that already names the API root: the client appends /api/v1 itself.
        if path.hasSuffix("/api/v1") { path.removeLast("/api/v1".count) }
        self.scheme = scheme
        self.host = hostPart.lowercased()
        self.pathPrefix = path
    }

    static func isLoopback(host: String) -> Bool {
        CloudURL.isLoopback(host: host)
    }

    static func isIPv6(_ text: String) -> Bool {
        var address = in6_addr()
        return inet_pton(AF_INET6, text, &address) == 1
    }

    /// The URL as it may appear in an error: control characters shown as '?', length capped.
    /// Credentials (`user:pass@`) are cut out: a rejected URL must not leak a password into a log.
    static func printable(_ text: String) -> String {
        var text = text
        if let schemeEnd = text.firstRange(of: "://") {
            let rest = text[schemeEnd.upperBound...]
            let authorityEnd = rest.firstIndex(of: "/") ?? rest.endIndex
            if let at = rest[..<authorityEnd].lastIndex(of: "@") {
                text.replaceSubrange(schemeEnd.upperBound...at, with: "<credentials>@")
            }
        }
        let cleaned = String(String.UnicodeScalarView(text.unicodeScalars.map {
            $0.properties.generalCategory == .control ? "?" : $0
        }))
        return cleaned.count > 200 ? String(cleaned.prefix(200)) + "…" : cleaned
    }
}
