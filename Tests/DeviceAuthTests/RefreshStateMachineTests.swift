import CloudAPI
import SpoolbridgeCore
import Testing

@testable import DeviceAuth

/// Every transition of the refresh state machine, without I/O.
struct RefreshStateMachineTests {
    typealias Machine = RefreshStateMachine

    /// A machine loaded with a fresh pair received at t0 (lifetime 3600 s: refresh due at t0+2880).
    private func loaded(mode: DeviceAuth.Mode = .deviceToken) -> Machine {
        var machine = Machine()
        _ = machine.handle(.loaded(state(mode: mode), now: t0))
        return machine
    }

    /// `loaded()`, with the scheduled refresh started and its marker recorded.
    private func refreshing() -> Machine {
        var machine = loaded()
        _ = machine.handle(.timerFired(now: t0.adding(seconds: 2880)))
        _ = machine.handle(.spendingRecorded(now: t0.adding(seconds: 2880)))
        return machine
    }

    private let due = t0.adding(seconds: 2880)

    // MARK: Loading

    @Test func nothingStoredIsNotRegisteredAndSaysWhatToRun() {
        var machine = Machine()
        let actions = machine.handle(.loaded(nil, now: t0))
        #expect(machine.phase == .notRegistered)
        #expect(actions.announcements == [.notRegistered])
        #expect(!actions.sendsRefresh && !actions.contains(.recordSpending))
        guard case .unavailable(let reason) = machine.tokenAnswer(now: t0) else {
            Issue.record("a machine without tokens must not hand one out")
            return
        }
        #expect(reason.contains("spoolbridge device register"))
    }

    @Test func aFreshPairIsUsedAndItsRefreshArmedAtEightyPercentOfTheLifetime() {
        var machine = Machine()
        let actions = machine.handle(.loaded(state(), now: t0.adding(seconds: 10)))
        #expect(machine.phase == .scheduled(due))
        #expect(actions.armed == [due])
        #expect(actions.contains(.answerWaiters))
        #expect(machine.tokenAnswer(now: t0.adding(seconds: 10)) == .ready(Secret("access-a"), generation: 1))
        #expect(machine.status.state == .fresh && machine.status.nextAttemptAt == due)
    }

    @Test func aPairPastItsRefreshPointIsRefreshedAtOnce() {
        var machine = Machine()
        let actions = machine.handle(.loaded(state(), now: t0.adding(seconds: 3000)))
        #expect(actions.contains(.recordSpending))
        #expect(machine.status.state == .refreshing)
        // Still valid for 600 s: handed out while the refresh runs.
        #expect(machine.tokenAnswer(now: t0.adding(seconds: 3000)) == .ready(Secret("access-a"), generation: 1))
    }

    @Test func anExpiredPairMakesCallersWaitForTheRefresh() {
        var machine = Machine()
        _ = machine.handle(.loaded(state(), now: t0.adding(seconds: 4000)))
        #expect(machine.tokenAnswer(now: t0.adding(seconds: 4000)) == .wait)
    }

    @Test func aSpentMarkerFoundAtStartNeverResendsTheTokenAndAsksForRegistration() {
        var stored = state()
        stored.spendingRefreshTokenSince = t0.adding(seconds: 2880)
        var machine = Machine()
        let actions = machine.handle(.loaded(stored, now: t0.adding(seconds: 2900)))
        #expect(!actions.contains(.recordSpending) && !actions.sendsRefresh && actions.armed.isEmpty)
        #expect(actions.contains(.recordStatus))
        guard case .needsRegistration(let reason) = machine.phase else {
            Issue.record("expected needs-registration, got \(machine.phase)")
            return
        }
        #expect(reason.contains("interrupted"))
        // Later events never revive the spent token.
        #expect(machine.handle(.timerFired(now: t0.adding(seconds: 9999))).isEmpty)
        #expect(!machine.handle(.tokenRejected(generation: 1, now: t0.adding(seconds: 2901))).contains(.recordSpending))
    }

    @Test func aStoredNeedsRegistrationStaysStopped() {
        var stored = state()
        stored.needsRegistration = "invalid_grant"
        var machine = Machine()
        let actions = machine.handle(.loaded(stored, now: t0))
        #expect(machine.phase == .needsRegistration(reason: "invalid_grant"))
        #expect(actions.armed.isEmpty && !actions.contains(.recordSpending))
    }

