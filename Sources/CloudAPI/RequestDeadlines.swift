/// The deadlines one request runs under, and the words for each when it trips.
///
/// Uploads have no total deadline: a 200 MB document over a slow link may take as long as it
/// needs while bytes keep moving. What ends a request is the connect timeout, or `stall`
/// passing with nothing moving: while the body is sent (`SendWatchdog`, and AsyncHTTPClient's
/// idle write timeout), while the answer is awaited and while it is read (its idle read timeout).
struct RequestDeadlines: Sendable {
    var connect: Duration
    var stall: Duration
    /// Only for short probes such as `/version`.
    var total: Duration?
    /// What the request carries, for messages: "the document" or "the request".
    var payload: String

    /// How far the exchange got when a deadline tripped.
    enum Stage: Sendable {
        case beforeAnswer
        case readingAnswer
    }

    func connectingTimedOut(host: String) -> String {
        "connecting to \(host) timed out after \(TransportFailure.seconds(connect))"
    }

    func sendingStalled(host: String) -> String {
        "sending \(payload) to \(host) stalled: no byte moved for \(stallSeconds) (delivery.stall_seconds)"
    }

    func answerStalled(host: String, stage: Stage) -> String {
        switch stage {
        case .beforeAnswer:
            return "no answer from \(host) within \(stallSeconds) after \(payload) was sent (delivery.stall_seconds)"
        case .readingAnswer:
            return "the answer from \(host) stalled: no byte arrived for \(stallSeconds) (delivery.stall_seconds)"
        }
    }

    func totalExceeded(host: String) -> String {
        let limit = total.map { " within \(TransportFailure.seconds($0))" } ?? ""
        return "the request to \(host) did not finish\(limit)"
    }

    private var stallSeconds: String { TransportFailure.seconds(stall) }
}
