#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The parts of `cloud.url` the daemon checks before sending anything.
public struct CloudURL: Sendable, Hashable {
    public var scheme: String
    public var host: String

    /// Parses `scheme://host[:port][/path]`; nil when it is not such a URL.
    public init?(_ text: String) {
        guard let colon = text.firstIndex(of: ":"), text[colon...].hasPrefix("://") else { return nil }
        scheme = text[..<colon].lowercased()
        let rest = text[text.index(colon, offsetBy: 3)...]
        let authority = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        guard !authority.contains("@") else { return nil }  // no credentials in URLs
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { return nil }
            host = String(authority[authority.index(after: authority.startIndex)..<close])
        } else {
            host = String(authority.prefix { $0 != ":" })
        }
        guard !host.isEmpty, scheme == "http" || scheme == "https" else { return nil }
    }

    /// Plain HTTP is acceptable without an explicit setting only when it never leaves the machine.
    public var isLoopback: Bool { Self.isLoopback(host: host) }

    /// Loopback: localhost, 127.0.0.0/8, ::1 and ::ffff:127.x.y.z. The one definition that both the
    /// configuration check and the cloud client use, so they cannot disagree.
    public static func isLoopback(host: String) -> Bool {
        let name = host.lowercased()
        if name == "localhost" || name == "localhost." || name.hasSuffix(".localhost") { return true }
        var v4 = in_addr()
        if inet_pton(AF_INET, name, &v4) == 1 {
            return withUnsafeBytes(of: &v4) { $0[0] == 127 }
        }
        var v6 = in6_addr()
        guard inet_pton(AF_INET6, name, &v6) == 1 else { return false }
        let bytes = withUnsafeBytes(of: &v6) { Array($0) }
        if bytes == [UInt8](repeating: 0, count: 15) + [1] { return true }
        return bytes.prefix(12).elementsEqual([UInt8](repeating: 0, count: 10) + [0xff, 0xff]) && bytes[12] == 127
    }
}
