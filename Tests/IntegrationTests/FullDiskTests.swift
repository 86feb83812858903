import EmulatorKit
import Foundation
import Testing

/// The spool on a real 12 MB file system (tmpfs, mounted by the test: root only, as in CI).
@Suite(.serialized, .enabled(if: geteuid() == 0, "mounting a small file system needs root"))
struct FullDiskTests {
    @Test func aFullSpoolPausesIngestWithoutFloodingAndRecoversByItself() async throws {
        let emulator = try await CloudEmulator.start()
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let spool = try SmallFileSystem(at: directory.path + "/spool", megabytes: 12)
        defer { spool.unmount() }
        let hot = try directory.subdirectory("in")  // on /tmp: each claim is a copy into the spool
        let daemon = try DaemonProcess(in: directory, cloudURL: emulator.baseURL, extraConfig: """
            [[hotfolder]]
            path = "\(hot)"
            port = "P"
            user = "u"
            """)
        try daemon.setSpool(minFreeMB: 2)
        emulator.inject(.status(503, message: "maintenance"), count: 1_000_000)  // the cloud is down
        try daemon.start()
        try await daemon.waitUntilRunning()

        let count = 20
        for index in 0..<count { try drop(randomBytes(1 << 20), named: "big-\(index).pdf", into: hot) }
        // As many as fit are taken; the rest stay in the hot folder, and the floor holds throughout.
        try await waitUntil("ingest pauses for space") { daemon.log.contains("below spool.min_free_mb") }
        let held = contents(of: hot).filter { $0.hasPrefix("big-") }.count
        #expect(held > 0 && held < count, "\(held) files left in the hot folder")
        #expect(spool.freeBytes >= 2 << 20, "the spool went below min_free_mb: \(spool.freeBytes) bytes free")

        emulator.reset()  // the cloud answers again
        try await waitUntil("all delivered without a restart", timeout: .seconds(60)) {
            Set(emulator.documents().map(\.title)).count == count
        }
        #expect(emulator.documents().count == count)
        let lines = daemon.log.split(separator: "\n").count
        #expect(lines < 400, "\(lines) log lines: a flood")
        #expect(daemon.log.components(separatedBy: "below spool.min_free_mb").count - 1 <= 3)
        daemon.stop()
        try await emulator.shutdown()
    }

    @Test func aRestartOnAFullDiskStarts() async throws {
        let emulator = try await CloudEmulator.start()
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let spool = try SmallFileSystem(at: directory.path + "/spool", megabytes: 4)
        defer { spool.unmount() }
        let hot = try directory.subdirectory("in")
        let daemon = try DaemonProcess(in: directory, cloudURL: emulator.baseURL, extraConfig: """
            [[hotfolder]]
            path = "\(hot)"
            port = "P"
            user = "u"
            """)
        try daemon.setSpool(minFreeMB: 1)
        try daemon.start()
        try await daemon.waitUntilRunning()
        daemon.stop()
        spool.fill()
        #expect(spool.freeBytes < 64 << 10)

        try daemon.start()
        try await daemon.waitUntilRunning()
        let status = try daemon.cli(["status"])
        #expect(status.output.contains("BELOW spool.min_free_mb"), "\(status.output)")
        daemon.stop()
        try await emulator.shutdown()
    }
}

/// A size-limited tmpfs mounted over `path` for one test.
struct SmallFileSystem {
    let path: String

    init(at path: String, megabytes: Int) throws {
        self.path = path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        let result = try runCommand("/bin/mount", ["-t", "tmpfs", "-o", "size=\(megabytes)m,mode=0700", "tmpfs", path])
        guard result.status == 0 else { throw HarnessError("mount tmpfs on \(path): \(result.output)") }
    }

    var freeBytes: Int64 {
        var info = statvfs()
        guard statvfs(path, &info) == 0 else { return -1 }
        return Int64(info.f_bavail) * Int64(info.f_frsize)
    }

    /// Writes a filler file until the file system refuses more.
    func fill() {
        let fd = open(path + "/filler", O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard fd >= 0 else { return }
        defer { close(fd) }
        let chunk = [UInt8](repeating: 0xAB, count: 64 << 10)
        while chunk.withUnsafeBytes({ write(fd, $0.baseAddress, $0.count) }) > 0 {}
    }

    func unmount() {
        _ = try? runCommand("/bin/umount", ["-l", path])
    }
}
