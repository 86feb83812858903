import SpoolbridgeCore

extension DaemonConfiguration {
    /// `[auth]`: how spoolbridge authenticates to the cloud (Docs/configuration.md, "[auth]").
    /// DeviceAuth builds its token store and refresher from it; with `mode = "api-key"` nothing else
    /// here is used.
    public struct Auth: Sendable, Hashable {
        public var mode: AuthMode
        /// The token service's base, `/register` and `/token` are appended: by default
        /// `https://<cloud.url's host>:443/oauth/v1` (a gateway uses port 7400: set it).
        public var oauthURL: String
        public var oauthURLIsDefault: Bool
        /// Where the device id and the token pair are kept (a directory, 0700, files 0600): by default
        /// `<spool.directory>/auth`.
        public var stateDirectory: String
        public var stateDirectoryIsDefault: Bool
        /// `user`: the cloud user for `mode = "user-token"` (`spoolbridge login` may give it instead).
        public var user: String?
        /// `password_file`: that user's password, one line, mode 0600 or 0640.
        public var passwordFile: String?

        public init(
            mode: AuthMode = .apiKey, oauthURL: String, oauthURLIsDefault: Bool = false, stateDirectory: String,
            stateDirectoryIsDefault: Bool = false, user: String? = nil, passwordFile: String? = nil
        ) {
            self.mode = mode
            self.oauthURL = oauthURL
            self.oauthURLIsDefault = oauthURLIsDefault
            self.stateDirectory = stateDirectory
            self.stateDirectoryIsDefault = stateDirectoryIsDefault
            self.user = user
            self.passwordFile = passwordFile
        }

        /// The default token service for a cloud URL: its host, https, port 443, `/oauth/v1`.
        public static func defaultOAuthURL(forCloud cloud: CloudURL) -> String {
            let host = cloud.host.contains(":") ? "[\(cloud.host)]" : cloud.host
            return "https://\(host):443/oauth/v1"
        }

        /// The default for `cloud.url` as written: https clouds as above; a plain-http cloud (loopback,
        /// or `allow_insecure_http`) is a test or lab setup whose server (e.g. the emulator) serves
        /// `/oauth/v1` on the same host and port.
        public static func defaultOAuthURL(cloudURL text: String) -> String {
            guard let cloud = CloudURL(text) else { return "" }
            guard cloud.scheme == "http", let start = text.firstRange(of: "://")?.upperBound else {
                return defaultOAuthURL(forCloud: cloud)
            }
            let authority = text[start...].prefix { $0 != "/" && $0 != "?" && $0 != "#" }
            return "http://\(authority)/oauth/v1"
        }

        /// What `check-config` prints: the effective mode and where things are; never a secret.
        public var summary: [String] {
            guard mode.usesBearerToken else { return ["auth: api-key (X-Api-Key only; no bearer token)"] }
            var lines = [
                "auth: \(mode)",
                "auth token service: \(oauthURL)\(oauthURLIsDefault ? " (default: the cloud host on port 443; a gateway uses 7400)" : "")",
                "auth state: \(stateDirectory)\(stateDirectoryIsDefault ? " (default: under the spool directory)" : "")",
            ]
            if mode == .userToken {
                lines.append("auth user: \(user ?? "not set (spoolbridge login --user names it)")")
                lines.append("auth password: \(passwordFile.map { "read from \($0)" } ?? "not set (spoolbridge login --password-file, or the systemd credential password)")")
            }
            return lines
        }
    }
}

extension TableReader {
    func authSettings(_ t: Section, cloud: DaemonConfiguration.Cloud, spool: DaemonConfiguration.Spool) throws(ConfigError) -> DaemonConfiguration.Auth {
        try t.refuseUnknown(["mode", "oauth_url", "state", "user", "password_file"])
        let modeName = try t.string("mode", default: AuthMode.apiKey.rawValue, oneOf: AuthMode.allCases.map(\.rawValue))
        let mode = AuthMode(rawValue: modeName) ?? .apiKey
        let oauthURL: String
        if let text = try t.optionalString("oauth_url") {
            guard let parsed = CloudURL(text) else {
                let shown = text.contains("@") ? "a URL with user:password@ in it (not allowed)" : "\"\(text)\""
                throw t.error(.invalidValue, "oauth_url",
                    "expected http(s)://HOST[:PORT]/PATH, e.g. \"https://print.example.com/oauth/v1\" (a gateway: port 7400); got \(shown)")
            }
            if parsed.scheme == "http" && !parsed.isLoopback && !cloud.allowInsecureHTTP {
                throw t.error(.insecure, "oauth_url",
                    "plain http:// to \(parsed.host) would send the API key and tokens unencrypted; use https://, or set cloud.allow_insecure_http = true if you really mean it")
            }
            oauthURL = text
        } else {
            // cloud.url was validated already; a URL it accepts always parses.
            oauthURL = DaemonConfiguration.Auth.defaultOAuthURL(cloudURL: cloud.url)
        }
        let state = try t.optionalPath("state")
        let user = try t.optionalString("user")
        if let user, user.isEmpty { throw t.error(.invalidValue, "user", "must not be empty") }
        let passwordFile = try t.optionalPath("password_file")
        if mode != .userToken {
            for (key, value) in [("user", user), ("password_file", passwordFile)] where value != nil {
                throw t.error(.invalidValue, key, "only used with auth.mode = \"user-token\" (the mode is \"\(mode)\"); remove it or set the mode")
            }
        }
        if passwordFile != nil && user == nil {
            throw t.error(.missingKey, "user", "auth.password_file is set: say whose password it is with auth.user = \"NAME\"")
        }
        return .init(
            mode: mode, oauthURL: oauthURL, oauthURLIsDefault: !t.has("oauth_url"),
            stateDirectory: state ?? Self.under(spool.directory, "auth"), stateDirectoryIsDefault: state == nil,
            user: user, passwordFile: passwordFile)
    }
}

extension TableReader {
    /// `DIR/name`, without a doubled slash when `DIR` ends in one.
    static func under(_ directory: String, _ name: String) -> String {
        (directory.count > 1 && directory.hasSuffix("/") ? String(directory.dropLast()) : directory) + "/" + name
    }
}

extension Section {
    func has(_ key: String) -> Bool { table[key] != nil }
}
