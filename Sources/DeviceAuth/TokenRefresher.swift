import CloudAPI
import Dispatch
import Logging
import SpoolbridgeCore
import Synchronization

/// Keeps the stored token pair fresh and hands the access token to `CloudClient`.
///
/// A retry queue run on Dispatch: every decision is `RefreshStateMachine`'s, taken on one serial
/// queue; one `DispatchSourceTimer` (through `RefreshClock`) wakes it for the scheduled refresh or
/// the next retry. Callers that need a token while a refresh is in flight wait for it (bounded by
/// `waitSeconds`) instead of starting their own.
public final class TokenRefresher: BearerTokenSource {
    /// Called on the refresher's queue after every state change worth a log line.
    public typealias Observer = @Sendable (RefreshStatus, RefreshStateMachine.Announcement) -> Void

    let queue = DispatchQueue(label: "spoolbridge.auth.refresher")
    let store: TokenStore
    let service: any TokenRefreshService
    let clock: any RefreshClock
    let random: @Sendable () -> Double
    let waitSeconds: Double
    let logger: Logger
    let observer: Observer?
    let core: Mutex<Core>
    let timers: Mutex<(refresh: (any RefreshTimer)?, waiters: (any RefreshTimer)?)> = Mutex((nil, nil))

    struct Core: Sendable {
        /// Changed on the queue only.
        var machine: RefreshStateMachine
        /// `machine` as of the last event whose actions are all done: what callers off the queue
        /// read, so a refreshed access token is seen only once it is stored.
        var published: RefreshStateMachine
        var waiters: [Int: Waiter] = [:]
        var nextWaiterID = 0
        var refreshesInFlight = 0
        var drained: [CheckedContinuation<Void, Never>] = []
        var lastReloadCheck: Timestamp?
        var stopped = false
    }

    struct Waiter: Sendable {
        enum Kind: Sendable {
            case token(CheckedContinuation<BearerTokenAnswer, Never>)
            /// A 401 for `generation`: answers whether another token is current once the refresh ends.
            case rejected(CheckedContinuation<Bool, Never>, generation: Int)
        }
        var kind: Kind
        var deadline: Timestamp
    }

