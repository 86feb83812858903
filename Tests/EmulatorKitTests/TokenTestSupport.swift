import EmulatorKit
import Foundation

/// Form and bearer requests for the token service, byte-exact like the other `Requests`.
extension Requests {
    static let formType = "application/x-www-form-urlencoded"

    static func form(
        _ path: String, _ fields: [(String, String)], apiKey: String? = nil, bearer: String? = nil,
        contentType: String? = Requests.formType
    ) -> [UInt8] {
        formRaw(path, body: encode(fields), apiKey: apiKey, bearer: bearer, contentType: contentType)
    }

    /// A form whose body is sent exactly as written (malformed ones included).
    static func formRaw(
        _ path: String, body: String, apiKey: String? = nil, bearer: String? = nil, contentType: String? = Requests.formType
    ) -> [UInt8] {
        let bytes = Array(body.utf8)
        var head = "POST \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: \(bytes.count)\r\n"
        if let contentType { head += "Content-Type: \(contentType)\r\n" }
        if let apiKey { head += "X-Api-Key: \(apiKey)\r\n" }
        if let bearer { head += "Authorization: Bearer \(bearer)\r\n" }
        return Array((head + "\r\n").utf8) + bytes
    }

    static func get(_ path: String, bearer: String?, apiKey: String? = Requests.apiKey) -> [UInt8] {
        var head = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        if let apiKey { head += "X-Api-Key: \(apiKey)\r\n" }
        if let bearer { head += "Authorization: Bearer \(bearer)\r\n" }
        return Array((head + "\r\n").utf8)
    }

    static func encode(_ fields: [(String, String)]) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return fields.map { name, value in
            "\(name.addingPercentEncoding(withAllowedCharacters: allowed)!)=\(value.addingPercentEncoding(withAllowedCharacters: allowed)!)"
        }.joined(separator: "&")
    }
}

/// A device's side of the token service, over raw loopback HTTP.
struct TokenFlow {
    let emulator: CloudEmulator
    var clientID = "device-7f3a"
    var secret = Requests.apiKey

    func register(description: String? = "spoolbridge on test-host") throws -> RawHTTPResponse {
        var fields = [
            ("client_id", clientID), ("client_secret", secret), ("client_type", "server"), ("response_type", "device_code"),
        ]
        if let description { fields.append(("client_description", description)) }
        return try requireResponse(exchange(emulator, Requests.form("/oauth/v1/register", fields)))
    }

    func poll(deviceCode: String) throws -> RawHTTPResponse {
        try requireResponse(exchange(emulator, Requests.form("/oauth/v1/token", [
            ("client_id", clientID), ("client_secret", secret), ("grant_type", "device_code"), ("device_code", deviceCode),
        ])))
    }

    func refresh(_ refreshToken: String, clientID: String? = nil) throws -> RawHTTPResponse {
        try requireResponse(exchange(emulator, Requests.form("/oauth/v1/token", [
            ("client_id", clientID ?? self.clientID), ("client_secret", secret), ("grant_type", "refresh_token"),
            ("refresh_token", refreshToken),
        ])))
    }

    /// Registers and polls until tokens arrive (at most `maxPolls`); the token answer's JSON.
    func obtainTokens(maxPolls: Int = 10) throws -> [String: Any] {
        let registered = try register()
        guard registered.status == 200, let code = registered.json["device_code"] as? String else {
            throw RawHTTPConnection.Failure(description: "register answered \(registered.status): \(registered.text)")
        }
        for _ in 0..<maxPolls {
            let answer = try poll(deviceCode: code)
            if answer.status == 200 { return answer.json }
            guard answer.oauthError == "authorization_pending" else {
                throw RawHTTPConnection.Failure(description: "token answered \(answer.status): \(answer.text)")
            }
        }
        throw RawHTTPConnection.Failure(description: "still pending after \(maxPolls) polls")
    }
}

extension RawHTTPResponse {
    var oauthError: String? { json["error"] as? String }
    var accessToken: String? { json["access_token"] as? String }
    var refreshToken: String? { json["refresh_token"] as? String }
}

/// `exchange` answers nil when the server closed without a response; the token tests always expect one.
func requireResponse(_ response: RawHTTPResponse?) throws -> RawHTTPResponse {
    guard let response else { throw RawHTTPConnection.Failure(description: "the emulator closed without answering") }
    return response
}
