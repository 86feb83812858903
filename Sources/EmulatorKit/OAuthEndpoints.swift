import NIOCore
import NIOHTTP1

/// A form request whose body the handler collects, then answers here.
enum FormRoute: Sendable, Hashable {
    case register, token, login

    var what: String {
        switch self {
        case .register: "POST /oauth/v1/register"
        case .token: "POST /oauth/v1/token"
        case .login: "POST /api/v1/login"
        }
    }
}

/// `/oauth/v1/register`, `/oauth/v1/token` and `/api/v1/login`: strict form validation, then
/// `TokenAuthority`'s verdict as the cloud's JSON. OAuth errors are `{"error","error_description"}`
/// (400, or 401 for `invalid_client`); `/login` errors use the API's `{"code","message"}`.
enum OAuthEndpoints {
    static let maxFormBytes = 64 * 1024
    static let base = "/oauth/v1"

    /// The route for a request under `/oauth/v1`, or the answer that refuses it before its body.
    static func route(_ head: HTTPRequestHead, path: String) -> Result<FormRoute, AnswerNow> {
        let route: FormRoute
        switch path {
        case base + "/register": route = .register
        case base + "/token": route = .token
        default:
            return .failure(AnswerNow(.error(404, "no such OAuth endpoint \(path); have \(base)/register and \(base)/token")))
        }
        guard head.method == .POST else { return .failure(AnswerNow(.methodNotAllowed(path, allow: "POST"))) }
        if let problem = formContentTypeProblem(head, route: route) {
            return .failure(AnswerNow(.oauth(.invalidRequest(problem))))
        }
        return .success(route)
    }

    /// Why the head does not announce a form body; nil when it does.
    static func formContentTypeProblem(_ head: HTTPRequestHead, route: FormRoute) -> String? {
        let values = head.headers["Content-Type"]
        guard values.count == 1 else {
            return "\(route.what) needs one Content-Type: application/x-www-form-urlencoded header, not \(values.count)"
        }
        let type = try? ParameterizedHeaderValue(parsing: values[0], what: "Content-Type", mediaType: true)
        guard type?.type == "application/x-www-form-urlencoded" else {
            return "\(route.what) needs Content-Type application/x-www-form-urlencoded, not \"\(values[0].prefix(100))\""
        }
        return nil
    }

    static func answer(_ route: FormRoute, body: ByteBuffer, apiKey: String, tokens: TokenAuthority) -> HTTPAnswer {
        let form: OAuthForm
        do {
            form = try OAuthForm(parsing: Array(body.readableBytesView), what: route.what)
        } catch {
            return route == .login ? .error(400, error.message) : .oauth(.invalidRequest(error.message))
        }
        let now = ContinuousClock.now
        switch route {
        case .register:
            do {
                let clientID = try clientCredentials(form, route: route, apiKey: apiKey, allowed: [
                    "client_id", "client_secret", "client_type", "response_type", "client_description",
                ])
                guard form["response_type"] == "device_code" else {
                    return .oauth(OAuthFailure(
                        status: 400, error: form["response_type"] == nil ? "invalid_request" : "unsupported_response_type",
                        description: "response_type must be device_code"))
                }
                guard form["client_type"] == "server" else {
                    return .oauth(.invalidRequest("client_type must be server (a device that runs unattended)"))
                }
                if let description = form["client_description"], description.count > 255 {
                    return .oauth(.invalidRequest("client_description is over 255 characters"))
                }
                let issued = tokens.register(clientID: clientID, now: now)
                return .json(RegisterAnswer(device_code: issued.deviceCode, state: issued.state, expires_in: issued.expiresIn))
            } catch {
                return .oauth(error)
            }
        case .token:
            do {
                let pair = try grant(form, apiKey: apiKey, tokens: tokens, now: now)
                return .tokenPair(pair)
            } catch {
                return .oauth(error)
            }
        case .login:
            return login(form, tokens: tokens, now: now)
        }
    }

    private static func grant(_ form: OAuthForm, apiKey: String, tokens: TokenAuthority, now: ContinuousClock.Instant) throws(OAuthFailure) -> IssuedPair {
        let common: Set<String> = ["client_id", "client_secret", "grant_type"]
        switch form["grant_type"] {
        case "device_code":
            let clientID = try clientCredentials(form, route: .token, apiKey: apiKey, allowed: common.union(["device_code"]))
            let code = try required("device_code", in: form)
            return try tokens.exchangeDeviceCode(clientID: clientID, deviceCode: code, now: now)
        case "refresh_token":
            let clientID = try clientCredentials(form, route: .token, apiKey: apiKey, allowed: common.union(["refresh_token"]))
            let token = try required("refresh_token", in: form)
            return try tokens.refresh(clientID: clientID, refreshToken: token, now: now)
        case nil:
            throw .invalidRequest("missing grant_type; use device_code or refresh_token")
        case let other?:
            throw OAuthFailure(
                status: 400, error: "unsupported_grant_type",
                description: "grant_type \"\(other.prefix(40))\" is not supported; use device_code or refresh_token")
        }
    }

