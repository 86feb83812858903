import EmulatorKit
import Foundation
import Testing

/// SIGHUP re-reads the configuration: RELOADING=1 with MONOTONIC_USEC=, then READY=1.
@Suite(.serialized)
struct ReloadTests {
    @Test func aGoodConfigurationAddsAHotFolderLiveAndLeavesJobsInFlightAlone() async throws {
        let emulator = try await CloudEmulator.start()
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let first = try directory.subdirectory("first")
        let second = try directory.subdirectory("second")
        let folder = { (path: String, port: String) in "[[hotfolder]]\npath = \"\(path)\"\nport = \"\(port)\"\nuser = \"u\"\n" }
        let daemon = try DaemonProcess(in: directory, cloudURL: emulator.baseURL, extraConfig: folder(first, "First"))
        let notify = try NotifySocket(in: directory)
        try daemon.start(environment: ["NOTIFY_SOCKET": notify.path])
        #expect(try await offPool { notify.waitFor("READY=1", timeout: .seconds(10)) } != nil)

        // A job in flight across the reload: the cloud holds its answer for a while.
        emulator.inject(.delay(milliseconds: 1500))
        try drop(randomBytes(2000), named: "in-flight.pdf", into: first)
        try await waitUntil("the upload to start") { emulator.requestCount(path: "/api/v1/documents") > 0 }

        let config = try String(contentsOfFile: daemon.configPath, encoding: .utf8)
        try (config.replacingOccurrences(of: "concurrency = 4", with: "concurrency = 2") + "\n" + folder(second, "Second"))
            .write(toFile: daemon.configPath, atomically: true, encoding: .utf8)
        kill(daemon.process!.processIdentifier, SIGHUP)
        let messages = try #require(try await offPool { notify.waitFor("READY=1", timeout: .seconds(10)) })
        let reloading = try #require(messages.first { $0.contains("RELOADING=1") }, "\(messages)")
        #expect(reloading.contains("MONOTONIC_USEC="))
        #expect(messages.firstIndex { $0.contains("RELOADING=1") }! < messages.firstIndex { $0.contains("READY=1") }!)
        #expect(daemon.log.contains("hot folders changed"))
        #expect(daemon.log.contains("added=\(second)"), "\(daemon.log)")
        #expect(daemon.log.contains("delivery concurrency changed"))

        try drop(randomBytes(3000), named: "new-folder.pdf", into: second)
        let documents = try await emulator.waitForDocuments(count: 2, timeout: .seconds(10))
        #expect(documents.filter { $0.title == "in-flight.pdf" }.count == 1, "the job in flight is delivered once")
        #expect(documents.first { $0.title == "new-folder.pdf" }?.portname == "Second")
        daemon.stop()
        try await emulator.shutdown()
    }

    @Test func aBadConfigurationIsRefusedWithCheckConfigsWordsAndTheOldOneKeepsServing() async throws {
        let emulator = try await CloudEmulator.start()
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let hot = try directory.subdirectory("in")
        let daemon = try DaemonProcess(in: directory, cloudURL: emulator.baseURL, extraConfig: """
            [[hotfolder]]
            path = "\(hot)"
            port = "P"
            user = "u"
            """)
        let notify = try NotifySocket(in: directory)
        try daemon.start(environment: ["NOTIFY_SOCKET": notify.path])
        #expect(try await offPool { notify.waitFor("READY=1", timeout: .seconds(10)) } != nil)

        let good = try String(contentsOfFile: daemon.configPath, encoding: .utf8)
        try (good + "\n[spool]\nbogus = 1\n").write(toFile: daemon.configPath, atomically: true, encoding: .utf8)
        let check = try daemon.cli(["check-config", "--offline"])
        #expect(check.status == 78)
        kill(daemon.process!.processIdentifier, SIGHUP)
        #expect(try await offPool { notify.waitFor("READY=1", timeout: .seconds(10)) } != nil)
        // check-config says "spoolbridge: configuration refused: FILE:LINE: KEY: …"; the log says the same.
        let refusal = check.output.replacingOccurrences(of: "spoolbridge: ", with: "").trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(daemon.log.contains(refusal), "log: \(daemon.log)\ncheck-config: \(refusal)")
        #expect(daemon.log.contains("the running configuration stays in force"))

        try drop(randomBytes(100), named: "still.pdf", into: hot)
        let documents = try await emulator.waitForDocuments(count: 1, timeout: .seconds(10))
        #expect(documents.first?.title == "still.pdf")

        // A setting that needs a restart is named, the rest applies.
        try good.replacingOccurrences(of: "min_free_mb = 0", with: "min_free_mb = 1")
            .write(toFile: daemon.configPath, atomically: true, encoding: .utf8)
        kill(daemon.process!.processIdentifier, SIGHUP)
        #expect(try await offPool { notify.waitFor("READY=1", timeout: .seconds(10)) } != nil)
        #expect(daemon.log.contains("take effect only after a restart"))
        #expect(daemon.log.contains("settings=spool.min_free_mb"), "\(daemon.log)")
        daemon.stop()
        try await emulator.shutdown()
    }
}
