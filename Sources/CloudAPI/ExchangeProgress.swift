import Synchronization

/// How far an upload got and when bytes last moved, so a stalled exchange can be told from a
/// slow one, and the message can say what stalled.
///
/// Sending: the HTTP client asks the body for its next chunk only once the previous one went into
/// a writable channel, so the time since the last request for a chunk is the time since bytes last
/// drained towards the server (at chunk granularity, or half the kernel's send buffer when that is
/// larger: Linux reports the socket writable again only then). AsyncHTTPClient's own idle write
/// timeout cannot see this: it only runs while the channel is writable (IdleWriteStateMachine
/// clears it when writability drops), so a server that stops reading never trips it. A body small
/// enough to be handed over whole (a document of up to 256 KiB) skips this stage.
///
/// Waiting for and reading the answer: AsyncHTTPClient's idle read timeout would do, but when it
/// trips while the last bytes are still queued, closing the channel fails the queued write first
/// and the request fails with "I/O on closed channel" instead of `readTimeout`
/// (HTTP1ClientChannelHandler closes before it fails the request). Watching it here keeps the
/// message right; the client's own timeouts stay as a backstop, a little later.
final class ExchangeProgress: Sendable {
    enum Stage: Sendable, Equatable {
        /// Connecting and sending the head: the connect timeout applies, not the stall timeout.
        case notStarted
        case sending(lastMovement: ContinuousClock.Instant)
        /// The last byte of the body was handed over at `since`.
        case awaitingAnswer(since: ContinuousClock.Instant)
        case readingAnswer(lastMovement: ContinuousClock.Instant)

        /// Stages only move forward: a server may answer before the body is sent, and the body's
        /// later chunks must not make it look like sending again.
        fileprivate var rank: Int {
            switch self {
            case .notStarted: 0
            case .sending: 1
            case .awaitingAnswer: 2
            case .readingAnswer: 3
            }
        }
    }

    private let current = Mutex(Stage.notStarted)

    var stage: Stage { current.withLock { $0 } }

    /// The client asks for the next piece of the body: the previous one moved on.
    func bodyPieceRequested() { advance(to: .sending(lastMovement: .now)) }

    /// The last piece of the body was handed over; for a body given to the client whole, that is
    /// when the request starts (see `CloudClient.upload`).
    func bodyFinished() { advance(to: .awaitingAnswer(since: .now)) }

    /// The answer's head or a piece of its body arrived.
    func answerPieceArrived() { advance(to: .readingAnswer(lastMovement: .now)) }

    private func advance(to next: Stage) {
        current.withLock { stage in
            if next.rank >= stage.rank { stage = next }
        }
    }
}

/// Thrown when `ExchangeWatchdogs` tripped: nothing moved for the stall timeout.
struct ExchangeStalled: Error, Equatable {
    enum Stage: Sendable, Equatable {
        case sending, awaitingAnswer, readingAnswer
    }

    var stage: Stage
}