    /// Checks the field set and the client's credentials; returns the client_id.
    private static func clientCredentials(
        _ form: OAuthForm, route: FormRoute, apiKey: String, allowed: Set<String>
    ) throws(OAuthFailure) -> String {
        let unknown = form.unknownFields(allowed: allowed)
        guard unknown.isEmpty else {
            throw .invalidRequest(
                "\(route.what) got unknown field(s) \(unknown.joined(separator: ", ")); allowed: \(allowed.sorted().joined(separator: ", "))")
        }
        let clientID = try required("client_id", in: form)
        guard let secret = form["client_secret"], !secret.isEmpty else {
            throw OAuthFailure(status: 401, error: "invalid_client", description: "missing client_secret (the API key)")
        }
        guard constantTimeEquals(secret, apiKey) else {
            throw OAuthFailure(status: 401, error: "invalid_client", description: "client_secret is not a valid API key")
        }
        return clientID
    }

    private static func required(_ name: String, in form: OAuthForm) throws(OAuthFailure) -> String {
        guard let value = form[name], !value.isEmpty else { throw .invalidRequest("missing \(name)") }
        return value
    }

    private static func login(_ form: OAuthForm, tokens: TokenAuthority, now: ContinuousClock.Instant) -> HTTPAnswer {
        let unknown = form.unknownFields(allowed: ["authtype", "userid", "password"])
        guard unknown.isEmpty else {
            return .error(400, "unknown field(s) \(unknown.joined(separator: ", ")); use authtype, userid, password")
        }
        guard let authtype = form["authtype"] else { return .error(400, "missing authtype (0 for a password)") }
        guard ["0", "1", "2", "3", "4"].contains(authtype) else {
            return .error(400, "authtype must be 0 (password), 1 (card id), 2 (short id), 3 (name only) or 4 (email)")
        }
        guard authtype == "0" else { return .error(400, "the emulator implements authtype 0 (password) only") }
        guard let userID = form["userid"], !userID.isEmpty else { return .error(400, "missing userid") }
        guard let password = form["password"], !password.isEmpty else {
            return .error(400, "missing password (required for authtype 0)")
        }
        guard let pair = tokens.login(userID: userID, password: password, now: now) else {
            return .error(401, "invalid user id or password")
        }
        var answer = HTTPAnswer.json(UserInfoAnswer(userName: userID, fullName: userID, token: TokenPairAnswer(pair)))
        answer.headers.append(("Cache-Control", "no-store"))
        return answer
    }

    /// The 401 for a call without a live bearer token (RFC 6750's `WWW-Authenticate` beside the API's error JSON).
    static func unauthorized(_ problem: BearerProblem) -> HTTPAnswer {
        var answer: HTTPAnswer
        switch problem {
        case .missing(let message):
            answer = .error(401, message)
            answer.headers.append(("WWW-Authenticate", "Bearer realm=\"spoolbridge-emulator\""))
        case .invalid(let message):
            answer = .error(401, message)
            answer.headers.append((
                "WWW-Authenticate",
                "Bearer realm=\"spoolbridge-emulator\", error=\"invalid_token\", error_description=\"\(message)\""
            ))
        }
        return answer
    }
}

/// An answer decided before the request's body is read, as a `Result` failure.
struct AnswerNow: Error, Sendable {
    var answer: HTTPAnswer
    init(_ answer: HTTPAnswer) { self.answer = answer }
}

extension HTTPAnswer {
    static func oauth(_ failure: OAuthFailure) -> HTTPAnswer {
        var answer = HTTPAnswer.json(OAuthErrorAnswer(error: failure.error, error_description: failure.description), status: failure.status)
        answer.headers.append(("Cache-Control", "no-store"))
        return answer
    }

    static func tokenPair(_ pair: IssuedPair) -> HTTPAnswer {
        var answer = HTTPAnswer.json(TokenPairAnswer(pair))
        answer.headers.append(("Cache-Control", "no-store"))
        return answer
    }
}

// Field names as the token service spells them.
struct RegisterAnswer: Codable, Sendable {
    var device_code: String
    var state: String
    var expires_in: Int
}

struct TokenPairAnswer: Codable, Sendable {
    var token_type = "Bearer"
    var expires_in: Int
    var access_token: String
    var refresh_token: String

    init(_ pair: IssuedPair) {
        expires_in = pair.expiresIn
        access_token = pair.accessToken
        refresh_token = pair.refreshToken
    }
}

struct OAuthErrorAnswer: Codable, Sendable {
    var error: String
    var error_description: String
}

/// UserInfo of `/login`: the reference documents only its `token` object; the rest is a plausible minimum.
struct UserInfoAnswer: Codable, Sendable {
    var userName: String
    var fullName: String
    var token: TokenPairAnswer
}
