import CloudAPI
import Logging
import Outbox
import ServiceLifecycle
import SpoolbridgeCore

/// Sends due jobs to the cloud, at most `concurrency` at once, by performing what
/// `DeliveryStateMachine` decides. This loop holds no state of its own beyond the machine: events
/// (new work, the timer, finished sends, probe answers) arrive on one stream; commits run inline, so
/// results that finish while one is running are recorded together by the next.
public struct DeliveryService: Service {
    let store: any DeliveryStore
    let uploader: Uploader
    let settings: DeliveryStateMachine.Settings
    let logger: Logger
    let observer: (@Sendable (DeliveryStateMachine.Notice, Timestamp) -> Void)?
    private let concurrencyChanges: AsyncStream<Int>
    private let concurrencyInput: AsyncStream<Int>.Continuation
    private let credentialChanges: AsyncStream<Void>
    private let credentialInput: AsyncStream<Void>.Continuation

    /// `observer` hears every notice the machine reports (the daemon's health state), with the time.
    public init(
        outbox: Outbox, client: CloudClient, concurrency: Int, logger: Logger,
        observer: (@Sendable (DeliveryStateMachine.Notice, Timestamp) -> Void)? = nil
    ) {
        self.init(store: outbox, outbox: outbox, client: client, concurrency: concurrency, logger: logger, observer: observer)
    }

    /// `store` is where results are committed (the outbox itself, or a wrapper of it in tests).
    init(
        store: any DeliveryStore, outbox: Outbox, client: CloudClient, concurrency: Int, logger: Logger,
        observer: (@Sendable (DeliveryStateMachine.Notice, Timestamp) -> Void)? = nil
    ) {
        self.store = store
        self.uploader = Uploader(client: client, outbox: outbox)
        self.settings = DeliveryStateMachine.Settings(concurrency: concurrency)
        self.logger = logger
        self.observer = observer
        (concurrencyChanges, concurrencyInput) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
        (credentialChanges, credentialInput) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    /// The token source has a new token (refreshed, or the device registered again): a delivery held
    /// because the cloud refused the old one probes at once instead of waiting out its backoff.
    public func credentialsChanged() {
        credentialInput.yield()
    }

    /// Applies a new `[delivery] concurrency` at once (a reload); the latest value wins.
    public func setConcurrency(_ concurrency: Int) {
        concurrencyInput.yield(concurrency)
    }


    public func run() async throws {
        let (inputs, sink) = AsyncStream.makeStream(of: DeliveryStateMachine.Event.self)
        let timer = DeliveryTimer { sink.yield(.timerFired) }
        defer { timer.cancel() }
        var machine = DeliveryStateMachine(settings: settings, seed: UInt64.random(in: .min ... .max))
        let log = DeliveryLog(logger: logger, observer: observer, now: { [store] in store.now })

        await withDiscardingTaskGroup { group in
            group.addTask {
                for await _ in store.newWork.signals { sink.yield(.workMayBeDue) }
            }
            group.addTask { [concurrencyChanges] in
                for await concurrency in concurrencyChanges { sink.yield(.concurrencyChanged(concurrency)) }
            }
            group.addTask { [credentialChanges] in
                for await _ in credentialChanges { sink.yield(.credentialsChanged) }
            }
            sink.yield(.workMayBeDue)  // jobs may be due already (recovered, or queued before a restart)

            await withGracefulShutdownHandler {
                for await input in inputs {
                    var events = [input]
                    while !events.isEmpty {
                        let event = events.removeFirst()
                        for action in machine.handle(event, now: store.now) {
                            if let followUp = await perform(action, group: &group, sink: sink, timer: timer, log: log) {
                                events.append(followUp)
                            }
                        }
                    }
                    if machine.isStopped { break }
                }
            } onGracefulShutdown: {
                sink.yield(.shutdownRequested)
            }
            // Sends still in flight are cancelled: their jobs stay `uploading` and recovery queues
            // them at the next start (the documented duplicate window: what was in flight).
            concurrencyInput.finish()
            credentialInput.finish()
            group.cancelAll()
        }
    }

    /// Performs one action; a commit runs inline and returns its result as the next event.
    private func perform(
        _ action: DeliveryStateMachine.Action, group: inout DiscardingTaskGroup,
        sink: AsyncStream<DeliveryStateMachine.Event>.Continuation, timer: DeliveryTimer, log: DeliveryLog
    ) async -> DeliveryStateMachine.Event? {
        switch action {
        case .commit(let outcomes, let release, let claim):
            do {
                return .commitSucceeded(try await store.commit(outcomes, release: release, claim: claim))
            } catch {
                return .commitFailed(reason: "\(error)")
            }
        case .send(let job):
            group.addTask {
                let started = ContinuousClock.now
                let (outcome, warning) = await uploader.deliver(job)
                log.uploadFinished(job, outcome: outcome, duration: ContinuousClock.now - started)
                if let warning { log.acceptedWithWarning(job, warning) }
                sink.yield(.sendFinished(outcome))
            }
        case .probe:
            group.addTask {
                sink.yield(.probeFinished(await uploader.probe()))
            }
        case .armTimer(let instant):
            timer.arm(at: instant, now: store.now)
        case .disarmTimer:
            timer.disarm()
        case .report(let notice):
            log.report(notice)
        }
        return nil
    }
}
