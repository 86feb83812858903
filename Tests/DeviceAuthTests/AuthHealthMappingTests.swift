import SpoolbridgeCore
import Testing

@testable import DeviceAuth

/// What health (`/healthz`, `status --json`, `STATUS=`) says for each refresher state, and that the
/// configured mode names the command to run while nothing is stored.
struct AuthHealthMappingTests {
    @Test func nothingStoredNeedsRegistrationAndNamesTheConfiguredModesCommand() {
        let device = RefreshStatus(stored: nil, expectedMode: .deviceToken).authHealth(mode: .deviceToken)
        #expect(device.summary == "needs re-registration" && device.needsAdmin)
        #expect(device.lastError?.contains("spoolbridge device register") == true)
        let user = RefreshStatus(stored: nil, expectedMode: .userToken).authHealth(mode: .userToken)
        #expect(user.lastError?.contains("spoolbridge login") == true)
        #expect(user.statusLine?.contains("auth (user-token): needs re-registration") == true)
    }

    @Test func aFreshPairIsOkWithItsTimesAndARetryCarriesItsAttempts() {
        let fresh = RefreshStatus(stored: state("a")).authHealth(mode: .deviceToken)
        #expect(fresh.state == .ok && fresh.accessTokenExpiresAt == t0.adding(seconds: 3600))
        #expect(fresh.statusLine == nil)
        let next = t0.adding(seconds: 60)
        let retrying = RefreshStatus(state: .retrying, lastError: "503 from the token service", nextAttemptAt: next, attempts: 2)
            .authHealth(mode: .deviceToken)
        #expect(retrying.state == .retrying(nextRetryAt: next, attempts: 2, lastError: "503 from the token service"))
    }

    @Test func aDeadGrantSaysWhyAndWhatToRun() {
        var dead = state("a")
        dead.needsRegistration = "invalid_grant"
        let health = RefreshStatus(stored: dead).authHealth(mode: .deviceToken)
        #expect(health.needsAdmin)
        #expect(health.lastError?.hasPrefix("invalid_grant; run `spoolbridge device register`") == true)
    }

    @Test func theMachineNamesLoginForUserTokenModeBeforeAnythingIsStored() {
        var machine = RefreshStateMachine(settings: .init(expectedMode: .userToken))
        _ = machine.handle(.loaded(nil, now: t0))
        guard case .unavailable(let reason) = machine.tokenAnswer(now: t0) else {
            Issue.record("a token without a registration")
            return
        }
        #expect(reason.contains("spoolbridge login"))
    }

    @Test func theConfigsModesMapOntoTheStoredOnes() {
        #expect(DeviceAuth.Mode(AuthMode.apiKey) == nil)
        #expect(DeviceAuth.Mode(AuthMode.deviceToken) == .deviceToken)
        #expect(DeviceAuth.Mode(AuthMode.userToken)?.authMode == .userToken)
    }
}
