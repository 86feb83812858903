/// The deadlines one request runs under, and the words for each when it trips.
///
/// Uploads have no total deadline: a 200 MB document over a slow link may take as long as it
/// needs while bytes keep moving. What ends an upload is the connect timeout, or `stall` passing
/// with nothing moving while the body is sent, while the answer is awaited and while it is read
/// (`ExchangeWatchdogs`). AsyncHTTPClient's idle read and write timeouts are set to `backstop`, a
/// little later, so the watchdog, which knows what stalled, speaks first; for `/version`, which
/// has no watchdog, they and the total deadline are what apply.
struct RequestDeadlines: Sendable {
    var connect: Duration
    var stall: Duration
    /// Only for short probes such as `/version`.
    var total: Duration?
    /// What the request carries, for messages: "the document" or "the request".
    var payload: String

    /// AsyncHTTPClient's idle timeouts for a stall timeout: a quarter later, at least a second.
    static func backstop(for stall: Duration) -> Duration {
        stall + max(stall / 4, .seconds(1))
    }

    var backstop: Duration { Self.backstop(for: stall) }

    /// How far the exchange got when a deadline tripped.
    enum Stage: Sendable {
        case beforeAnswer
        case readingAnswer
    }

    func connectingTimedOut(host: String) -> String {
        "connecting to \(host) timed out after \(TransportFailure.seconds(connect))"
    }

    /// `after`: how long nothing moved, the stall timeout unless a backstop tripped.
    func sendingStalled(host: String, after: Duration? = nil) -> String {
        let seconds = TransportFailure.seconds(after ?? stall)
        return "sending \(payload) to \(host) stalled: no byte moved for \(seconds) (delivery.stall_seconds)"
    }

    func answerStalled(host: String, stage: Stage, after: Duration? = nil) -> String {
        let seconds = TransportFailure.seconds(after ?? stall)
        switch stage {
        case .beforeAnswer:
            return "no answer from \(host) within \(seconds) after \(payload) was sent (delivery.stall_seconds)"
        case .readingAnswer:
            return "the answer from \(host) stalled: no byte arrived for \(seconds) (delivery.stall_seconds)"
        }
    }

    func totalExceeded(host: String) -> String {
        let limit = total.map { " within \(TransportFailure.seconds($0))" } ?? ""
        return "the request to \(host) did not finish\(limit)"
    }
}