    // MARK: Scheduled refresh

    @Test func anEarlyTimerOnlyReArms() {
        var machine = loaded()
        let actions = machine.handle(.timerFired(now: t0.adding(seconds: 2000)))
        #expect(actions == [.armTimer(at: due)])
        #expect(machine.phase == .scheduled(due))
    }

    @Test func theDueTimerRecordsTheSpendingBeforeAnythingIsSent() {
        var machine = loaded()
        let first = machine.handle(.timerFired(now: due))
        #expect(first.contains(.recordSpending))
        #expect(!first.sendsRefresh, "the marker must be durable before the token leaves")
        let second = machine.handle(.spendingRecorded(now: due))
        #expect(second == [.sendRefresh(clientID: "device-1", refreshToken: Secret("refresh-a"))])
    }

    @Test func userTokensRefreshWithClientIDApi() {
        var machine = loaded(mode: .userToken)
        _ = machine.handle(.timerFired(now: due))
        #expect(machine.handle(.spendingRecorded(now: due)) == [.sendRefresh(clientID: "api", refreshToken: Secret("refresh-a"))])
    }

    @Test func onlyOneRefreshIsInFlight() {
        var machine = refreshing()
        #expect(machine.handle(.timerFired(now: due.adding(seconds: 1))).isEmpty)
        #expect(machine.handle(.tokenRejected(generation: 1, now: due)).isEmpty)
        #expect(machine.handle(.spendingRecorded(now: due)).isEmpty, "one marker, one send")
    }

    @Test func theNewPairIsStoredBeforeItIsUsedAndTheNextRefreshArmed() {
        var machine = refreshing()
        let now = due.adding(seconds: 1)
        let actions = machine.handle(.refreshSucceeded(tokens("b", lifetime: 1000), now: now))
        let store = actions.firstIndex { if case .storeTokens = $0 { true } else { false } }
        let answer = actions.firstIndex(of: .answerWaiters)
        #expect(store != nil && answer != nil && store! < answer!)
        #expect(actions.armed == [now.adding(seconds: 800)])
        #expect(machine.tokenAnswer(now: now) == .ready(Secret("access-b"), generation: 2))
        #expect(machine.status.lastRefreshAt == now && machine.attempts == 0 && machine.lastError == nil)
    }

    // MARK: Failures

    @Test func aRefusalThatRotatedNothingClearsTheMarkerAndRetriesWithJitteredBackoff() {
        var machine = refreshing()
        let refusal = OAuthRefusal(error: "http_429", httpStatus: 429)
        let actions = machine.handle(.refreshFailed(.refused(refusal), now: due, jitter: 0.5))
        #expect(actions.first == .clearSpending)
        #expect(actions.armed == [due.adding(seconds: 2.5)])  // attempt 1: uniform in [0, 5] s, drawn 0.5
        #expect(actions.contains(.recordStatus))
        #expect(machine.status.state == .retrying && machine.attempts == 1)
        #expect(machine.status.lastError?.contains("429") == true)
        // The old access token is still valid and still handed out.
        #expect(machine.tokenAnswer(now: due) == .ready(Secret("access-a"), generation: 1))

        _ = machine.handle(.timerFired(now: due.adding(seconds: 2.5)))
        _ = machine.handle(.spendingRecorded(now: due.adding(seconds: 2.5)))
        let again = machine.handle(.refreshFailed(.refused(refusal), now: due.adding(seconds: 3), jitter: 1))
        #expect(again.armed == [due.adding(seconds: 13)])  // attempt 2: cap 10 s
        #expect(machine.attempts == 2)
    }

    @Test func backoffGrowsExponentiallyIsCappedAndHonoursFloors() {
        let machine = Machine(settings: .init(retryBaseSeconds: 5, retryMaxSeconds: 300, retryMinimumSeconds: 1))
        #expect(machine.backoffSeconds(attempt: 1, jitter: 1, floor: nil) == 5)
        #expect(machine.backoffSeconds(attempt: 3, jitter: 1, floor: nil) == 20)
        #expect(machine.backoffSeconds(attempt: 20, jitter: 1, floor: nil) == 300)
        #expect(machine.backoffSeconds(attempt: 200, jitter: 0.5, floor: nil) == 150)
        #expect(machine.backoffSeconds(attempt: 4, jitter: 0, floor: nil) == 1, "full jitter, but never a busy loop")
        #expect(machine.backoffSeconds(attempt: 1, jitter: 0.1, floor: 120) == 120, "Retry-After is honoured")
    }

