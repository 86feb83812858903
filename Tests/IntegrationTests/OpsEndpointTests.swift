import EmulatorKit
import Foundation
import Testing

/// `/healthz` and `/metrics` over real HTTP against the running daemon, and `status --json`.
@Suite(.serialized)
struct OpsEndpointTests {
    @Test func healthAndMetricsFollowJobsAndTheCloud() async throws {
        let emulator = try await CloudEmulator.start()
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let hot = try directory.subdirectory("in")
        let daemon = try DaemonProcess(in: directory, cloudURL: emulator.baseURL, extraConfig: """
            [http]
            listen = "127.0.0.1:0"
            unhealthy_after_seconds = 0.5

            [[hotfolder]]
            path = "\(hot)"
            port = "Finance"
            user = "alice"
            """)
        try daemon.start()
        try await daemon.waitUntilRunning()
        let port = try await daemon.httpPort()

        let idle = try await httpGet(port: port, path: "/healthz")
        #expect(idle.status == 200, "\(idle.body)")
        let idleHealth = try healthObject(idle.body)
        #expect(idleHealth["status"] as? String == "ok")
        #expect(idleHealth["queued"] as? Int == 0)
        #expect((idleHealth["cloud"] as? [String: Any])?["state"] as? String == "reachable")
        #expect(idleHealth["last_delivery"] is NSNull)

        try drop(randomBytes(50_000), named: "a.pdf", into: hot)
        _ = try await emulator.waitForDocuments(count: 1, timeout: .seconds(10))
        var metrics = ""
        try await waitUntil("the delivery in /metrics") {
            metrics = (try? blockingMetrics(port)) ?? ""
            // The gauge is read from the outbox at scrape time; the counters follow the commit a
            // moment later, so wait for both rather than catch the scrape in between.
            return metrics.contains("spoolbridge_jobs{state=\"delivered\"} 1")
                && metrics.contains("spoolbridge_jobs_delivered_total{source=\"hotfolder\",port=\"Finance\"} 1")
                && metrics.contains("spoolbridge_last_delivery_timestamp_seconds ")
        }
        #expect(metrics.contains("spoolbridge_jobs_ingested_total{source=\"hotfolder\",port=\"Finance\"} 1"), "\(metrics)")
        #expect(metrics.contains("spoolbridge_jobs_delivered_total{source=\"hotfolder\",port=\"Finance\"} 1"))
        #expect(metrics.contains("spoolbridge_uploaded_bytes_total 50000"))
        #expect(metrics.contains("spoolbridge_upload_size_bytes_count 1"))
        #expect(metrics.contains("spoolbridge_upload_duration_seconds_count{outcome=\"delivered\"} 1"))
        #expect(metrics.contains("spoolbridge_last_delivery_timestamp_seconds "))
        #expect(metrics.contains("spoolbridge_cloud_up 1"))
        #expect(metrics.contains("spoolbridge_outbox_rows 1"))
        #expect(metrics.contains("spoolbridge_spool_free_bytes "))
        #expect(!metrics.contains("alice") && !metrics.contains("a.pdf"), "no user names or titles as labels")
        let delivered = try healthObject(try await httpGet(port: port, path: "/healthz").body)
        #expect(delivered["last_delivery"] is String)
        #expect((delivered["jobs"] as? [String: Int])?["delivered"] == 1)

        // The cloud goes down: reported at once, 503 once it has been down longer than the threshold.
        emulator.inject(.status(503, message: "maintenance"), count: 1_000_000)
        try drop(randomBytes(1000), named: "b.pdf", into: hot)
        var down = (status: 0, body: "")
        try await waitUntil("503 from /healthz while the cloud is down") {
            down = (try? blockingHealth(port)) ?? (0, "")
            return down.status == 503
        }
        let downHealth = try healthObject(down.body)
        #expect((downHealth["cloud"] as? [String: Any])?["state"] as? String == "unreachable")
        #expect((downHealth["problems"] as? [String])?.first?.contains("unreachable") == true, "\(down.body)")
        #expect(downHealth["queued"] as? Int == 1)
        #expect(((try? blockingMetrics(port)) ?? "").contains("spoolbridge_cloud_outages_total 1"))

        emulator.clearFaults()
        try await waitUntil("200 again once the cloud answers") { ((try? blockingHealth(port))?.status ?? 0) == 200 }
        _ = try await emulator.waitForDocuments(count: 2, timeout: .seconds(10))

        // The CLI prints the same document (the cloud is "unknown" to it) and exits 0 when healthy.
        let status = try daemon.cli(["status", "--json"])
        #expect(status.status == 0, "\(status.output)")
        let cli = try healthObject(status.output)
        #expect(cli["daemon"] as? String == "running")
        #expect((cli["cloud"] as? [String: Any])?["state"] as? String == "unknown")
        #expect(Set(cli.keys) == Set(delivered.keys))

        #expect(try await httpGet(port: port, path: "/nothing").status == 404)
        daemon.stop()
        let stopped = try daemon.cli(["status", "--json"])
        #expect(stopped.status == 1)
        #expect(try healthObject(stopped.output)["daemon"] as? String == "not running")
        try await emulator.shutdown()
    }

    @Test func aSpoolBelowMinFreeIs503() async throws {
        let emulator = try await CloudEmulator.start()
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let daemon = try DaemonProcess(in: directory, cloudURL: emulator.baseURL, extraConfig: """
            [http]
            listen = "127.0.0.1:0"
            """)
        try daemon.setSpool(minFreeMB: 1_000_000)  // a terabyte: more than this machine has free
        try daemon.start()
        try await daemon.waitUntilRunning()
        let answer = try await httpGet(port: try await daemon.httpPort(), path: "/healthz")
        #expect(answer.status == 503)
        #expect((try healthObject(answer.body)["problems"] as? [String])?.first?.contains("min_free_mb") == true, "\(answer.body)")
        daemon.stop()
        try await emulator.shutdown()
    }
}

/// Blocking variants for `waitUntil`'s synchronous condition (loopback requests of a few milliseconds).
private func blockingHealth(_ port: Int) throws -> (status: Int, body: String) {
    try blockingGet(port: port, path: "/healthz", timeout: .seconds(5))
}

private func blockingMetrics(_ port: Int) throws -> String {
    try blockingGet(port: port, path: "/metrics", timeout: .seconds(5)).body
}
