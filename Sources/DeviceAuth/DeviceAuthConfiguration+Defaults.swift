extension DeviceAuth.Configuration {
    /// `<spool>/auth`.
    public static func defaultStateDirectory(spool: String) -> String {
        (spool.count > 1 && spool.hasSuffix("/") ? String(spool.dropLast()) : spool) + "/auth"
    }

    /// The OAuth service on the cloud's host: `https://HOST/oauth/v1` (port 443; a gateway uses 7400
    /// and needs `[auth] oauth_url`). A plain-http cloud URL is a loopback test setup (the emulator
    /// serves both), so it keeps the cloud's host and port.
    public static func defaultOAuthURL(cloudURL: String) -> String {
        guard let schemeEnd = cloudURL.firstRange(of: "://") else { return cloudURL }
        let scheme = cloudURL[..<schemeEnd.lowerBound].lowercased()
        let rest = cloudURL[schemeEnd.upperBound...]
        let authority = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        if scheme == "http" { return "http://\(authority)/oauth/v1" }
        let host: Substring
        if authority.hasPrefix("["), let close = authority.firstIndex(of: "]") {
            host = authority[...close]
        } else {
            host = authority.prefix { $0 != ":" }
        }
        return "https://\(host)/oauth/v1"
    }
}
