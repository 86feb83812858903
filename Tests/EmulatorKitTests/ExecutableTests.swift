import EmulatorKit
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The `spoolbridge-emulator` executable as benchmarks and process-level tests run it.
@Suite("spoolbridge-emulator executable")
struct ExecutableTests {
    /// The binary SwiftPM builds next to the test bundle.
    static let executable = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        .appendingPathComponent("spoolbridge-emulator")

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: executable.path), "needs the built executable"))
    func printsItsPortAndServesWithTheKeyFromAFile() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("emulator-exe-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let keyFile = directory.appendingPathComponent("api-key")
        try "key-from-file\n".write(to: keyFile, atomically: true, encoding: .utf8)

        let process = Process()
        process.executableURL = Self.executable
        process.arguments = ["--port", "0", "--api-key-file", keyFile.path]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        defer {
            process.terminate()
            process.waitUntilExit()
        }

        let line = try #require(try readLine(from: output.fileHandleForReading.fileDescriptor, timeoutMilliseconds: 10_000))
        #expect(line.hasPrefix("listening on http://127.0.0.1:"))
        let port = try #require(Int(line.split(separator: ":").last ?? ""))
        #expect(port > 0)

        let connection = try RawHTTPConnection(port: port)
        try connection.send(Requests.get("/api/v1/version", apiKey: "test-api-key"))
        #expect(try connection.readResponse()?.status == 403)
        try connection.send(Requests.get("/api/v1/version", apiKey: "key-from-file"))
        #expect(try connection.readResponse()?.status == 200)
        try connection.send(Requests.get("/_emulator/stats", apiKey: nil))
        let stats = try #require(try connection.readResponse())
        #expect(stats.json["requests"] as? Int == 2)
        #expect(stats.json["rejected"] as? Int == 1)
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: executable.path), "needs the built executable"))
    func tokenFlagsRequireBearerAndReadUsersFromAFile() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("emulator-exe-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let usersFile = directory.appendingPathComponent("users")
        try "# test accounts\nalice:secret-from-file\n".write(to: usersFile, atomically: true, encoding: .utf8)

        let process = Process()
        process.executableURL = Self.executable
        process.arguments = [
            "--port", "0", "--require-bearer", "--users-file", usersFile.path, "--access-token-lifetime", "2.5",
            "--pending-authorizations", "1",
        ]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        defer {
            process.terminate()
            process.waitUntilExit()
        }
        let line = try #require(try readLine(from: output.fileHandleForReading.fileDescriptor, timeoutMilliseconds: 10_000))
        let port = try #require(Int(line.split(separator: ":").last ?? ""))

        let connection = try RawHTTPConnection(port: port)
        try connection.send(Requests.get("/api/v1/version"))
        #expect(try connection.readResponse()?.status == 401)
        try connection.send(Requests.form(
            "/api/v1/login", [("authtype", "0"), ("userid", "alice"), ("password", "secret-from-file")], apiKey: Requests.apiKey))
        let login = try #require(try connection.readResponse())
        #expect(login.status == 200)
        let token = try #require(login.json["token"] as? [String: Any])
        #expect(token["expires_in"] as? Int == 3)
        let access = try #require(token["access_token"] as? String)
        try connection.send(Requests.get("/api/v1/version", bearer: access))
        #expect(try connection.readResponse()?.status == 200)

        try connection.send(Requests.form("/oauth/v1/register", TokenValidationTests.registerFields))
        let code = try #require(try connection.readResponse()?.json["device_code"] as? String)
        let poll = [
            ("client_id", "device-1"), ("client_secret", Requests.apiKey), ("grant_type", "device_code"), ("device_code", code),
        ]
        try connection.send(Requests.form("/oauth/v1/token", poll))
        #expect(try connection.readResponse()?.oauthError == "authorization_pending")
        try connection.send(Requests.form("/oauth/v1/token", poll))
        #expect(try connection.readResponse()?.status == 200)
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: executable.path), "needs the built executable"))
    func malformedUsersFileIsRefused() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("emulator-exe-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let usersFile = directory.appendingPathComponent("users")
        try "alice-without-password\n".write(to: usersFile, atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = Self.executable
        process.arguments = ["--port", "0", "--users-file", usersFile.path]
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = Pipe()
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus != 0)
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(message.contains("line 1"))
    }

    /// The first line the child prints, waiting at most `timeoutMilliseconds`.
    private func readLine(from fd: Int32, timeoutMilliseconds: Int32) throws -> String? {
        var collected: [UInt8] = []
        let deadline = ContinuousClock.now.advanced(by: .milliseconds(Int(timeoutMilliseconds)))
        while !collected.contains(UInt8(ascii: "\n")) {
            let remaining = deadline - ContinuousClock.now
            guard remaining > .zero else { return nil }
            var pollFD = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&pollFD, 1, Int32(remaining.components.seconds * 1000) + 1)
            guard ready > 0 else { continue }
            var byte: UInt8 = 0
            guard read(fd, &byte, 1) == 1 else { return nil }
            collected.append(byte)
        }
        return String(decoding: collected.dropLast(), as: UTF8.self)
    }
}