    public init(
        store: TokenStore, service: any TokenRefreshService, clock: any RefreshClock = SystemRefreshClock(),
        settings: RefreshStateMachine.Settings = .init(), random: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) },
        waitSeconds: Double = 30, logger: Logger = Logger(label: "spoolbridge.auth"), observer: Observer? = nil
    ) {
        self.store = store
        self.service = service
        self.clock = clock
        self.random = random
        self.waitSeconds = waitSeconds
        self.logger = logger
        self.observer = observer
        let machine = RefreshStateMachine(settings: settings)
        self.core = Mutex(Core(machine: machine, published: machine))
    }

    /// Reads the stored state and takes over: arms the next refresh, or refreshes now when one is due.
    /// Returns once the state is loaded (not once a refresh is done).
    public func start() throws(TokenStoreError) {
        let refresh = clock.makeTimer(queue: queue) { [weak self] in self?.timerFired() }
        let waiters = clock.makeTimer(queue: queue) { [weak self] in self?.expireWaiters() }
        timers.withLock { $0 = (refresh, waiters) }
        let result: Result<AuthState?, TokenStoreError> = queue.sync { Result { () throws(TokenStoreError) in try store.load() } }
        let state = try result.get()
        queue.sync { feed(.loaded(state, now: clock.now())) }
    }

    /// Stops the timers after the refresh in flight, if any, has finished and stored its answer: a
    /// pair received and never stored would cost a registration. Waiters get "unavailable".
    public func shutdown() async {
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            queue.async {
                let ready = self.core.withLock { core -> Bool in
                    core.stopped = true
                    if core.refreshesInFlight == 0 { return true }
                    core.drained.append(done)
                    return false
                }
                if ready { done.resume() }
            }
        }
        queue.sync {
            timers.withLock {
                $0.refresh?.cancel()
                $0.waiters?.cancel()
            }
            let waiters = core.withLock { core in
                defer { core.waiters = [:] }
                return Array(core.waiters.values)
            }
            for waiter in waiters { resolve(waiter, .token(.unavailable(reason: "spoolbridge is shutting down"))) }
        }
    }

    /// The refresher's state for `status`, `STATUS=` and `device status`.
    public var status: RefreshStatus { core.withLock { $0.published.status } }

    // MARK: BearerTokenSource

    public func currentAccessToken() async -> BearerTokenAnswer {
        let now = clock.now()
        switch core.withLock({ $0.published.tokenAnswer(now: now) }) {
        case .ready(let token, _): return .token(token)
        case .unavailable, .wait: break
        }
        return await withCheckedContinuation { continuation in
            queue.async { self.enqueue(.token(continuation)) }
        }
    }

    public func accessTokenWasRejected(_ token: Secret) async -> Bool {
        await withCheckedContinuation { continuation in
            queue.async {
                let now = self.clock.now()
                let (current, stopped) = self.core.withLock { (($0.machine.tokens?.accessToken, $0.machine.generation), $0.stopped) }
                guard !stopped else {
                    continuation.resume(returning: false)  // no refresh starts during shutdown
                    return
                }
                guard current.0 == token else {
                    // Already replaced: the caller retries with the current token.
                    continuation.resume(returning: current.0 != nil)
                    return
                }
                self.feed(.tokenRejected(generation: current.1, now: now))
                self.enqueue(.rejected(continuation, generation: current.1))
            }
        }
    }

    // MARK: On the queue

    /// Feeds the machine and carries out what it decided, in order.
    func feed(_ event: RefreshStateMachine.Event) {
        dispatchPrecondition(condition: .onQueue(queue))
        let actions = core.withLock { $0.machine.handle(event) }
        for action in actions { perform(action) }
        core.withLock { $0.published = $0.machine }
    }

    private func perform(_ action: RefreshStateMachine.Action) {
        let now = clock.now()
        switch action {
        case .recordSpending: recordSpending(now: now)
        case .sendRefresh(let clientID, let refreshToken): send(clientID: clientID, refreshToken: refreshToken)
        case .storeTokens(let tokens): storeTokens(tokens, now: now)
        case .clearSpending: persist { $0.spendingRefreshTokenSince = nil }
        case .armTimer(let at): timers.withLock { $0.refresh?.arm(at: at) }
        case .cancelTimer: timers.withLock { $0.refresh?.disarm() }
        case .answerWaiters: answerWaiters()
        case .recordStatus: recordStatus(now: now)
        case .announce(let announcement): announce(announcement)
        }
    }

    private func timerFired() {
        guard !core.withLock({ $0.stopped }) else { return }
        feed(.timerFired(now: clock.now()))
    }

    private func recordSpending(now: Timestamp) {
        let registration = core.withLock { $0.machine.registrationID }
        enum Outcome { case recorded, replaced(AuthState?) }
        do throws(TokenStoreError) {
            let outcome = try store.update { (state) throws(TokenStoreError) -> Outcome in
                guard let current = state, current.registrationID == registration, current.tokens != nil else {
                    return .replaced(state)
                }
                state?.spendingRefreshTokenSince = now
                return .recorded
            }
            switch outcome {
            case .recorded: feed(.spendingRecorded(now: now))
            case .replaced(let state):
                logger.notice("the auth state was replaced (a new registration or login): using it")
                feed(.loaded(state, now: now))
            }
        } catch {
            feed(.spendingNotRecorded(reason: error.description, now: now, jitter: random()))
        }
    }

    private func send(clientID: String, refreshToken: Secret) {
        core.withLock { $0.refreshesInFlight += 1 }
        let service = self.service
        Task {
            let result = await service.refresh(clientID: clientID, refreshToken: refreshToken)
            self.queue.async { self.answered(result) }
        }
    }

    private func answered(_ result: TokenGrantResult) {
        let now = clock.now()
        switch result {
        case .tokens(let tokens): feed(.refreshSucceeded(tokens, now: now))
        case .refused(let refusal): feed(.refreshFailed(.refused(refusal), now: now, jitter: random()))
        case .noAnswer(let reason, let mayHaveArrived):
            feed(.refreshFailed(.noAnswer(reason: reason, requestMayHaveArrived: mayHaveArrived), now: now, jitter: random()))
        }
        let drained = core.withLock { core -> [CheckedContinuation<Void, Never>] in
            core.refreshesInFlight -= 1
            guard core.refreshesInFlight == 0 else { return [] }
            defer { core.drained = [] }
            return core.drained
        }
        for continuation in drained { continuation.resume() }
    }

    private func storeTokens(_ tokens: StoredTokens, now: Timestamp) {
        let (registration, due) = core.withLock { ($0.machine.registrationID, $0.machine.status.nextAttemptAt) }
        do throws(TokenStoreError) {
            let replaced = try store.update { (state) throws(TokenStoreError) -> AuthState?? in
                guard var current = state, current.registrationID == registration else { return .some(state) }
                current.tokens = tokens
                current.spendingRefreshTokenSince = nil
                current.lastRefreshAt = now
                current.lastError = nil
                current.lastErrorAt = nil
                current.attempts = 0
                current.nextAttemptAt = due
                current.needsRegistration = nil
                state = current
                return .none
            }
            if let replaced {
                logger.notice("the auth state was replaced (a new registration or login) during a refresh: using it")
                feed(.loaded(replaced, now: now))
            }
        } catch {
            logger.error("the refreshed token pair could not be stored: \(error)")
            feed(.tokensNotStored(reason: error.description, now: now))
        }
    }

    private func recordStatus(now: Timestamp) {
        let status = core.withLock { $0.machine.status }
        let stopped = status.state == .needsRegistration
        persist { state in
            state.lastError = status.lastError
            state.lastErrorAt = status.lastError == nil ? nil : now
            state.attempts = status.attempts
            state.nextAttemptAt = status.nextAttemptAt
            if stopped {
                state.needsRegistration = status.lastError
                state.spendingRefreshTokenSince = nil  // moot: the grant is dead either way
            }
        }
    }

    /// Changes the stored state if it is still this refresher's registration; a failure is logged
    /// (the status is informative; the marker's safety does not depend on clearing it).
    private func persist(_ change: (inout AuthState) -> Void) {
        let registration = core.withLock { $0.machine.registrationID }
        do throws(TokenStoreError) {
            try store.update { (state) throws(TokenStoreError) in
                guard var current = state, current.registrationID == registration else { return }
                change(&current)
                state = current
            }
        } catch {
            logger.warning("could not record the token refresher's status: \(error)")
        }
    }

    private func announce(_ announcement: RefreshStateMachine.Announcement) {
        let status = core.withLock { $0.machine.status }
        RefreshLog.log(announcement, status: status, logger: logger)
        observer?(status, announcement)
    }
}
