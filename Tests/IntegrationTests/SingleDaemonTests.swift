import EmulatorKit
import Foundation
import Testing

/// One daemon per spool, decided before anything is touched; READY only once every source is up.
@Suite(.serialized)
struct SingleDaemonTests {
    @Test func aSecondRunDuringABurstRefusesAtOnceAndCausesNoDuplicate() async throws {
        let emulator = try await CloudEmulator.start()
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let hot = try directory.subdirectory("burst")
        let daemon = try DaemonProcess(in: directory, cloudURL: emulator.baseURL, concurrency: 4, extraConfig: """
            [[hotfolder]]
            path = "\(hot)"
            port = "Burst"
            user = "erin"
            """)
        emulator.inject(.delay(milliseconds: 40), count: 10_000)  // slow uploads: several always in flight
        try daemon.start()
        try await daemon.waitUntilRunning()
        let count = 120
        for index in 0..<count { try drop(randomBytes(1024), named: "doc-\(index).pdf", into: hot) }
        try await waitUntil("first deliveries") { emulator.documents().count >= 5 }

        let pid = try #require(daemon.process?.processIdentifier)
        for _ in 0..<10 {
            let started = ContinuousClock.now
            let second = try await runCommandOffPool(Executables.path("spoolbridge"), ["run", "--config", daemon.configPath])
            #expect(second.status != 0)
            #expect(second.output.contains("pid \(pid)"), "names the running daemon: \(second.output)")
            #expect(second.output.contains(directory.path + "/spool"), "names the spool: \(second.output)")
            #expect(ContinuousClock.now - started < .seconds(5))
        }

        try await waitUntil("every job delivered", timeout: .seconds(60)) {
            try daemon.cli(["status"]).output.contains("delivered \(count)")
        }
        let documents = emulator.documents()
        #expect(documents.count == count, "\(documents.count - count) duplicates")
        #expect(Set(documents.map(\.title)).count == count)
        #expect(!daemon.log.contains("recovered the outbox"), "the refused starts must not have recovered anything")
        daemon.stop()
        try await emulator.shutdown()
    }

    @Test func readyComesOnlyAfterTheHotFolderIsWatchedAndTheSocketBound() async throws {
        let emulator = try await CloudEmulator.start()
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let hot = try directory.subdirectory("in")
        let sockets = try directory.subdirectory("run")
        let notify = try NotifySocket(in: directory)
        let daemon = try DaemonProcess(in: directory, cloudURL: emulator.baseURL, extraConfig: """
            [[hotfolder]]
            path = "\(hot)"
            port = "P"
            user = "u"
            """)
        try enableCups(socket: sockets + "/backend.sock", in: daemon)
        try daemon.start(environment: ["NOTIFY_SOCKET": notify.path])

        let messages = try #require(notify.waitFor("READY=1", timeout: .seconds(20)), "no READY=1; log: \(daemon.log)")
        // Said when READY=1 arrives, not after: both sources were up before systemd heard it.
        let logAtReady = daemon.log
        #expect(logAtReady.contains("watching hot folder"), "READY before the watch: \(logAtReady)")
        #expect(logAtReady.contains("listening for the CUPS backend"), "READY before the socket: \(logAtReady)")
        #expect(FileManager.default.fileExists(atPath: sockets + "/backend.sock"))
        #expect(messages.last?.contains("STATUS=") == true)
        daemon.stop()
        try await emulator.shutdown()
    }

    @Test func aSourceThatCannotStartFailsStartUpBeforeReady() async throws {
        let emulator = try await CloudEmulator.start()
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let hot = try directory.subdirectory("in")
        let notify = try NotifySocket(in: directory)
        let daemon = try DaemonProcess(in: directory, cloudURL: emulator.baseURL, extraConfig: """
            [[hotfolder]]
            path = "\(hot)"
            port = "P"
            user = "u"
            """)
        // An explicit [cups] socket in a directory that does not exist: a start-up error.
        try enableCups(socket: directory.path + "/no-such-dir/backend.sock", in: daemon)
        try daemon.start(environment: ["NOTIFY_SOCKET": notify.path])
        let process = try #require(daemon.process)
        try await waitUntil("the daemon exits") { !process.isRunning }
        #expect(process.terminationStatus != 0)
        #expect(notify.waitFor("READY=1", timeout: .milliseconds(200)) == nil, "READY=1 was sent: \(daemon.log)")
        #expect(!daemon.log.contains("spoolbridge is running"))
        try await emulator.shutdown()
    }

    /// Replaces the harness's `[cups] enabled = false` with a socket path.
    private func enableCups(socket: String, in daemon: DaemonProcess) throws {
        let config = try String(contentsOfFile: daemon.configPath, encoding: .utf8)
            .replacingOccurrences(of: "[cups]\nenabled = false", with: "[cups]\nsocket = \"\(socket)\"")
        try config.write(toFile: daemon.configPath, atomically: true, encoding: .utf8)
    }
}
