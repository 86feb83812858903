import CloudAPI
import Logging
import SpoolbridgeCore
import Synchronization
import Testing

@testable import DeviceAuth

/// The refresher with a manual clock and a token service the test answers: nothing waits real minutes.
@Suite(.serialized)
struct TokenRefresherTests {
    struct Fixture {
        let store: TokenStore
        let clock: ManualClock
        let service = ScriptedTokenService()
        let refresher: TokenRefresher

        init(stored: AuthState?, now: Timestamp = t0, jitter: Double = 0.5, waitSeconds: Double = 30) throws {
            store = TokenStore(directory: try temporaryDirectory() + "/auth")
            if let stored { try store.update { $0 = stored } }
            clock = ManualClock(now: now)
            refresher = TokenRefresher(
                store: store, service: service, clock: clock, random: { jitter }, waitSeconds: waitSeconds,
                logger: Logger(label: "test.auth"))
            try refresher.start()
        }

        func onDisk() throws -> AuthState { try #require(try store.load()) }
    }

    private let due = t0.adding(seconds: 2880)

    @Test func theRefreshRunsBeforeExpiryAndTheNewPairIsDurableBeforeUse() async throws {
        let fixture = try Fixture(stored: state("a"))
        #expect(fixture.refresher.status.state == .fresh)
        #expect(fixture.clock.nextDeadline == due)
        #expect(await fixture.refresher.currentAccessToken() == .token(Secret("access-a")))

        fixture.clock.advance(by: 2880)
        try await waitUntil("the refresh is sent") { fixture.service.sent.count == 1 }
        #expect(fixture.service.sent == [.init(clientID: "device-1", refreshToken: "refresh-a")])
        #expect(try fixture.onDisk().spendingRefreshTokenSince == due, "marked spent before it left")

        try fixture.service.answer(.tokens(tokens("b")))
        try await waitUntil("the new pair is in use") { fixture.refresher.status.lastRefreshAt == due }
        let disk = try fixture.onDisk()
        #expect(disk.tokens?.refreshToken == Secret("refresh-b") && disk.spendingRefreshTokenSince == nil)
        #expect(await fixture.refresher.currentAccessToken() == .token(Secret("access-b")))
        #expect(fixture.clock.nextDeadline == due.adding(seconds: 2880))
    }

    @Test func failuresAreRetriedWithBackoffUntilOneSucceeds() async throws {
        let fixture = try Fixture(stored: state("a"), jitter: 0.5)
        fixture.clock.advance(by: 2880)
        try await waitUntil("the refresh is sent") { fixture.service.sent.count == 1 }
        try fixture.service.answer(.refused(OAuthRefusal(error: "temporarily_unavailable", httpStatus: 429)))
        // The status is published once every action (the disk write included) is done.
        try await waitUntil("the refresher backs off") { fixture.refresher.status.state == .retrying }
        #expect(fixture.refresher.status.nextAttemptAt == due.adding(seconds: 2.5))
        let disk = try fixture.onDisk()
        #expect(disk.attempts == 1 && disk.lastError?.contains("429") == true && disk.spendingRefreshTokenSince == nil)

        fixture.clock.advance(by: 2.5)
        try await waitUntil("the retry is sent") { fixture.service.sent.count == 2 }
        try fixture.service.answer(.noAnswer(reason: "connection refused", requestMayHaveArrived: false))
        try await waitUntil("the second backoff") { fixture.refresher.status.attempts == 2 }
        #expect(fixture.refresher.status.nextAttemptAt == due.adding(seconds: 2.5 + 5))  // attempt 2: half of 10 s

        fixture.clock.advance(by: 5)
        try await waitUntil("the third attempt") { fixture.service.sent.count == 3 }
        // The server never rotated: the same token each time.
        #expect(Set(fixture.service.sent.map(\.refreshToken)) == ["refresh-a"])
        try fixture.service.answer(.tokens(tokens("b")))
        try await waitUntil("fresh again") { fixture.refresher.status.state == .fresh }
        #expect(fixture.refresher.status.attempts == 0 && fixture.refresher.status.lastError == nil)
    }