    @Test func a5xxMayHideARotationSoTheMarkerStays() {
        var machine = refreshing()
        let actions = machine.handle(.refreshFailed(.refused(OAuthRefusal(error: "http_504", httpStatus: 504)), now: due, jitter: 0))
        #expect(!actions.contains(.clearSpending))
        #expect(machine.status.state == .retrying)
    }

    @Test func anUnreadable2xxSpentTheTokenSoItIsNeverSentAgain() {
        var machine = refreshing()
        let refusal = OAuthRefusal(error: "invalid_response", errorDescription: "no tokens", httpStatus: 200)
        let actions = machine.handle(.refreshFailed(.refused(refusal), now: due, jitter: 0))
        #expect(!actions.contains(.clearSpending))
        #expect(actions.armed.isEmpty && !actions.sendsRefresh)
        #expect(machine.status.state == .needsRegistration)
        #expect(machine.handle(.timerFired(now: due.adding(seconds: 600))).isEmpty)
    }

    @Test func aTokenShorterLivedThanTheMarginIsStillHandedOutUntilNearItsEnd() {
        var machine = Machine()
        _ = machine.handle(.loaded(state(lifetime: 2), now: t0))
        // Refresh due at 1.6 s; the margin shrinks to 0.2 s, so the token serves until 1.8 s.
        #expect(machine.phase == .scheduled(t0.adding(seconds: 1.6)))
        #expect(machine.tokenAnswer(now: t0.adding(seconds: 1.5)) == .ready(Secret("access-a"), generation: 1))
        #expect(machine.tokenAnswer(now: t0.adding(seconds: 1.9)) != .ready(Secret("access-a"), generation: 1))
        // An hour-long token keeps the full 5 s margin.
        #expect(loaded().tokenAnswer(now: t0.adding(seconds: 3596)) != .ready(Secret("access-a"), generation: 1))
        #expect(loaded().tokenAnswer(now: t0.adding(seconds: 3594)) == .ready(Secret("access-a"), generation: 1))
    }

    @Test func noConnectionClearsTheMarkerAndRetriesWithBackoff() {
        var refused = refreshing()
        let unreachable = refused.handle(.refreshFailed(.noAnswer(reason: "connection refused", requestMayHaveArrived: false), now: due, jitter: 1))
        #expect(unreachable.contains(.clearSpending))
        #expect(unreachable.armed == [due.adding(seconds: 5)])
        #expect(refused.status.state == .retrying)
        // The retry records the spending again and then sends the (never sent) token.
        #expect(refused.handle(.timerFired(now: due.adding(seconds: 5))).contains(.recordSpending))
        #expect(refused.handle(.spendingRecorded(now: due.adding(seconds: 5))).sendsRefresh)
    }

    @Test func aLostAnswerNeverResendsTheTokenAndAsksForRegistration() {
        var lost = refreshing()
        let timedOut = lost.handle(.refreshFailed(.noAnswer(reason: "timeout", requestMayHaveArrived: true), now: due, jitter: 0))
        #expect(!timedOut.contains(.clearSpending), "the token may be spent: the marker stays")
        #expect(timedOut.armed.isEmpty && !timedOut.sendsRefresh)
        #expect(timedOut.contains(.cancelTimer) && timedOut.contains(.recordStatus) && timedOut.contains(.answerWaiters))
        #expect(lost.status.state == .needsRegistration)
        #expect(lost.status.lastError?.contains("answer to a token refresh was lost") == true)
        #expect(lost.status.lastError?.contains("revoke the whole token family") == true)
        #expect(lost.status.remedy?.contains("spoolbridge device register") == true)
        // Nothing sends it later: not the timer, not a 401.
        #expect(lost.handle(.timerFired(now: due.adding(seconds: 3600))).isEmpty)
        #expect(!lost.handle(.tokenRejected(generation: 1, now: due)).sendsRefresh)
        #expect(!lost.handle(.spendingRecorded(now: due)).sendsRefresh)
    }

