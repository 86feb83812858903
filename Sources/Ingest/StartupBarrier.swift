import Synchronization

/// Lets the daemon say READY only when every source is really taking work: each ingest service
/// calls `arrive()` once its watches are set up or its socket is bound; `wait()` returns when all
/// have. ServiceGroup starts services concurrently, so start order alone proves nothing.
public final class StartupBarrier: Sendable {
    private struct State {
        var missing: Int
        var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
        var nextWaiter = 0
    }

    private let state: Mutex<State>

    public init(expected: Int) {
        state = Mutex(State(missing: max(0, expected)))
    }

    public func arrive() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.missing = max(0, state.missing - 1)
            guard state.missing == 0 else { return [] }
            defer { state.waiters = [:] }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Returns once every expected service has arrived, or when the waiting task is cancelled (a
    /// service that fails to start ends the whole group, cancelling this waiter with it).
    public func wait() async {
        let id = state.withLock { state -> Int in
            defer { state.nextWaiter += 1 }
            return state.nextWaiter
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let resumeNow = state.withLock { state -> Bool in
                    if state.missing == 0 || Task.isCancelled { return true }
                    state.waiters[id] = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            state.withLock { $0.waiters.removeValue(forKey: id) }?.resume()
        }
    }
}
