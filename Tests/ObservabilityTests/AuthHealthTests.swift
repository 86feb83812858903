import Foundation
import Observability
import SpoolbridgeCore
import Testing

/// Authentication in `/healthz`, `status --json` and `STATUS=`, without I/O.
struct AuthHealthTests {
    let t0 = Timestamp(millisecondsSince1970: 1_800_000_000_000)

    func evaluate(_ auth: AuthHealth = .apiKey, refusal: HealthInputs.AuthRefusal? = nil) -> HealthDocument {
        HealthEvaluator.evaluate(HealthInputs(
            now: t0, daemonRunning: true, counts: [:], oldestWaitingSince: nil, freeBytes: 10 << 30, minFreeBytes: 0,
            lastDelivery: nil, outbox: .ok, cloud: .reachable(since: t0), unhealthyAfterSeconds: 300,
            auth: auth, authRefusal: refusal))
    }

    @Test func theAPIKeyIsAlwaysOK() {
        let document = evaluate()
        #expect(document.auth == "ok")
        #expect(document.authDetail.mode == "api-key")
        #expect(document.httpStatus == 200)
        #expect(AuthHealth.apiKey.statusLine == nil, "STATUS= says nothing of auth when all is well")
    }

    @Test func aDeviceTokenThatIsFreshOrBeingRefreshedIsOK() {
        let fresh = AuthHealth(mode: .deviceToken, state: .ok, accessTokenExpiresAt: t0.adding(seconds: 3000),
                               lastRefreshAt: t0.adding(seconds: -600))
        let document = evaluate(fresh)
        #expect(document.auth == "ok")
        #expect(document.authDetail.mode == "device-token")
        #expect(document.authDetail.accessTokenExpires == t0.adding(seconds: 3000))
        #expect(document.authDetail.lastRefresh == t0.adding(seconds: -600))
        let refreshing = evaluate(AuthHealth(mode: .deviceToken, state: .refreshing))
        #expect(refreshing.auth == "refreshing")
        #expect(refreshing.httpStatus == 200)
        #expect(AuthHealth(mode: .deviceToken, state: .refreshing).statusLine == nil)
    }

    @Test func failingRefreshesAreShownWithTheNextTryButStayHealthy() throws {
        let retrying = AuthHealth(mode: .deviceToken, state: .retrying(
            nextRetryAt: t0.adding(seconds: 40), attempts: 3, lastError: "the token service at print.example.com did not answer"))
        let document = evaluate(retrying)
        #expect(document.auth == "retrying")
        #expect(document.httpStatus == 200, "the access token may still be valid; jobs wait safely")
        #expect(document.authDetail.nextRetry == t0.adding(seconds: 40))
        #expect(document.authDetail.attempts == 3)
        #expect(document.authDetail.lastError?.contains("did not answer") == true)
        let line = try #require(retrying.statusLine)
        // t0 is 2027-01-15T08:00:00Z; the next try 40 s later.
        #expect(line.contains("device-token") && line.contains("3 time(s)") && line.contains("next try at 08:00:40 UTC"), "\(line)")
    }

    @Test func aDeviceThatMustRegisterAgainIs503AndSaysWhatToRun() throws {
        let reason = "the token service refused the refresh token (invalid_grant); run `spoolbridge device register`"
        let health = AuthHealth(mode: .deviceToken, state: .needsRegistration(reason: reason))
        let document = evaluate(health)
        #expect(document.auth == "needs re-registration")
        #expect(document.httpStatus == 503)
        #expect(document.problems.count == 1)
        #expect(document.problems.first?.contains("spoolbridge device register") == true)
        #expect(document.authDetail.lastError == reason)
        let line = try #require(health.statusLine)
        #expect(line.contains("needs re-registration") && line.contains("spoolbridge device register"))
    }

    @Test func aRefusalThatDeliveryHoldsForIsShownAndBecomes503AfterTheThreshold() {
        let health = AuthHealth(mode: .deviceToken, state: .ok)
        let short = evaluate(health, refusal: .init(since: t0.adding(seconds: -299), lastError: "HTTP 401: refused"))
        #expect(short.auth == "refused")
        #expect(short.httpStatus == 200)
        #expect(short.authDetail.refusedSince == t0.adding(seconds: -299))
        #expect(short.authDetail.lastError == "HTTP 401: refused")
        #expect(short.cloud.state == "reachable", "an auth hold is not an outage")

        let long = evaluate(health, refusal: .init(since: t0.adding(seconds: -301), lastError: "HTTP 401: refused"))
        #expect(long.httpStatus == 503)
        #expect(long.problems.first?.contains("spoolbridge device status") == true)
    }

    @Test func theCLIKnowsOnlyTheMode() {
        #expect(AuthHealth.unknown(mode: .apiKey) == .apiKey)
        let document = evaluate(.unknown(mode: .deviceToken))
        #expect(document.auth == "unknown")
        #expect(document.authDetail.mode == "device-token")
        #expect(document.httpStatus == 200)
        #expect(AuthHealth.unknown(mode: .userToken).statusLine == nil)
    }

    @Test func theDetailEncodesTimesAsISO8601AndNeverAToken() throws {
        let health = AuthHealth(mode: .userToken, state: .retrying(nextRetryAt: t0, attempts: 1, lastError: "HTTP 503"),
                                accessTokenExpiresAt: t0)
        let json = evaluate(health).json()
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let detail = try #require(object["auth_detail"] as? [String: Any])
        #expect(detail["mode"] as? String == "user-token")
        #expect((detail["next_retry"] as? String)?.hasSuffix("Z") == true)
        #expect(detail["attempts"] as? Int == 1)
        #expect(detail["refused_since"] is NSNull)
    }
}

struct AuthHealthFactsTests {
    let t0 = Timestamp(millisecondsSince1970: 1_800_000_000_000)

    @Test func aRefusalKeepsItsStartMarksTheCloudReachableAndEndsWhenAccepted() {
        var facts = HealthFacts(startedAt: t0)
        facts.cloudUnavailable(at: t0.adding(seconds: 5), error: "refused")
        facts.authenticationRefused(at: t0.adding(seconds: 10), error: "HTTP 401: first")
        facts.authenticationRefused(at: t0.adding(seconds: 20), error: "HTTP 401: second")
        #expect(facts.authRefusal == .init(since: t0.adding(seconds: 10), lastError: "HTTP 401: second"))
        #expect(facts.cloud == .reachable(since: t0.adding(seconds: 10)), "the cloud answered, with a refusal")
        facts.authenticationAccepted()
        #expect(facts.authRefusal == nil)
    }

    @Test func anOutageDuringARefusalForgetsTheRefusal() {
        var facts = HealthFacts(startedAt: t0)
        facts.authenticationRefused(at: t0, error: "HTTP 401")
        facts.cloudUnavailable(at: t0.adding(seconds: 1), error: "connection refused")
        #expect(facts.authRefusal == nil)
        #expect(facts.cloud == .unreachable(since: t0.adding(seconds: 1), lastError: "connection refused"))
    }

    @Test func theRefreshersStateIsKept() {
        var facts = HealthFacts(startedAt: t0)
        #expect(facts.auth == .apiKey)
        let state = AuthHealth(mode: .deviceToken, state: .needsRegistration(reason: "run spoolbridge device register"))
        facts.setAuth(state)
        #expect(facts.auth == state)
    }
}
