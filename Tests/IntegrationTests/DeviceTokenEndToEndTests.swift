import EmulatorKit
import Foundation
import Testing

/// Issue 9 end to end: `spoolbridge device register`, `device status` and a daemon delivering to a
/// tenant that requires bearer tokens, as real processes over loopback HTTP to the emulator.
@Suite(.serialized)
struct DeviceTokenEndToEndTests {
    @Test func registerWaitsForTheApprovalAndStoresTheTokensPrivately() async throws {
        let setup = try await TokenSetup(.init(pendingAuthorizations: 2))
        let before = try setup.daemon.cli(["device", "status"])
        #expect(before.status == 1)
        #expect(before.output.contains("registered: no"), "\(before.output)")

        let output = try await setup.register()
        #expect(output.contains("In the cloud's admin UI, approve the device \"spoolbridge-"), "\(output)")
        #expect(output.contains("approved: the access token is valid until"), "\(output)")
        let stats = setup.emulator.tokenStats()
        #expect(stats.registrations == 1)
        #expect(stats.pendingAnswers == 2)
        #expect(stats.issuedTokenPairs == 1)

        // The pair is in the state file, mode 0600, in a 0700 folder.
        let tokens = try #require(setup.storedTokens())
        #expect(tokens.access.hasPrefix("emu-at-") && tokens.refresh.hasPrefix("emu-rt-"))
        #expect(try permissions(of: setup.stateFile) == 0o600)
        #expect(try permissions(of: setup.directory.path + "/spool/auth") == 0o700)
        let deviceID = try #require(try setup.storedState()["device_id"] as? String)
        #expect(setup.emulator.tokenFamilies().map(\.clientID) == [deviceID])

        let status = try setup.daemon.cli(["device", "status"])
        #expect(status.status == 0)
        #expect(status.output.contains("registered: yes"), "\(status.output)")
        #expect(status.output.contains("device id: \(deviceID)"), "\(status.output)")
        #expect(status.output.contains("access token valid until: "), "\(status.output)")
        let json = try setup.deviceStatus()
        #expect(json.status == 0)
        #expect(json.json["registered"] as? Bool == true)
        #expect(json.json["state"] as? String == "fresh")
        #expect(json.json["access_token_expires_at"] is String)
        // No token in any output (also checked by `finish` for every CLI output and the log).
        for (_, text) in setup.daemon.writtenTexts() {
            #expect(!text.contains(tokens.access) && !text.contains(tokens.refresh))
        }
        try await setup.finish()
    }

    /// Every upload needs a live bearer token; with 2 s tokens the daemon refreshes ahead of expiry
    /// again and again while files keep coming, and no upload is ever refused.
    @Test func theDaemonRefreshesAheadOfExpiryWhileDelivering() async throws {
        let setup = try await TokenSetup(.init(requireBearer: true, accessTokenLifetime: .seconds(2)))
        try await setup.register()
        try setup.daemon.start()
        try await setup.daemon.waitUntilRunning()

        // A stream of files until the daemon has refreshed three times (at 80 % of 2 s: every 1.6 s).
        var names: [String] = []
        while setup.emulator.tokenStats().refreshes < 3 || names.count < 10 {
            let name = "stream-\(names.count).pdf"
            try drop(randomBytes(2000), named: name, into: setup.hot)
            names.append(name)
            #expect(names.count < 200, "no third refresh after 200 files")
            if names.count >= 200 { break }
            try await Task.sleep(for: .milliseconds(150))  // the pace of the stream, not a wait for a result
        }
        try await waitUntil("every streamed file delivered") { Set(setup.arrivals().keys) == Set(names) }
        #expect(setup.arrivals().values.allSatisfy { $0 == 1 })
        let stats = setup.emulator.tokenStats()
        #expect(stats.refreshes >= 3)
        #expect(stats.bearerRejections == 0, "an upload went out with an expired or missing token")
        #expect(stats.refreshTokenReuses == 0)
        #expect(stats.invalidGrants == 0)
        #expect(setup.daemon.log.components(separatedBy: "refreshing the access token (scheduled refresh)").count - 1 >= 3)
        try await setup.finish()
    }