    @Test func a5xxIsRetriedWithTheSameTokenAfterBackoff() {
        var machine = refreshing()
        let refusal = OAuthRefusal(error: "http_503", httpStatus: 503)
        let actions = machine.handle(.refreshFailed(.refused(refusal), now: due, jitter: 1))
        #expect(!actions.contains(.clearSpending) && actions.armed == [due.adding(seconds: 5)])
        _ = machine.handle(.timerFired(now: due.adding(seconds: 5)))
        #expect(machine.handle(.spendingRecorded(now: due.adding(seconds: 5))).sendsRefresh)
    }

    @Test func invalidGrantStopsRefreshingForGood() {
        var machine = refreshing()
        let refusal = OAuthRefusal(error: "invalid_grant", errorDescription: "revoked", httpStatus: 400)
        let actions = machine.handle(.refreshFailed(.refused(refusal), now: due, jitter: 0.5))
        #expect(actions.contains(.cancelTimer) && actions.armed.isEmpty)
        #expect(actions.contains(.recordStatus) && actions.contains(.answerWaiters))
        #expect(machine.status.state == .needsRegistration)
        #expect(machine.status.remedy?.contains("spoolbridge device register") == true)
        #expect(machine.handle(.timerFired(now: due.adding(seconds: 86_400))).isEmpty)
        #expect(machine.handle(.tokenRejected(generation: 1, now: due)) == [.answerWaiters])
        #expect(machine.tokenAnswer(now: t0.adding(seconds: 4000)) != .wait)
    }

    @Test func aMarkerThatCannotBeWrittenSendsNothingAndRetries() {
        var machine = loaded()
        _ = machine.handle(.timerFired(now: due))
        let actions = machine.handle(.spendingNotRecorded(reason: "disk full", now: due, jitter: 1))
        #expect(!actions.sendsRefresh)
        #expect(actions.armed == [due.adding(seconds: 5)])
        #expect(machine.status.lastError?.contains("disk full") == true)
    }

    @Test func aPairThatCannotBeStoredIsStillUsedAndTheProblemReported() {
        var machine = refreshing()
        _ = machine.handle(.refreshSucceeded(tokens("b"), now: due))
        let actions = machine.handle(.tokensNotStored(reason: "disk full", now: due))
        #expect(actions == [.recordStatus])
        #expect(machine.tokenAnswer(now: due) == .ready(Secret("access-b"), generation: 2))
        #expect(machine.status.lastError?.contains("crash") == true)
    }

    @Test func answersOutsideARefreshAreIgnored() {
        var machine = loaded()
        #expect(machine.handle(.refreshSucceeded(tokens("x"), now: t0)).isEmpty)
        #expect(machine.handle(.refreshFailed(.refused(OAuthRefusal(error: "invalid_grant", httpStatus: 400)), now: t0, jitter: 0)).isEmpty)
        #expect(machine.handle(.spendingRecorded(now: t0)).isEmpty)
        #expect(machine.phase == .scheduled(due))
    }

    // MARK: 401

    @Test func a401ForTheCurrentTokenRefreshesNowOnceForManyReports() {
        var machine = loaded()
        let now = t0.adding(seconds: 100)
        let first = machine.handle(.tokenRejected(generation: 1, now: now))
        #expect(first.contains(.cancelTimer) && first.contains(.recordSpending))
        #expect(machine.tokenAnswer(now: now) == .wait, "the refused token is not handed out again")
        #expect(machine.handle(.tokenRejected(generation: 1, now: now)).isEmpty)
        #expect(machine.handle(.tokenRejected(generation: 1, now: now)).isEmpty)
        _ = machine.handle(.spendingRecorded(now: now))
        _ = machine.handle(.refreshSucceeded(tokens("b"), now: now))
        #expect(machine.tokenAnswer(now: now) == .ready(Secret("access-b"), generation: 2))
        #expect(machine.handle(.tokenRejected(generation: 1, now: now)).isEmpty, "a stale report is ignored")
    }

    @Test func a401DuringBackoffDoesNotCutTheBackoffShort() {
        var machine = refreshing()
        _ = machine.handle(.refreshFailed(.refused(OAuthRefusal(error: "http_500", httpStatus: 500)), now: due, jitter: 1))
        #expect(machine.handle(.tokenRejected(generation: 1, now: due)).isEmpty)
        guard case .unavailable(let reason) = machine.tokenAnswer(now: due) else {
            Issue.record("a refused token must not be handed out")
            return
        }
        #expect(reason.contains("refused"))
    }
}
