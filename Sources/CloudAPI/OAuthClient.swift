import AsyncHTTPClient
import Logging
import NIOCore
import NIOHTTP1
import SpoolbridgeCore

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The cloud's token service (`/oauth/v1`: register, token) and `POST /api/v1/login`, as typed calls.
/// Stateless: storing and refreshing tokens is `DeviceAuth`'s business. Secrets travel only in form
/// bodies over verified TLS (or loopback http), never in a URL; no message quotes them.
public struct OAuthClient: Sendable {
    public struct Configuration: Sendable {
        /// e.g. `https://print.example.com/oauth/v1` (443 on the cloud, 7400 on a gateway).
        public var oauthURL: String
        /// `cloud.url`, for `/api/v1/login`.
        public var apiURL: String
        public var apiKey: Secret
        public var caFile: String?
        public var allowInsecureHTTP: Bool
        public var timeout: Duration

        public init(
            oauthURL: String, apiURL: String, apiKey: Secret, caFile: String? = nil, allowInsecureHTTP: Bool = false,
            timeout: Duration = .seconds(60)
        ) {
            self.oauthURL = oauthURL
            self.apiURL = apiURL
            self.apiKey = apiKey
            self.caFile = caFile
            self.allowInsecureHTTP = allowInsecureHTTP
            self.timeout = timeout
        }
    }

    let configuration: Configuration
    let oauth: CloudBaseURL
    let api: CloudBaseURL
    let http: HTTPClient