    @Test func invalidGrantStopsRefreshingAndSaysWhatToRun() async throws {
        let fixture = try Fixture(stored: state("a"))
        fixture.clock.advance(by: 2880)
        try await waitUntil("the refresh is sent") { fixture.service.sent.count == 1 }
        try fixture.service.answer(.refused(OAuthRefusal(error: "invalid_grant", httpStatus: 400)))
        try await waitUntil("stopped") { fixture.refresher.status.state == .needsRegistration }
        #expect(try fixture.onDisk().needsRegistration?.contains("invalid_grant") == true)
        #expect(RefreshStatus(stored: try fixture.onDisk()).state == .needsRegistration)

        fixture.clock.advance(by: 86_400)
        guard case .unavailable(let reason) = await fixture.refresher.currentAccessToken() else {
            Issue.record("an expired, unrefreshable token must not be handed out")
            return
        }
        #expect(reason.contains("spoolbridge device register"))
        #expect(fixture.service.sent.count == 1, "never refreshed again")
        #expect(fixture.clock.nextDeadline == nil)
    }

    @Test func concurrentCallersShareOneRefresh() async throws {
        let fixture = try Fixture(stored: state("a"), now: t0.adding(seconds: 4000))  // expired
        try await waitUntil("the refresh is sent") { fixture.service.sent.count == 1 }
        let refresher = fixture.refresher
        let answers = Task {
            await withTaskGroup(of: BearerTokenAnswer.self) { group in
                for _ in 0..<20 { group.addTask { await refresher.currentAccessToken() } }
                return await group.reduce(into: [BearerTokenAnswer]()) { $0.append($1) }
            }
        }
        try await waitUntil("all callers wait") { refresher.core.withLock { $0.waiters.count } == 20 }
        try fixture.service.answer(.tokens(tokens("b")))
        let received = await answers.value
        #expect(received == Array(repeating: .token(Secret("access-b")), count: 20))
        #expect(fixture.service.sent.count == 1)
    }

    @Test func manyReportsOfOneRefusedTokenRefreshOnce() async throws {
        let fixture = try Fixture(stored: state("a"), now: t0.adding(seconds: 60))
        let refresher = fixture.refresher
        let replies = Task {
            await withTaskGroup(of: Bool.self) { group in
                for _ in 0..<10 { group.addTask { await refresher.accessTokenWasRejected(Secret("access-a")) } }
                return await group.reduce(into: [Bool]()) { $0.append($1) }
            }
        }
        try await waitUntil("the refresh is sent") { fixture.service.sent.count == 1 }
        try await waitUntil("all reporters wait") { refresher.core.withLock { $0.waiters.count } == 10 }
        try fixture.service.answer(.tokens(tokens("b")))
        #expect(await replies.value == Array(repeating: true, count: 10))
        #expect(fixture.service.sent.count == 1)
        // A late report of the old token: the new one is already current, no refresh.
        #expect(await refresher.accessTokenWasRejected(Secret("access-a")))
        #expect(fixture.service.sent.count == 1)
    }

    @Test func aWaitForARefreshIsBounded() async throws {
        let fixture = try Fixture(stored: state("a"), now: t0.adding(seconds: 4000), waitSeconds: 30)
        try await waitUntil("the refresh is sent") { fixture.service.sent.count == 1 }
        let refresher = fixture.refresher
        let waiting = Task { await refresher.currentAccessToken() }
        try await waitUntil("the caller waits") { refresher.core.withLock { $0.waiters.count } == 1 }
        fixture.clock.advance(by: 31)
        guard case .unavailable(let reason) = await waiting.value else {
            Issue.record("the wait must end without a token")
            return
        }
        #expect(reason.contains("did not finish within 30 s"))
        try fixture.service.answer(.tokens(tokens("b")))
        try await waitUntil("the late answer is stored") { (try? fixture.onDisk().tokens?.accessToken) == Secret("access-b") }
    }

    @Test func aSpentMarkerAfterACrashIsNeverResent() async throws {
        var crashed = state("a")
        crashed.spendingRefreshTokenSince = due
        let fixture = try Fixture(stored: crashed, now: due.adding(seconds: 5))
        #expect(fixture.refresher.status.state == .needsRegistration)
        fixture.clock.advance(by: 86_400)
        #expect(fixture.service.sent.isEmpty)
        let disk = try fixture.onDisk()
        #expect(disk.needsRegistration?.contains("interrupted") == true && disk.spendingRefreshTokenSince == nil)
    }

