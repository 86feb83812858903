import Dispatch
import Synchronization

/// Watches the progress of every streamed exchange of one client with a single timer, and calls an
/// exchange's `onStall` once nothing moved for its stall timeout.
///
/// One timer for all, not one per upload: a per-upload timer (a child task sleeping, or an event-loop
/// timer armed and cancelled) cost a wake-up of another thread at each start and end of every
/// upload, a visible share of a burst's CPU. Here an exchange registers and unregisters under a lock;
/// the timer is armed only when a new exchange's deadline is the earliest (in practice: the first
/// after a quiet spell), fires at the earliest possible stall, checks every exchange, and re-arms for
/// the next one. Progress only pushes deadlines later, so a timer that fires early just re-arms. With
/// nothing registered it stays disarmed: an idle daemon has no timer here.
final class ExchangeWatchdogs: Sendable {
    /// One watched exchange; `stalledStage` says what stalled once it tripped.
    final class Watch: Sendable {
        fileprivate let progress: ExchangeProgress
        fileprivate let stallTimeout: Duration
        fileprivate let onStall: @Sendable () -> Void
        private let stalled = Mutex<ExchangeStalled.Stage?>(nil)

        fileprivate init(progress: ExchangeProgress, stallTimeout: Duration, onStall: @escaping @Sendable () -> Void) {
            self.progress = progress
            self.stallTimeout = stallTimeout
            self.onStall = onStall
        }

        var stalledStage: ExchangeStalled.Stage? { stalled.withLock { $0 } }

        /// When this exchange counts as stalled unless something moves; the stage it would be.
        fileprivate func deadline(registeredAt start: ContinuousClock.Instant) -> (ContinuousClock.Instant, ExchangeStalled.Stage?) {
            switch progress.stage {
            case .notStarted: (start + stallTimeout, nil)  // connecting: the connect timeout applies
            case .sending(let instant): (instant + stallTimeout, .sending)
            case .awaitingAnswer(let instant): (instant + stallTimeout, .awaitingAnswer)
            case .readingAnswer(let instant): (instant + stallTimeout, .readingAnswer)
            }
        }

        fileprivate func trip(_ stage: ExchangeStalled.Stage) {
            stalled.withLock { $0 = stage }
            onStall()
        }
    }

    private struct Entry {
        var watch: Watch
        var registeredAt: ContinuousClock.Instant
    }

    private struct State {
        var entries: [ObjectIdentifier: Entry] = [:]
        var armedAt: ContinuousClock.Instant?
        /// Set once, right after init; only touched under the lock.
        var timer: (any DispatchSourceTimer)?
    }

    private let state: Mutex<State>

    init() {
        let timer = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "spoolbridge.cloud.watchdog"))
        timer.schedule(deadline: .distantFuture)
        state = Mutex(State(timer: timer))
        state.withLock { state in
            state.timer?.setEventHandler { [weak self] in self?.check() }
            state.timer?.activate()
        }
    }

    deinit {
        state.withLock { $0.timer?.cancel() }
    }

    func watch(_ progress: ExchangeProgress, stallTimeout: Duration, onStall: @escaping @Sendable () -> Void) -> Watch {
        let watch = Watch(progress: progress, stallTimeout: stallTimeout, onStall: onStall)
        let now = ContinuousClock.now
        let deadline = now + stallTimeout
        // Armed under the lock, so an arm here and one by `check` cannot land in the wrong order.
        state.withLock { state in
            state.entries[ObjectIdentifier(watch)] = Entry(watch: watch, registeredAt: now)
            guard state.armedAt.map({ deadline < $0 }) ?? true else { return }
            state.armedAt = deadline
            arm(state.timer, at: deadline)
        }
        return watch
    }

    /// The exchange is over; the timer is left as it is (it re-arms only for exchanges still watched).
    func end(_ watch: Watch) {
        _ = state.withLock { $0.entries.removeValue(forKey: ObjectIdentifier(watch)) }
    }

    private func check() {
        let now = ContinuousClock.now
        var tripped: [(Watch, ExchangeStalled.Stage)] = []
        state.withLock { state in
            var earliest: ContinuousClock.Instant?
            for (key, entry) in state.entries {
                let (deadline, stage) = entry.watch.deadline(registeredAt: entry.registeredAt)
                if deadline <= now {
                    if let stage {
                        tripped.append((entry.watch, stage))
                        state.entries[key] = nil
                        continue
                    }
                    // Still connecting: look again a stall period later.
                    state.entries[key]?.registeredAt = now
                    earliest = min(earliest ?? now + entry.watch.stallTimeout, now + entry.watch.stallTimeout)
                    continue
                } else {
                    earliest = min(earliest ?? deadline, deadline)
                }
            }
            state.armedAt = earliest
            if let earliest { arm(state.timer, at: earliest) }
        }
        for (watch, stage) in tripped { watch.trip(stage) }
    }

    private func arm(_ timer: (any DispatchSourceTimer)?, at instant: ContinuousClock.Instant) {
        let left = max(.zero, instant - ContinuousClock.now)
        let nanoseconds = left.components.seconds * 1_000_000_000 + left.components.attoseconds / 1_000_000_000
        timer?.schedule(deadline: .now() + .nanoseconds(Int(nanoseconds)), leeway: .milliseconds(10))
    }
}
