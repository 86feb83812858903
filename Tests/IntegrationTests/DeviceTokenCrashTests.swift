import EmulatorKit
import Foundation
import Testing

/// Rotation is single-use: whatever happens to the daemon, a refresh token goes out at most once.
@Suite(.serialized)
struct DeviceTokenCrashTests {
    /// 2 s tokens (a refresh every 1.6 s), a steady stream of files, and `kill -9` eight times near
    /// the moment a refresh is due. A kill between the spent marker and the stored answer (the
    /// documented window) must make the restarted daemon ask for a registration, never resend; the
    /// test then registers again, as an admin would. One round forces that window: the refresh is
    /// held up by the emulator and the daemon killed while it waits. At the end every file is
    /// delivered and the emulator never saw a refresh token twice.
    @Test func killNineAroundRefreshesNeverSendsARefreshTokenTwice() async throws {
        let setup = try await TokenSetup(.init(requireBearer: true, accessTokenLifetime: .seconds(2)))
        try await setup.register()
        try setup.daemon.start()
        try await setup.daemon.waitUntilRunning()
        let hot = setup.hot
        let producer = Task.detached { () -> [String] in
            var names: [String] = []
            while !Task.isCancelled {
                let name = "crash-\(names.count).pdf"
                if (try? drop(randomBytes(1500), named: name, into: hot)) != nil { names.append(name) }
                try? await Task.sleep(for: .milliseconds(100))  // the stream's pace
            }
            return names
        }

        var windowHits = 0
        var forcedWindowHit = false
        for round in 0..<8 {
            let refreshes = setup.emulator.tokenStats().refreshes
            if round == 3 {
                // Forced: the emulator holds the next refresh for 1.5 s; kill once the marker is on disk.
                setup.emulator.inject(.delay(milliseconds: 1500), into: .tokenRequests)
                try await waitUntil("a refresh in flight (spent marker stored)") {
                    (try? setup.storedState())?["spending_refresh_token_since"] != nil
                }
            } else {
                // Near the next scheduled refresh: 1.6 s after the last one, give or take 150 ms.
                _ = try await setup.emulator.waitForTokenStats(timeout: .seconds(20)) { $0.refreshes > refreshes }
                try await Task.sleep(for: .milliseconds(Int.random(in: 1450...1750)))  // a random kill moment
            }
            setup.daemon.kill9()
            try setup.daemon.start()
            try await setup.daemon.waitUntilRunning()
            if (try setup.storedState())["needs_registration"] != nil {
                windowHits += 1
                if round == 3 { forcedWindowHit = true }
                let status = try setup.daemon.cli(["device", "status"])
                #expect(status.status == 1 && status.output.contains("spoolbridge device register"), "\(status.output)")
                try await setup.register()
            }
        }
        producer.cancel()
        let names = await producer.value

        try await waitUntil("every streamed file delivered", timeout: .seconds(40)) {
            Set(setup.arrivals().keys) == Set(names)
        }
        try await waitUntil("every job delivered in the outbox", timeout: .seconds(20)) {
            try setup.daemon.cli(["status"]).output.contains("delivered \(names.count)")
        }
        let stats = setup.emulator.tokenStats()
        #expect(setup.emulator.refreshTokenReuseCount == 0, "a refresh token was sent twice")
        #expect(stats.revokedFamilies == 0)
        #expect(forcedWindowHit, "a kill during a refresh in flight must ask for a new registration")
        #expect(setup.emulator.tokenFamilies().count == 1 + windowHits, "one family per registration")
        #expect(setup.daemon.log.components(separatedBy: "the device must be registered again").count - 1 == windowHits)
        let duplicates = setup.emulator.documents().count - names.count
        print("""
            token crash test: \(names.count) files, 8 kills, \(stats.refreshes) refreshes, \
            \(windowHits) kill(s) in the refresh window -> needs registration (1 forced), \(duplicates) duplicate uploads
            """)
        try await setup.finish()
    }

