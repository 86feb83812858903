import EmulatorKit
import Foundation
import Testing

@Suite struct CheckConfigTests {
    private func write(_ config: String, in directory: TemporaryDirectory) throws -> String {
        let path = directory.path + "/c.toml"
        try config.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func plainHTTPToARemoteHostIsRefusedNamingTheSetting() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = try write("""
            [cloud]
            url = "http://print.example.com:7300"
            """, in: directory)
        let result = try runCommand(Executables.path("spoolbridge"), ["check-config", "--config", path])
        #expect(result.status == 78)
        #expect(result.output.contains("allow_insecure_http"))
        #expect(result.output.contains("c.toml:2"))
    }

    @Test func checkConfigAsksTheCloudForItsVersion() async throws {
        let emulator = try await CloudEmulator.start()
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try "test-api-key\n".write(toFile: directory.path + "/key", atomically: true, encoding: .utf8)
        chmod(directory.path + "/key", 0o644)
        let path = try write("""
            [cloud]
            url = "\(emulator.baseURL)"
            api_key_file = "\(directory.path)/key"
            """, in: directory)
        let result = try runCommand(Executables.path("spoolbridge"), ["check-config", "--config", path])
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("answers"))
        // 0644 is readable by everyone: a warning that says how to fix it.
        #expect(result.output.contains("chmod 0640"))
        #expect(emulator.requestCount(path: "/api/v1/version") == 1)
        try await emulator.shutdown()
    }
}
