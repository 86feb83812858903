import SpoolbridgeCore

/// Turns the cloud's non-2xx answers into `DeliveryFailure`s: what to do (retry or give up),
/// the status, the server's own words for the admin, and when to come back.
enum CloudAnswer {
    /// Statuses 429/408/5xx are transient, other 4xx permanent (and 3xx: redirects are not followed).
    static func failure(status: Int, retryAfterHeader: String?, body: [UInt8], now: Double) -> DeliveryFailure {
        let kind = DeliveryFailure.kind(forHTTPStatus: status)
        var message = serverMessage(in: body) ?? "the cloud answered \(status) without a message"
        switch status {
        case 401, 403:
            message += " (the cloud refused the API key or its permissions: check cloud.api_key_file)"
        case 404:
            message += " (check cloud.url: the API should be at <url>/api/v1)"
        case 413:
            message += " (the document is larger than the cloud accepts)"
        case 300...399:
            message += " (the cloud redirected the request; point cloud.url at the final address)"
        default:
            break
        }
        let retryAfter = retryAfterHeader.flatMap { RetryAfter.seconds(from: $0, now: now) }
        return DeliveryFailure(kind: kind, httpStatus: status, message: message, retryAfterSeconds: retryAfter)
    }

    /// The server's explanation: a JSON `message`, `errorMessage`, `error_description` or `error`,
    /// else the start of the body as text. Control characters become spaces; at most 500 characters.
    static func serverMessage(in body: [UInt8]) -> String? {
        if let decoded = try? CloudJSON.decode(ErrorBody.self, from: body),
            let text = [decoded.message, decoded.errorMessage, decoded.error_description, decoded.error]
                .compactMap({ $0.flatMap(readable) }).first
        {
            return text
        }
        guard let start = readable(String(decoding: body.prefix(maximumMessageBytes), as: UTF8.self)) else { return nil }
        return body.count > maximumMessageBytes ? start + "…" : start
    }

    static let maximumMessageBytes = 500

    /// Printable, one line, not empty, capped.
    static func readable(_ text: String) -> String? {
        let oneLine = String(String.UnicodeScalarView(text.unicodeScalars.map {
            $0.properties.generalCategory == .control ? " " : $0
        })).trimmingASCIIWhitespace()
        guard !oneLine.isEmpty else { return nil }
        return oneLine.count > maximumMessageBytes ? String(oneLine.prefix(maximumMessageBytes)) + "…" : oneLine
    }

    /// The error shapes seen in the cloud's documentation: ErrorCodeInfo (`message`/`errorMessage`)
    /// and OAuth (`error`, `error_description`). Every field optional; wrong types count as absent.
    private struct ErrorBody: Decodable {
        var message: String?
        var errorMessage: String?
        var error_description: String?
        var error: String?

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            message = try? container.decodeIfPresent(String.self, forKey: .message)
            errorMessage = try? container.decodeIfPresent(String.self, forKey: .errorMessage)
            error_description = try? container.decodeIfPresent(String.self, forKey: .error_description)
            error = try? container.decodeIfPresent(String.self, forKey: .error)
        }

        private enum CodingKeys: String, CodingKey {
            case message, errorMessage, error_description, error
        }
    }
}
