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
    public var isLoopback: Bool {
        let name = host.lowercased()
        if name == "localhost" || name == "::1" { return true }
        let octets = name.split(separator: ".", omittingEmptySubsequences: false)
        return octets.count == 4 && octets[0] == "127"
            && octets.allSatisfy { octet in octet.count <= 3 && octet.allSatisfy(\.isASCII) && UInt8(octet) != nil }
    }
}
