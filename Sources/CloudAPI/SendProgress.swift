import Synchronization

/// When the HTTP client last took a piece of the request body, so a stalled send can be told
/// from a slow one.
///
/// Why our own bookkeeping: AsyncHTTPClient's idle write timeout only runs while the channel is
/// writable (IdleWriteStateMachine clears it when writability drops), so a server that stops
/// reading, filling the socket buffers, never trips it. The client asks the body for its next
/// chunk only once the previous one went into a writable channel, so the time since the last
/// request for a chunk is the time since bytes last drained towards the server (at the
/// granularity of one chunk, `UploadBody.defaultChunkSize`).
final class SendProgress: Sendable {
    enum Stage: Sendable, Equatable {
        /// Connecting and sending the head: the connect timeout applies, not this.
        case notStarted
        case sending(lastMovement: ContinuousClock.Instant)
        /// The last byte was handed over: AsyncHTTPClient's idle read timeout takes over.
        case sent
    }

    private let current = Mutex(Stage.notStarted)

    var stage: Stage { current.withLock { $0 } }

    /// The client asks for the next piece of the body: the previous one moved on.
    func bodyPieceRequested(at now: ContinuousClock.Instant = .now) {
        current.withLock { stage in
            if stage != .sent { stage = .sending(lastMovement: now) }
        }
    }

    func bodyFinished() {
        current.withLock { $0 = .sent }
    }
}

/// Thrown by `SendWatchdog` when no piece of the body moved for the stall timeout.
struct SendStalled: Error {}

/// Watches a `SendProgress` until the body is sent; throws `SendStalled` when it stops moving.
/// Runs beside the request in a task group, which cancels it when the request is done.
struct SendWatchdog: Sendable {
    let progress: SendProgress
    let stallTimeout: Duration

    func run() async throws {
        let clock = ContinuousClock()
        while true {
            switch progress.stage {
            case .notStarted:
                try await Task.sleep(for: stallTimeout, clock: clock)
            case .sending(let lastMovement):
                let deadline = lastMovement + stallTimeout
                if clock.now >= deadline { throw SendStalled() }
                try await Task.sleep(until: deadline, clock: clock)
            case .sent:
                return
            }
        }
    }
}
