import Foundation
import NIOCore
import NIOHTTP1

/// `/_emulator/...`: what process-level tests and benchmarks use to read and steer the
/// emulator. No API key: the emulator listens on loopback.
enum ControlEndpoints {
    private static let routes: [String: HTTPMethod] = [
        "/_emulator/documents": .GET,
        "/_emulator/records": .GET,
        "/_emulator/releases": .GET,
        "/_emulator/cards": .GET,
        "/_emulator/stats": .GET,
        "/_emulator/faults": .POST,
        "/_emulator/faults/clear": .POST,
        "/_emulator/reset": .POST,
        "/_emulator/oauth": .GET,
        "/_emulator/oauth/approve": .POST,
        "/_emulator/oauth/revoke": .POST,
        "/_emulator/oauth/expire": .POST,
        "/_emulator/oauth/settings": .POST,
    ]

    /// An immediate answer for an unknown path or a wrong method; nil when the request is served.
    static func refusal(method: HTTPMethod, path: String) -> HTTPAnswer? {
        guard let expected = routes[path] else {
            return .error(404, "no such control endpoint \(path); have \(routes.keys.sorted().joined(separator: ", "))")
        }
        return method == expected ? nil : .methodNotAllowed(path, allow: expected.rawValue)
    }

    static func answer(method: HTTPMethod, path: String, body: ByteBuffer, state: EmulatorState, tokens: TokenAuthority) -> HTTPAnswer {
        if path.hasPrefix("/_emulator/oauth") {
            return tokenControl(path: path, body: body, tokens: tokens)
        }
        switch path {
        case "/_emulator/documents":
            return .json(state.allDocuments())
        case "/_emulator/records":
            return .json(state.allRecords())
        case "/_emulator/releases":
            return .json(state.allReleases())
        case "/_emulator/cards":
            return .json(state.allCardSwipes())
        case "/_emulator/stats":
            return .json(state.stats())
        case "/_emulator/reset":
            state.reset()
            return .json(["reset": true])
        case "/_emulator/faults/clear":
            state.clearFaults()
            return .json(["cleared": true])
        case "/_emulator/faults":
            let request: FaultRequest
            do {
                request = try JSONDecoder().decode(FaultRequest.self, from: Data(body.readableBytesView))
            } catch {
                return .error(
                    400, "body must be {\"fault\": {\"type\": T, ...}, \"count\": N, \"target\": \"uploads\" or \"tokenRequests\"} "
                        + "with T one of \(Fault.typeNames): \(error)")
            }
            let count = request.count ?? 1
            guard count >= 1 else { return .error(400, "count must be at least 1, not \(count)") }
            state.inject(request.fault, count: count, target: request.target ?? .uploads)
            return .json(["queued": count])
        default:
            return .error(404, "no such control endpoint \(path)")
        }
    }
}

/// `/_emulator/oauth…`: the token service's counters and knobs.
/// GET `/_emulator/oauth` → `{"stats": TokenStats, "families": [TokenFamilyInfo]}`;
/// POST `/approve` and `/revoke` with an optional `{"clientID": "..."}` (all when absent);
/// POST `/expire` expires every access token; POST `/settings` with any of
/// `{"requireBearer": true, "pendingAuthorizations": 2, "accessTokenLifetimeSeconds": 1.5}`.
extension ControlEndpoints {
    struct TokenOverview: Codable, Sendable {
        var stats: TokenStats
        var families: [TokenFamilyInfo]
    }

    struct ClientSelector: Codable, Sendable {
        var clientID: String?
    }

    struct TokenSettings: Codable, Sendable {
        var requireBearer: Bool?
        var loginRequiresBearer: Bool?
        var pendingAuthorizations: Int?
        var manualApproval: Bool?
        var accessTokenLifetimeSeconds: Double?
    }

    static func tokenControl(path: String, body: ByteBuffer, tokens: TokenAuthority) -> HTTPAnswer {
        func decoded<T: Decodable>(_ type: T.Type, empty: T) -> Result<T, AnswerNow> {
            guard body.readableBytes > 0 else { return .success(empty) }
            do {
                return .success(try JSONDecoder().decode(T.self, from: Data(body.readableBytesView)))
            } catch {
                return .failure(AnswerNow(.error(400, "\(path): body is not the JSON this endpoint takes: \(error)")))
            }
        }
        switch path {
        case "/_emulator/oauth":
            return .json(TokenOverview(stats: tokens.stats(), families: tokens.familyInfos()))
        case "/_emulator/oauth/approve", "/_emulator/oauth/revoke":
            switch decoded(ClientSelector.self, empty: ClientSelector()) {
            case .failure(let refusal): return refusal.answer
            case .success(let selector):
                if path.hasSuffix("approve") { return .json(["approved": tokens.approve(clientID: selector.clientID)]) }
                return .json(["revoked": tokens.revoke(clientID: selector.clientID)])
            }
        case "/_emulator/oauth/expire":
            return .json(["expired": tokens.expireAccessTokens(now: .now)])
        case "/_emulator/oauth/settings":
            switch decoded(TokenSettings.self, empty: TokenSettings()) {
            case .failure(let refusal): return refusal.answer
            case .success(let settings):
                if let pending = settings.pendingAuthorizations, pending < 0 {
                    return .error(400, "pendingAuthorizations must be 0 or more, not \(pending)")
                }
                if let seconds = settings.accessTokenLifetimeSeconds, !(seconds > 0 && seconds <= 1e9) {
                    return .error(400, "accessTokenLifetimeSeconds must be above 0, not \(seconds)")
                }
                tokens.update { policy in
                    if let value = settings.requireBearer { policy.requireBearer = value }
                    if let value = settings.loginRequiresBearer { policy.loginRequiresBearer = value }
                    if let value = settings.pendingAuthorizations { policy.pendingAuthorizations = value }
                    if let value = settings.manualApproval { policy.manualApproval = value }
                    if let value = settings.accessTokenLifetimeSeconds { policy.accessTokenLifetime = .seconds(value) }
                }
                return .json(["updated": true])
            }
        default:
            return .error(404, "no such control endpoint \(path)")
        }
    }
}