    @Test func aNewRegistrationFromAnotherProcessIsAdopted() async throws {
        var dead = state("a")
        dead.needsRegistration = "invalid_grant"
        let fixture = try Fixture(stored: dead, now: t0.adding(seconds: 4000))  // the old access token expired
        guard case .unavailable = await fixture.refresher.currentAccessToken() else {
            Issue.record("a dead grant gives no token")
            return
        }
        // `spoolbridge device register` in another process:
        try fixture.store.update { state in
            state?.install(stored("new", at: t0.adding(seconds: 4000)), mode: .deviceToken, registrationID: "reg-2", at: t0.adding(seconds: 4000))
        }
        fixture.clock.advance(by: 2)
        #expect(await fixture.refresher.currentAccessToken() == .token(Secret("access-new")))
        #expect(fixture.refresher.status.state == .fresh)
    }

    @Test func aRegistrationDuringARefreshWinsOverTheRefreshedPair() async throws {
        let fixture = try Fixture(stored: state("a"))
        fixture.clock.advance(by: 2880)
        try await waitUntil("the refresh is sent") { fixture.service.sent.count == 1 }
        try fixture.store.update { state in
            state?.install(stored("new", at: due), mode: .deviceToken, registrationID: "reg-2", at: due)
        }
        try fixture.service.answer(.tokens(tokens("b")))
        try await waitUntil("the new registration is used") { fixture.refresher.core.withLock { $0.published.registrationID } == "reg-2" }
        #expect(try fixture.onDisk().tokens?.refreshToken == Secret("refresh-new"))
        #expect(await fixture.refresher.currentAccessToken() == .token(Secret("access-new")))
    }

    @Test func shutdownWaitsForTheRefreshInFlightAndStoresItsAnswer() async throws {
        let fixture = try Fixture(stored: state("a"))
        fixture.clock.advance(by: 2880)
        try await waitUntil("the refresh is sent") { fixture.service.sent.count == 1 }
        let done = Mutex(false)
        let refresher = fixture.refresher
        let shutdown = Task {
            await refresher.shutdown()
            done.withLock { $0 = true }
        }
        try await waitUntil("shutdown is asked") { refresher.core.withLock { $0.stopped } }
        #expect(!done.withLock { $0 })
        try fixture.service.answer(.tokens(tokens("b")))
        await shutdown.value
        #expect(try fixture.onDisk().tokens?.refreshToken == Secret("refresh-b"))
        #expect(try fixture.onDisk().spendingRefreshTokenSince == nil)
    }

    @Test func afterShutdownNobodyWaitsAndNothingRefreshes() async throws {
        let fixture = try Fixture(stored: state("a"), now: t0.adding(seconds: 4000))  // expired: refreshing
        try await waitUntil("the refresh is sent") { fixture.service.sent.count == 1 }
        try fixture.service.answer(.noAnswer(reason: "refused", requestMayHaveArrived: false))
        await fixture.refresher.shutdown()
        guard case .unavailable = await fixture.refresher.currentAccessToken() else {
            Issue.record("no token after shutdown")
            return
        }
        #expect(await fixture.refresher.accessTokenWasRejected(Secret("access-a")) == false)
        fixture.clock.advance(by: 86_400)
        #expect(fixture.service.sent.count == 1)
    }

    @Test func aReportOfTheOldTokenAfterANewRegistrationSaysANewOneIsCurrent() async throws {
        let fixture = try Fixture(stored: state("a"), now: t0.adding(seconds: 60))
        try fixture.store.update { state in
            state?.install(stored("new", at: t0.adding(seconds: 60)), mode: .deviceToken, registrationID: "reg-2", at: t0.adding(seconds: 60))
        }
        // The 401 starts a refresh; recording its marker finds the new registration and adopts it.
        #expect(await fixture.refresher.accessTokenWasRejected(Secret("access-a")))
        #expect(await fixture.refresher.currentAccessToken() == .token(Secret("access-new")))
        #expect(fixture.service.sent.isEmpty, "the old family's refresh token is never sent")
    }

    @Test func nothingStoredMeansNoTokenAndAHint() async throws {
        let fixture = try Fixture(stored: nil)
        #expect(fixture.refresher.status.state == .notRegistered)
        guard case .unavailable(let reason) = await fixture.refresher.currentAccessToken() else {
            Issue.record("no token expected")
            return
        }
        #expect(reason.contains("spoolbridge device register"))
    }
}