    /// Access tokens expired behind the daemon's back: the uploads in flight get 401, one refresh
    /// serves them all, each upload is sent once more and every file arrives exactly once.
    @Test func anExpiredAccessTokenIsRefreshedOnceAndTheUploadRetried() async throws {
        let setup = try await TokenSetup(.init(requireBearer: true, accessTokenLifetime: .seconds(3600)))
        try await setup.register()
        try setup.daemon.start()
        try await setup.daemon.waitUntilRunning()
        try drop(randomBytes(1000), named: "first.pdf", into: setup.hot)
        try await waitUntil("first file delivered") { setup.arrivals()["first.pdf"] == 1 }
        let tokenBefore = try #require(setup.storedTokens())

        #expect(setup.emulator.expireAccessTokens() == 1)
        let names = (0..<4).map { "after-expiry-\($0).pdf" }
        for name in names { try drop(randomBytes(30_000), named: name, into: setup.hot) }
        try await waitUntil("every file delivered after the expiry") { setup.arrivals().count == 5 }

        #expect(setup.arrivals().values.allSatisfy { $0 == 1 }, "\(setup.arrivals())")
        let stats = setup.emulator.tokenStats()
        #expect(stats.refreshes == 1, "one refresh for every 401 of the same token")
        #expect(stats.bearerRejections >= 1)
        #expect(setup.emulator.requestCount(path: "/api/v1/documents") == 5 + stats.bearerRejections)
        #expect(stats.refreshTokenReuses == 0)
        #expect(setup.daemon.log.contains("the cloud refused the access token; refreshing it once"))
        let tokenAfter = try #require(setup.storedTokens())
        #expect(tokenAfter.access != tokenBefore.access && tokenAfter.refresh != tokenBefore.refresh)
        // The emulator records a document before the daemon records its delivery: wait for the outbox.
        try await waitUntil("every job delivered in the outbox") {
            try setup.jobs().filter { $0["state"] as? String == "delivered" }.count == 5
        }
        let jobs = try setup.jobs()
        #expect(jobs.count == 5)
        // The retry after the 401 is part of the same attempt: no job was put back in the queue.
        #expect(jobs.allSatisfy { $0["attempts"] as? Int == 1 }, "\(jobs.map { $0["attempts"] ?? "?" })")
        try await setup.finish()
    }

    /// The grant revoked in the cloud: `invalid_grant`. Nothing fails; the log, `device status` and
    /// `status` say to run `spoolbridge device register`; after it, the running daemon adopts the new
    /// pair by itself (no restart) and delivers everything.
    @Test func aRevokedGrantKeepsEveryJobQueuedUntilTheDeviceRegistersAgain() async throws {
        let setup = try await TokenSetup(.init(requireBearer: true, accessTokenLifetime: .seconds(3600)))
        try await setup.register()
        try setup.daemon.start()
        try await setup.daemon.waitUntilRunning()
        try drop(randomBytes(1000), named: "before.pdf", into: setup.hot)
        try await waitUntil("first file delivered") { setup.arrivals()["before.pdf"] == 1 }

        #expect(setup.emulator.revokeTokens() == 1)
        let names = (0..<3).map { "held-\($0).pdf" }
        for name in names { try drop(randomBytes(5000), named: name, into: setup.hot) }
        let remedy = "spoolbridge device register"
        try await waitUntil("the daemon says the device must register again") {
            setup.daemon.log.contains("the device must be registered again") && setup.daemon.log.contains(remedy)
        }
        // Held, not failed: delivery holds (one probe at a time, like an outage) and every job stays queued.
        try await waitUntil("delivery holds with the three jobs queued") {
            let held = try setup.jobs().filter { ($0["title"] as? String)?.hasPrefix("held-") == true }
            if let failed = held.first(where: { $0["state"] as? String == "failed" }) {
                throw HarnessError("a job held for a token problem was failed: \(failed)")
            }
            return held.count == 3 && held.allSatisfy { $0["state"] as? String == "queued" }
                && setup.daemon.log.contains("holding deliveries (every job stays queued)")
        }
        let jobs = try setup.jobs()
        #expect(jobs.filter { $0["state"] as? String == "failed" }.isEmpty, "\(jobs)")
        #expect(SecretScan.errorNotes(below: setup.directory.path).isEmpty, "a job was failed into the failed folder")
        #expect(setup.arrivals().count == 1)
        #expect(setup.emulator.tokenStats().invalidGrants == 1, "the dead grant is not tried again and again")

        let deviceStatus = try setup.daemon.cli(["device", "status"])
        #expect(deviceStatus.status == 1)
        #expect(deviceStatus.output.contains("registered: NO LONGER"), "\(deviceStatus.output)")
        #expect(deviceStatus.output.contains(remedy), "\(deviceStatus.output)")
        let json = try setup.deviceStatus()
        #expect(json.json["state"] as? String == "needs-registration")
        #expect((json.json["remedy"] as? String)?.contains(remedy) == true)
        let status = try setup.daemon.cli(["status"])
        #expect(status.output.contains("token: device must register again"), "\(status.output)")
        #expect(status.output.contains(remedy), "\(status.output)")

        try await setup.register()
        try await waitUntil("every held file delivered after the new registration") { setup.arrivals().count == 4 }
        #expect(setup.arrivals().values.allSatisfy { $0 == 1 })
        #expect(setup.daemon.log.contains("found a new registration in the auth state: using its tokens"))
        #expect(try setup.deviceStatus().json["state"] as? String == "fresh")
        #expect(setup.emulator.refreshTokenReuseCount == 0)
        try await setup.finish()
    }
}

func permissions(of path: String) throws -> Int {
    let attributes = try FileManager.default.attributesOfItem(atPath: path)
    return try #require(attributes[.posixPermissions] as? Int)
}
