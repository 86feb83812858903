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
    ]

    /// An immediate answer for an unknown path or a wrong method; nil when the request is served.
    static func refusal(method: HTTPMethod, path: String) -> HTTPAnswer? {
        guard let expected = routes[path] else {
            return .error(404, "no such control endpoint \(path); have \(routes.keys.sorted().joined(separator: ", "))")
        }
        return method == expected ? nil : .methodNotAllowed(path, allow: expected.rawValue)
    }

    static func answer(method: HTTPMethod, path: String, body: ByteBuffer, state: EmulatorState) -> HTTPAnswer {
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
                    400, "body must be {\"fault\": {\"type\": T, ...}, \"count\": N} with T one of \(Fault.typeNames): \(error)")
            }
            let count = request.count ?? 1
            guard count >= 1 else { return .error(400, "count must be at least 1, not \(count)") }
            state.inject(request.fault, count: count)
            return .json(["queued": count])
        default:
            return .error(404, "no such control endpoint \(path)")
        }
    }
}
