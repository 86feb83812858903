import Foundation
import Observability
import SpoolbridgeCore
import Testing

/// The 200/503 rules of `/healthz`, without I/O.
struct HealthEvaluatorTests {
    let t0 = Timestamp(millisecondsSince1970: 1_800_000_000_000)

    func inputs(
        running: Bool = true, free: Int64? = 10 << 30, minFree: Int64 = 256 << 20, outbox: HealthInputs.OutboxAccess = .ok,
        cloud: HealthInputs.Cloud? = nil, counts: [JobState: Int] = [:], oldest: Timestamp? = nil
    ) -> HealthInputs {
        HealthInputs(now: t0, daemonRunning: running, counts: counts, oldestWaitingSince: oldest, freeBytes: free,
                     minFreeBytes: minFree, lastDelivery: nil, outbox: outbox, cloud: cloud ?? .reachable(since: t0),
                     unhealthyAfterSeconds: 300)
    }

    @Test func aRunningDaemonWithSpaceAndACloudIsOK() {
        let document = HealthEvaluator.evaluate(inputs(counts: [.queued: 2, .uploading: 1, .delivered: 7], oldest: t0.adding(seconds: -90)))
        #expect(document.status == .ok)
        #expect(document.httpStatus == 200)
        #expect(document.problems.isEmpty)
        #expect(document.queued == 3)
        #expect(document.oldestQueuedSeconds == 90)
        #expect(document.jobs["delivered"] == 7)
        #expect(document.jobs["failed"] == 0, "every state is present")
        #expect(document.cloud.state == "reachable")
    }

    @Test func aShortOutageIsReportedButHealthy() {
        let document = HealthEvaluator.evaluate(inputs(cloud: .unreachable(since: t0.adding(seconds: -299), lastError: "HTTP 503: down")))
        #expect(document.httpStatus == 200)
        #expect(document.cloud.state == "unreachable")
        #expect(document.cloud.lastError == "HTTP 503: down")
    }

    @Test func anOutageLongerThanTheThresholdIs503() {
        let document = HealthEvaluator.evaluate(inputs(cloud: .unreachable(since: t0.adding(seconds: -301), lastError: "connection refused")))
        #expect(document.httpStatus == 503)
        #expect(document.problems.count == 1)
        #expect(document.problems.first?.contains("unhealthy_after_seconds") == true)
    }

    @Test func aSpoolBelowMinFreeIs503AndZeroMeansNoFloor() {
        #expect(HealthEvaluator.evaluate(inputs(free: 100 << 20)).httpStatus == 503)
        #expect(HealthEvaluator.evaluate(inputs(free: 100 << 20)).problems.first?.contains("min_free_mb") == true)
        #expect(HealthEvaluator.evaluate(inputs(free: 0, minFree: 0)).httpStatus == 200)
    }

    @Test func anOutboxThatCannotRecordIs503() {
        let document = HealthEvaluator.evaluate(inputs(outbox: .unwritable(reason: "disk I/O error")))
        #expect(document.httpStatus == 503)
        #expect(document.outbox == "unwritable")
        #expect(HealthEvaluator.evaluate(inputs(outbox: .unreadable(reason: "locked"))).outbox == "unreadable")
    }

    @Test func aStoppedDaemonIsUnhealthyAndTheCloudUnknown() {
        let document = HealthEvaluator.evaluate(inputs(running: false, cloud: .unknown))
        #expect(document.httpStatus == 503)
        #expect(document.daemon == "not running")
        #expect(document.cloud.state == "unknown")
    }

    @Test func theJSONHasEveryKeyUnknownOnesAsNull() throws {
        let json = HealthEvaluator.evaluate(inputs(free: nil)).json()
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        #expect(Set(object.keys) == [
            "status", "problems", "daemon", "queued", "oldest_queued_seconds", "jobs", "cloud", "last_delivery",
            "spool_free_bytes", "spool_min_free_bytes", "outbox", "auth", "auth_detail",
        ])
        #expect(object["last_delivery"] is NSNull)
        #expect(object["spool_free_bytes"] is NSNull)
        let cloud = try #require(object["cloud"] as? [String: Any])
        #expect(cloud["state"] as? String == "reachable")
        #expect((cloud["since"] as? String)?.hasSuffix("Z") == true)
        #expect(cloud["last_error"] is NSNull)
        #expect(object["auth"] as? String == "ok")
        let auth = try #require(object["auth_detail"] as? [String: Any])
        #expect(Set(auth.keys) == ["mode", "refused_since", "next_retry", "attempts", "last_error", "access_token_expires", "last_refresh"])
        #expect(auth["mode"] as? String == "api-key")
        #expect(auth["next_retry"] is NSNull)
    }
}

struct HealthFactsTests {
    let t0 = Timestamp(millisecondsSince1970: 1_800_000_000_000)

    @Test func anOutageKeepsItsStartAndTheLatestError() {
        var facts = HealthFacts(startedAt: t0)
        facts.cloudUnavailable(at: t0.adding(seconds: 10), error: "refused")
        facts.cloudUnavailable(at: t0.adding(seconds: 20), error: "HTTP 503: down")
        #expect(facts.cloud == .unreachable(since: t0.adding(seconds: 10), lastError: "HTTP 503: down"))
        facts.cloudAvailable(at: t0.adding(seconds: 30))
        #expect(facts.cloud == .reachable(since: t0.adding(seconds: 30)))
        facts.cloudAvailable(at: t0.adding(seconds: 40))
        #expect(facts.cloud == .reachable(since: t0.adding(seconds: 30)), "still the same stretch")
    }

    @Test func commitsAndDeliveries() {
        var facts = HealthFacts(startedAt: t0)
        facts.commitFailing("disk full")
        #expect(facts.commitFailure == "disk full")
        facts.commitRecovered()
        #expect(facts.commitFailure == nil)
        facts.delivered(at: t0.adding(seconds: 5))
        facts.delivered(at: t0.adding(seconds: 2))
        #expect(facts.lastDelivery == t0.adding(seconds: 5))
    }
}

struct OpsRouteTests {
    @Test(arguments: [
        ("GET", "/healthz", OpsRoute.health), ("HEAD", "/healthz", .health), ("GET", "/metrics?x=1", .metrics),
        ("POST", "/metrics", .methodNotAllowed), ("GET", "/", .notFound), ("GET", "/healthz/x", .notFound),
    ])
    func routes(method: String, uri: String, expected: OpsRoute) {
        #expect(OpsRoute.route(method: method, uri: uri) == expected)
    }

    @Test func portLabelsAreBounded() {
        let ports = PortLabel(limit: 2)
        #expect(ports.label(for: "A") == "A")
        #expect(ports.label(for: "B") == "B")
        #expect(ports.label(for: "C") == PortLabel.overflow)
        #expect(ports.label(for: "A") == "A")
    }
}