    /// A 200 whose body holds no tokens (a proxy's page): the server rotated, so the daemon asks for
    /// a registration and never sends that refresh token again.
    @Test func anUnreadable200ToARefreshAsksForRegistrationAndNeverResendsTheToken() async throws {
        let setup = try await TokenSetup(.init(requireBearer: true, accessTokenLifetime: .seconds(2)))
        try await setup.register()
        setup.emulator.inject(.okNotJSON, into: .tokenRequests)
        try setup.daemon.start()
        try await setup.daemon.waitUntilRunning()
        // The state file is written before the line is logged, and the log is read from a pipe: both
        // are waited for, so the check does not race the daemon's own order.
        try await waitUntil("the daemon asks for a registration, in its state and its log", timeout: .seconds(15)) {
            (try? setup.storedState())?["needs_registration"] != nil
                && setup.daemon.log.contains("spoolbridge device register")
        }
        #expect(setup.emulator.tokenStats().refreshes == 1, "the server rotated")
        #expect(setup.emulator.refreshTokenReuseCount == 0, "the spent token was sent again")
        #expect(setup.emulator.requestCount(path: "/oauth/v1/token") == 2, "device code, then one refresh")
        try await setup.finish()
    }

    /// The answer to a refresh lost on the way back (the emulator rotates, then closes without
    /// answering): the daemon never resends the spent token, holds every job, says to register
    /// again and why; after `device register` every job is delivered.
    @Test func aLostRefreshAnswerAsksForRegistrationAndNeverResendsTheToken() async throws {
        let setup = try await TokenSetup(.init(requireBearer: true, accessTokenLifetime: .seconds(3600)))
        try await setup.register()
        try setup.daemon.start()
        try await setup.daemon.waitUntilRunning()
        try drop(randomBytes(1000), named: "before.pdf", into: setup.hot)
        try await waitUntil("first file delivered") { setup.arrivals()["before.pdf"] == 1 }

        // The next upload gets a 401, its refresh reaches the token service, and the answer is lost.
        setup.emulator.inject(.dropAnswer, into: .tokenRequests)
        #expect(setup.emulator.expireAccessTokens() == 1)
        let names = (0..<3).map { "held-\($0).pdf" }
        for name in names { try drop(randomBytes(5000), named: name, into: setup.hot) }
        try await waitUntil("the daemon asks for a registration") {
            (try? setup.storedState())?["needs_registration"] != nil
                && setup.daemon.log.contains("the device must be registered again")
        }
        #expect(setup.daemon.log.contains("the answer to a token refresh was lost"), "the log says why")
        #expect(setup.daemon.log.contains("spoolbridge device register"), "the log says what to run")
        try await waitUntil("delivery holds with the three jobs queued") {
            let held = try setup.jobs().filter { ($0["title"] as? String)?.hasPrefix("held-") == true }
            if let failed = held.first(where: { $0["state"] as? String == "failed" }) {
                throw HarnessError("a job held for a token problem was failed: \(failed)")
            }
            return held.count == 3 && held.allSatisfy { $0["state"] as? String == "queued" }
                && setup.daemon.log.contains("holding deliveries (every job stays queued)")
        }
        #expect(setup.arrivals().count == 1)
        let stats = setup.emulator.tokenStats()
        #expect(stats.refreshes == 1, "the server rotated once")
        #expect(setup.emulator.refreshTokenReuseCount == 0, "the spent refresh token was sent again")
        #expect(stats.revokedFamilies == 0)
        #expect(setup.emulator.requestCount(path: "/oauth/v1/token") == 2, "device code, then one refresh")
        let status = try setup.daemon.cli(["status"])
        #expect(status.output.contains("token: device must register again"), "\(status.output)")
        #expect(status.output.contains("spoolbridge device register"), "\(status.output)")

        try await setup.register()
        try await waitUntil("every held file delivered after the new registration") { setup.arrivals().count == 4 }
        #expect(setup.arrivals().values.allSatisfy { $0 == 1 }, "\(setup.arrivals())")
        try await waitUntil("every job delivered in the outbox") {
            try setup.jobs().filter { $0["state"] as? String == "delivered" }.count == 4
        }
        #expect(setup.emulator.refreshTokenReuseCount == 0)
        #expect(setup.emulator.tokenStats().revokedFamilies == 0)
        try await setup.finish()
    }
}