    public init(configuration: Configuration) throws(CloudClientError) {
        self.oauth = try Self.checked(configuration.oauthURL, setting: "auth.oauth_url", configuration)
        self.api = try Self.checked(configuration.apiURL, setting: "cloud.url", configuration)
        var httpConfiguration = HTTPClient.Configuration(
            tlsConfiguration: try CloudClient.tlsConfiguration(caFile: configuration.caFile),
            redirectConfiguration: .disallow,  // a redirect would carry the secrets elsewhere
            timeout: .init(connect: .seconds(10), read: configuration.timeout.timeAmount),
            proxy: nil, decompression: .disabled)
        httpConfiguration.httpVersion = .http1Only
        httpConfiguration.connectionPool.retryConnectionEstablishment = false
        self.http = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: httpConfiguration)
        self.configuration = configuration
    }

    public func shutdown() async throws {
        try await http.shutdown()
    }

    /// `POST /oauth/v1/register`: asks for a device code for `clientID`, with the API key as secret.
    public func register(clientID: String, description: String) async throws(OAuthError) -> DeviceCodeGrant {
        let form = [
            ("client_id", clientID), ("client_secret", configuration.apiKey.exposedValue), ("client_type", "server"),
            ("response_type", "device_code"), ("client_description", description),
        ]
        let answer: Answer
        switch await post(oauth.resolving("register"), form: form) {
        case .success(let received): answer = received
        case .failure(let failure): throw OAuthError(message: "registering at \(oauth.authority) failed: \(failure.reason)")
        }
        guard (200...299).contains(answer.status), let body = try? CloudJSON.decode(RegisterBody.self, from: answer.body),
            let code = body.device_code, !code.isEmpty
        else {
            throw OAuthError(message: "the token service at \(oauth.authority) refused the registration: \(refusal(answer))"
                + " (check that cloud.api_key_file holds this tenant's API key)")
        }
        return DeviceCodeGrant(deviceCode: Secret(code), state: body.state, expiresInSeconds: body.expires_in?.value ?? 259_200)
    }

    /// `POST /oauth/v1/token`, `grant_type=device_code`: tokens once an administrator approved.
    public func token(clientID: String, deviceCode: Secret) async -> TokenGrantResult {
        await tokenRequest([
            ("client_id", clientID), ("client_secret", configuration.apiKey.exposedValue),
            ("grant_type", "device_code"), ("device_code", deviceCode.exposedValue),
        ], url: oauth.resolving("token"))
    }

    /// `POST /oauth/v1/token`, `grant_type=refresh_token`. The token sent is spent if tokens come back.
    public func refresh(clientID: String, refreshToken: Secret) async -> TokenGrantResult {
        await tokenRequest([
            ("client_id", clientID), ("client_secret", configuration.apiKey.exposedValue),
            ("grant_type", "refresh_token"), ("refresh_token", refreshToken.exposedValue),
        ], url: oauth.resolving("token"))
    }

    /// `POST /api/v1/login` (authtype 0): a user token pair from the answer's `token` object.
    public func login(user: String, password: Secret) async -> TokenGrantResult {
        await tokenRequest(
            [("authtype", "0"), ("userid", user), ("password", password.exposedValue)], url: api.endpoint("login"),
            base: api, apiKeyHeader: true, secrets: [password.exposedValue])
    }

    // MARK: Exchange

    struct Answer: Sendable {
        var status: Int
        var retryAfter: String?
        var body: [UInt8]
    }

    struct NoAnswer: Error {
        var reason: String
        var requestMayHaveArrived: Bool
    }

    private func tokenRequest(
        _ form: [(String, String)], url: String, base: CloudBaseURL? = nil, apiKeyHeader: Bool = false, secrets: [String] = []
    ) async -> TokenGrantResult {
        let answer: Answer
        switch await post(url, base: base ?? oauth, form: form, apiKeyHeader: apiKeyHeader) {
        case .success(let received): answer = received
        case .failure(let failure):
            return .noAnswer(reason: failure.reason, requestMayHaveArrived: failure.requestMayHaveArrived)
        }
        if (200...299).contains(answer.status), let tokens = Self.tokens(in: answer.body) { return .tokens(tokens) }
        var refusal = parsedRefusal(answer)
        if (200...299).contains(answer.status) {
            refusal.error = "invalid_response"
            refusal.errorDescription = "the answer holds no access_token and refresh_token"
        }
        refusal.errorDescription = refusal.errorDescription.map { redacting(secrets, in: $0) }
        return .refused(refusal)
    }

    private func refusal(_ answer: Answer) -> String { redacting([], in: parsedRefusal(answer).description) }

    /// A server that echoes the form back must not put the API key (or a password) into a message.
    private func redacting(_ secrets: [String], in text: String) -> String {
        var text = text
        for secret in secrets + [configuration.apiKey.exposedValue] where secret.count >= 4 {
            text = text.replacing(secret, with: "<redacted>")
        }
        return text
    }

    private func parsedRefusal(_ answer: Answer) -> OAuthRefusal {
        let body = try? CloudJSON.decode(ErrorBody.self, from: answer.body)
        let description = body?.error_description ?? body?.message ?? CloudAnswer.serverMessage(in: answer.body)
        return OAuthRefusal(
            error: body?.error ?? "http_\(answer.status)", errorDescription: description.flatMap(CloudAnswer.readable),
            httpStatus: answer.status,
            retryAfterSeconds: answer.retryAfter.flatMap { RetryAfter.seconds(from: $0, now: CloudClient.unixNow()) })
    }

    private func post(
        _ url: String, base: CloudBaseURL? = nil, form: [(String, String)], apiKeyHeader: Bool = false
    ) async -> Result<Answer, NoAnswer> {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: FormEncoding.contentType)
        request.headers.add(name: "Accept", value: "application/json")
        request.headers.add(name: "User-Agent", value: "spoolbridge")
        if apiKeyHeader { request.headers.add(name: "X-Api-Key", value: configuration.apiKey.exposedValue) }
        request.body = .bytes(ByteBuffer(string: FormEncoding.body(form)))
        do {
            let response = try await http.execute(request, deadline: .now() + configuration.timeout.timeAmount)
            var body: [UInt8] = []
            for try await chunk in response.body {
                body.append(contentsOf: chunk.readableBytesView.prefix(CloudClient.answerLimit - body.count))
                if body.count >= CloudClient.answerLimit { break }
            }
            return .success(Answer(status: Int(response.status.code), retryAfter: response.headers.first(name: "Retry-After"), body: body))
        } catch {
            let failure = TransportFailure.failure(
                for: error, url: base ?? oauth, deadlines: RequestDeadlines(connect: .seconds(10), stall: configuration.timeout, total: configuration.timeout, payload: "the form"),
                stage: .beforeAnswer)
            return .failure(NoAnswer(reason: failure.message, requestMayHaveArrived: !Self.neverConnected(error)))
        }
    }

    /// Errors that prove no byte of the request reached the server.
    static func neverConnected(_ error: any Error) -> Bool {
        if let clientError = error as? HTTPClientError, clientError == .connectTimeout { return true }
        let text = String(describing: error)
        return text.contains("Connection refused") || text.contains("ECONNREFUSED") || text.hasPrefix("DNS error")
            || text.contains("connectTimeout")
    }

    private static func checked(_ text: String, setting: String, _ configuration: Configuration) throws(CloudClientError) -> CloudBaseURL {
        let url = try CloudBaseURL(parsing: text, setting: setting)
        if url.scheme == .http && !url.isLoopback && !configuration.allowInsecureHTTP {
            throw CloudClientError(
                code: .insecureURL,
                message: "\(setting) \(CloudBaseURL.printable(text)) uses plain http:// to \(url.host), which would send "
                    + "the API key and tokens unencrypted; use https://, or set cloud.allow_insecure_http = true")
        }
        return url
    }

    // MARK: Answers

    static func tokens(in body: [UInt8]) -> OAuthTokens? {
        if let direct = try? CloudJSON.decode(TokenBody.self, from: body), let tokens = direct.tokens { return tokens }
        // `/login`'s UserInfo holds the pair in its `token` object.
        if let user = try? CloudJSON.decode(UserInfoBody.self, from: body), let tokens = user.token?.tokens { return tokens }
        return nil
    }

    struct TokenBody: Decodable {
        var access_token: String?
        var refresh_token: String?
        var expires_in: FlexibleNumber?

        var tokens: OAuthTokens? {
            guard let access_token, !access_token.isEmpty, let refresh_token, !refresh_token.isEmpty else { return nil }
            // The lifetime is configurable per account; without one, assume the documented hour.
            let lifetime = expires_in?.value ?? 3600
            return OAuthTokens(
                accessToken: Secret(access_token), refreshToken: Secret(refresh_token), expiresInSeconds: max(1, lifetime))
        }
    }

    struct UserInfoBody: Decodable {
        var token: TokenBody?
    }

    struct RegisterBody: Decodable {
        var device_code: String?
        var state: String?
        var expires_in: FlexibleNumber?
    }

    struct ErrorBody: Decodable {
        var error: String?
        var error_description: String?
        var message: String?
    }

    /// `expires_in` as a number or a numeric string.
    struct FlexibleNumber: Decodable {
        var value: Double?
        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let number = try? container.decode(Double.self) {
                value = number
            } else if let text = try? container.decode(String.self) {
                value = Double(text)
            }
        }
    }
}
