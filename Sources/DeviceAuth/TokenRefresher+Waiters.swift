import CloudAPI
import Dispatch
import SpoolbridgeCore

/// Callers waiting for a token while a refresh is in flight, each with a deadline. Runs on the queue.
extension TokenRefresher {
    enum Resolution {
        /// For a token waiter.
        case token(BearerTokenAnswer)
        /// For a 401 reporter: whether another token is current now.
        case replaced(Bool)
    }

    func enqueue(_ kind: Waiter.Kind) {
        dispatchPrecondition(condition: .onQueue(queue))
        let now = clock.now()
        if case .token = kind { reloadIfRegistrationMayHaveChanged(now: now) }
        let waiter = Waiter(kind: kind, deadline: now.adding(seconds: waitSeconds))
        if core.withLock({ $0.stopped }) {
            // The waiters' timer is gone: nobody would ever answer.
            resolve(waiter, .token(.unavailable(reason: "spoolbridge is shutting down")))
            return
        }
        if let resolution = resolution(for: waiter, now: now) {
            resolve(waiter, resolution)
            return
        }
        let earliest = core.withLock { core -> Timestamp in
            core.waiters[core.nextWaiterID] = waiter
            core.nextWaiterID += 1
            return core.waiters.values.map(\.deadline).min() ?? waiter.deadline
        }
        timers.withLock { $0.waiters?.arm(at: earliest) }
    }

    /// Answers every waiter whose answer is known now.
    func answerWaiters() {
        let now = clock.now()
        let waiting = core.withLock { $0.waiters }
        for (id, waiter) in waiting {
            guard let resolution = resolution(for: waiter, now: now) else { continue }
            core.withLock { _ = $0.waiters.removeValue(forKey: id) }
            resolve(waiter, resolution)
        }
    }

    func expireWaiters() {
        let now = clock.now()
        let expired = core.withLock { core -> [Waiter] in
            let due = core.waiters.filter { $0.value.deadline <= now }
            for id in due.keys { core.waiters.removeValue(forKey: id) }
            return Array(due.values)
        }
        let reason = "no access token: a token refresh did not finish within \(Int(waitSeconds)) s (see `spoolbridge device status`)"
        for waiter in expired { resolve(waiter, .token(.unavailable(reason: reason))) }
        if let next = core.withLock({ $0.waiters.values.map(\.deadline).min() }) {
            timers.withLock { $0.waiters?.arm(at: next) }
        }
    }

    /// nil while the waiter must keep waiting.
    private func resolution(for waiter: Waiter, now: Timestamp) -> Resolution? {
        let (answer, generation, refreshing) = core.withLock { core in
            let refreshing = if case .refreshing = core.machine.phase { true } else { false }
            return (core.machine.tokenAnswer(now: now), core.machine.generation, refreshing)
        }
        switch waiter.kind {
        case .token:
            switch answer {
            case .ready(let token, _): return .token(.token(token))
            case .wait: return nil
            case .unavailable(let reason): return .token(.unavailable(reason: reason))
            }
        case .rejected(_, let rejected):
            if refreshing { return nil }
            if case .ready = answer { return .replaced(generation != rejected) }
            return .replaced(false)
        }
    }

    /// Resumes the waiter's continuation exactly once (it has left `core.waiters` already).
    /// A 401 reporter given a token resolution (timeout, shutdown) is told "no new token".
    func resolve(_ waiter: Waiter, _ resolution: Resolution) {
        switch (waiter.kind, resolution) {
        case (.token(let continuation), .token(let answer)): continuation.resume(returning: answer)
        case (.token(let continuation), .replaced):
            continuation.resume(returning: .unavailable(reason: "no access token"))
        case (.rejected(let continuation, _), .replaced(let replaced)): continuation.resume(returning: replaced)
        case (.rejected(let continuation, _), .token): continuation.resume(returning: false)
        }
    }

    /// Not registered, or the grant is dead: the admin may have registered (or logged in) since, from
    /// another process. Looks at the file at most once a second.
    private func reloadIfRegistrationMayHaveChanged(now: Timestamp) {
        let (waiting, registration, last) = core.withLock { core in
            let stuck: Bool
            switch core.machine.phase {
            case .notRegistered, .needsRegistration: stuck = true
            default: stuck = false
            }
            return (stuck, core.machine.registrationID, core.lastReloadCheck)
        }
        guard waiting, last.map({ now.seconds(since: $0) >= 1 }) ?? true else { return }
        core.withLock { $0.lastReloadCheck = now }
        guard let state = try? store.load(), state.registrationID != registration, state.hasUsableTokens else { return }
        logger.notice("found a new registration in the auth state: using its tokens")
        feed(.loaded(state, now: now))
    }
}
