/// Rewrites a CUPS job owner into the cloud's user name. Print servers joined to a domain see
/// owners like `CORP\Alice` or `alice@CORP.EXAMPLE`; the cloud usually knows `alice`.
/// Each rewrite is switched on separately; the identity mapping changes nothing.
public struct UserNameMapping: Sendable, Hashable, CustomStringConvertible {
    /// `CORP\alice` → `alice`.
    public var stripDomain: Bool
    /// `alice@CORP.EXAMPLE` → `alice`.
    public var stripRealm: Bool
    /// `Alice` → `alice`.
    public var lowercase: Bool

    public init(stripDomain: Bool = false, stripRealm: Bool = false, lowercase: Bool = false) {
        self.stripDomain = stripDomain
        self.stripRealm = stripRealm
        self.lowercase = lowercase
    }

    public static let identity = UserNameMapping()

    /// The mapped name; the original when a rewrite would leave nothing.
    public func map(_ name: String) -> String {
        var result = Substring(name)
        if stripDomain, let backslash = result.lastIndex(of: "\\") {
            result = result[result.index(after: backslash)...]
        }
        if stripRealm, let at = result.firstIndex(of: "@") {
            result = result[..<at]
        }
        guard !result.isEmpty else { return name }
        return lowercase ? result.lowercased() : String(result)
    }

    public var description: String {
        let rules = [stripDomain ? "strip-domain" : nil, stripRealm ? "strip-realm" : nil, lowercase ? "lowercase" : nil]
            .compactMap { $0 }
        return rules.isEmpty ? "identity" : rules.joined(separator: "+")
    }
}
