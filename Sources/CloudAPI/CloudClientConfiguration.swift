import SpoolbridgeCore

extension CloudClient {
    /// How to reach the cloud. Built by the daemon from the config file's `[cloud]` table.
    public struct Configuration: Sendable {
        /// e.g. "https://print.example.com:7300" or "http://127.0.0.1:8080"; the client appends `/api/v1/...`.
        public var baseURL: String
        public var apiKey: Secret
        /// An extra trust anchor (PEM), added to the system roots. TLS is always verified.
        public var caFile: String?
        /// Plain http:// is accepted only to loopback unless this is true.
        public var allowInsecureHTTP: Bool
        /// Connections per host (the delivery concurrency).
        public var maxConnections: Int
        public var connectTimeout: Duration
        /// `delivery.stall_seconds`: the longest no byte may move while the document is sent, while
        /// the answer is awaited and while it is read. There is no total deadline on an upload, so a
        /// slow link that keeps moving never trips it; a cloud that stops answering always does.
        public var stallTimeout: Duration

        public init(
            baseURL: String, apiKey: Secret, caFile: String? = nil, allowInsecureHTTP: Bool = false,
            maxConnections: Int = 4, connectTimeout: Duration = .seconds(10), stallTimeout: Duration = .seconds(60)
        ) {
            self.baseURL = baseURL
            self.apiKey = apiKey
            self.caFile = caFile
            self.allowInsecureHTTP = allowInsecureHTTP
            self.maxConnections = maxConnections
            self.connectTimeout = connectTimeout
            self.stallTimeout = stallTimeout
        }

        /// Checks the URL: scheme http/https, host present; http:// to a non-loopback host without
        /// `allowInsecureHTTP` throws `CloudClientError(code: .insecureURL)` naming `cloud.allow_insecure_http`.
        /// Also checks the API key can travel in a header and the limits are positive.
        /// Does not read `caFile` (the client does that when it is created).
        public func validate() throws(CloudClientError) {
            _ = try validatedBaseURL()
        }

        func validatedBaseURL() throws(CloudClientError) -> CloudBaseURL {
            let url = try CloudBaseURL(parsing: baseURL)
            if url.scheme == .http && !url.isLoopback && !allowInsecureHTTP {
                throw CloudClientError(
                    code: .insecureURL,
                    message: "cloud.url \(CloudBaseURL.printable(baseURL)) uses plain http:// to \(url.host), "
                        + "which would send the API key and every document unencrypted; use https://, "
                        + "or set cloud.allow_insecure_http = true if this network is trusted")
            }
            let key = apiKey.exposedValue.utf8
            guard !key.isEmpty else {
                throw CloudClientError(code: .invalidAPIKey, message: "the cloud API key is empty; check cloud.api_key_file")
            }
            // Visible ASCII only: anything else could not be sent in a header, and an error about the
            // header would risk quoting the key.
            guard key.allSatisfy({ (0x21...0x7E).contains($0) }) else {
                throw CloudClientError(
                    code: .invalidAPIKey,
                    message: "the cloud API key holds spaces, control or non-ASCII characters "
                        + "(a stray newline?); check cloud.api_key_file")
            }
            guard maxConnections >= 1 else {
                throw CloudClientError(code: .invalidLimit, message: "the connection limit must be at least 1, not \(maxConnections)")
            }
            guard connectTimeout > .zero else {
                throw CloudClientError(code: .invalidLimit, message: "the cloud connect timeout must be positive")
            }
            guard stallTimeout > .zero else {
                throw CloudClientError(
                    code: .invalidLimit, message: "delivery.stall_seconds must be positive, not \(TransportFailure.seconds(stallTimeout))")
            }
            if let caFile, caFile.isEmpty {
                throw CloudClientError(code: .caFileUnreadable, message: "cloud.ca_file is set but empty; remove it or name a PEM file")
            }
            return url
        }
    }
}
