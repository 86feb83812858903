import Logging
import ServiceLifecycle
import Synchronization
import Testing

@testable import SystemIntegration

#if canImport(Glibc)
import Glibc
#endif

/// These build the notifier from an explicit environment, so they need not touch the process's.
@Suite struct WatchdogServiceTests {
    private let quietLogger = Logger(label: "watchdog-test") { _ in SwiftLogNoOpLogHandler() }

    @Test func pingsAtHalfTheIntervalAndStopsOnGracefulShutdown() async throws {
        let receiver = try NotifySocketReceiver()
        let notifier = SystemdNotifier(
            environment: ["NOTIFY_SOCKET": receiver.path, "WATCHDOG_USEC": "200000"], pid: getpid()
        )
        #expect(notifier.watchdogInterval == .milliseconds(200))
        let group = ServiceGroup(
            configuration: .init(
                services: [.init(service: WatchdogService(notifier: notifier, isHealthy: { true }))],
                logger: quietLogger
            )
        )

        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }

            let received = await receiver.collect { $0.filter { $0 == "WATCHDOG=1" }.count >= 2 }
            #expect(received.filter { $0 == "WATCHDOG=1" }.count >= 2)

            await group.triggerGracefulShutdown()
            try await finishes(within: .seconds(5), tasks: &tasks)
        }
    }

    @Test func doesNotPingWhileUnhealthy() async throws {
        let receiver = try NotifySocketReceiver()
        let notifier = SystemdNotifier(
            environment: ["NOTIFY_SOCKET": receiver.path, "WATCHDOG_USEC": "20000"], pid: getpid()
        )
        let healthChecks = Atomic<Int>(0)
        let service = WatchdogService(notifier: notifier) {
            healthChecks.add(1, ordering: .relaxed)
            return false
        }

        let task = Task { try await service.run() }
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(5)
        while healthChecks.load(ordering: .relaxed) < 3 && clock.now < deadline {
            try await Task.sleep(for: .milliseconds(5))
        }
        #expect(healthChecks.load(ordering: .relaxed) >= 3)
        #expect(receiver.drain().isEmpty, "an unhealthy daemon must let the watchdog fire")

        task.cancel()
        try await task.value
    }

    @Test func withoutWatchdogItSendsNothingAndEndsOnGracefulShutdown() async throws {
        let receiver = try NotifySocketReceiver()
        let notifier = SystemdNotifier(environment: ["NOTIFY_SOCKET": receiver.path], pid: getpid())
        #expect(notifier.watchdogInterval == nil)
        let healthChecks = Atomic<Int>(0)
        let group = ServiceGroup(
            configuration: .init(
                services: [.init(service: WatchdogService(notifier: notifier) {
                    healthChecks.add(1, ordering: .relaxed)
                    return true
                })],
                logger: quietLogger
            )
        )

        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            await group.triggerGracefulShutdown()
            try await finishes(within: .seconds(5), tasks: &tasks)
        }
        #expect(healthChecks.load(ordering: .relaxed) == 0)
        #expect(receiver.drain().isEmpty)
    }

    @Test func endsWhenCancelled() async throws {
        let receiver = try NotifySocketReceiver()
        let notifier = SystemdNotifier(
            environment: ["NOTIFY_SOCKET": receiver.path, "WATCHDOG_USEC": "60000000"], pid: getpid()
        )
        let service = WatchdogService(notifier: notifier, isHealthy: { true })
        let task = Task { try await service.run() }
        _ = await receiver.collect { $0.contains("WATCHDOG=1") }  // first ping is immediate
        task.cancel()
        try await task.value
    }

    /// Waits for the task group's first task to end, failing the test if it takes longer than `limit`.
    private func finishes(within limit: Duration, tasks: inout ThrowingTaskGroup<Void, any Error>) async throws {
        tasks.addTask {
            try await Task.sleep(for: limit)
            throw TimedOut(limit: limit)
        }
        try await tasks.next()
        tasks.cancelAll()
    }
}

struct TimedOut: Error, CustomStringConvertible {
    let limit: Duration
    var description: String { "did not finish within \(limit)" }
}
