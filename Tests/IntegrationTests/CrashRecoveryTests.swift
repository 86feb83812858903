import EmulatorKit
import Foundation
import Testing

/// `kill -9` at arbitrary moments of a burst loses nothing; at most the uploads in flight at the
/// crash are sent twice.
@Suite(.serialized)
struct CrashRecoveryTests {
    @Test func killNineMidBurstLosesNothing() async throws {
        let emulator = try await CloudEmulator.start()
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let hot = try directory.subdirectory("burst")
        let concurrency = 4
        let daemon = try DaemonProcess(in: directory, cloudURL: emulator.baseURL, concurrency: concurrency, extraConfig: """
            [[hotfolder]]
            path = "\(hot)"
            port = "Burst"
            user = "erin"
            """)
        // Slow uploads keep several in flight when the crash comes.
        emulator.inject(.delay(milliseconds: 20), count: 10_000)
        try daemon.start()
        try await daemon.waitUntilRunning()

        let count = 300
        var digests: [String: String] = [:]
        for index in 0..<count {
            let bytes = randomBytes(2048)
            let name = "doc-\(index).pdf"
            digests[name] = SHA256Digest.hex(of: bytes)
            try drop(bytes, named: name, into: hot)
        }
        // First crash: while files are still being claimed and uploaded.
        try await waitUntil("first deliveries") { emulator.documents().count >= 10 }
        daemon.kill9()
        let afterFirstCrash = emulator.documents().count
        try daemon.start()
        try await daemon.waitUntilRunning()
        // Second crash: later in the burst.
        // A third of what is left, so the crash comes mid-burst however fast the first run was.
        let secondCrashAt = afterFirstCrash + max(1, (count - afterFirstCrash) / 3)
        try await waitUntil("more deliveries") { emulator.documents().count >= secondCrashAt }
        daemon.kill9()
        try daemon.start()
        try await daemon.waitUntilRunning()

        try await waitUntil("every file delivered", timeout: .seconds(60)) {
            Set(emulator.documents().map(\.title)).count == count
        }
        try await waitUntil("hot folder empty") { contents(of: hot).isEmpty }
        // A job whose upload was answered but not recorded before a crash is queued again and sent
        // once more: wait until the outbox has settled every job, then count.
        try await waitUntil("every job delivered in the outbox", timeout: .seconds(30)) {
            try daemon.cli(["status"]).output.contains("delivered \(count)")
        }
        let documents = emulator.documents()
        for document in documents {
            #expect(digests[document.title] == document.sha256, "\(document.title) arrived corrupted")
        }
        let duplicates = documents.count - count
        // Each crash may re-send what was in flight: at most `concurrency` uploads per crash.
        #expect(duplicates <= 2 * concurrency, "\(duplicates) duplicates")
        #expect(contents(of: directory.path + "/spool/payloads").isEmpty)
        print("kill -9 test: \(count) files, \(documents.count) uploads, \(duplicates) duplicates")
        daemon.stop()
        try await emulator.shutdown()
    }
}
