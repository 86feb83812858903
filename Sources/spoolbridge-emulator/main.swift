import ArgumentParser
import EmulatorKit
import Foundation

/// Runs the strict cloud emulator until killed. Prints `listening on http://HOST:PORT` once ready.
struct EmulatorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "spoolbridge-emulator",
        abstract: "A strict loopback emulator of the cloud print API, for tests and benchmarks.",
        discussion: """
            Control endpoints (no API key): GET /_emulator/documents, GET /_emulator/stats,
            POST /_emulator/faults {"fault": {"type": "status", "status": 503, "message": "..."}, "count": 1},
            POST /_emulator/faults/clear, POST /_emulator/reset. Fault types: see EmulatorKit's Fault.swift;
            add "target": "tokenRequests" to a fault to aim it at POST /oauth/v1/token instead of uploads.
            Token service (same listener): POST /oauth/v1/register, POST /oauth/v1/token, POST /api/v1/login.
            Its controls: GET /_emulator/oauth (counters, token families), POST /_emulator/oauth/approve and
            /_emulator/oauth/revoke with an optional {"clientID": "..."}, POST /_emulator/oauth/expire,
            POST /_emulator/oauth/settings {"requireBearer": true, "pendingAuthorizations": 2,
            "accessTokenLifetimeSeconds": 1.5, "manualApproval": false, "loginRequiresBearer": false}.
            """)

    @Option(help: "TCP port to listen on; 0 picks a free one (printed on the first line).")
    var port: Int

    @Option(help: "Address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "File holding the API key to accept (surrounding whitespace ignored). Without it the key is test-api-key.")
    var apiKeyFile: String?

    @Option(help: "Largest document (data part) accepted, in bytes; larger uploads get 413.")
    var maxDocumentBytes = 200 * 1024 * 1024

    @Flag(help: "Every /api/v1 call but /login needs Authorization: Bearer <live access token>, else 401.")
    var requireBearer = false

    @Flag(help: "/api/v1/login needs a bearer (device) token too.")
    var loginRequiresBearer = false

    @Option(help: "Access token lifetime in seconds (fractions allowed; expires_in rounds up).")
    var accessTokenLifetime = 3600.0

    @Option(help: "Device code lifetime in seconds.")
    var deviceCodeLifetime = 259_200.0

    @Option(help: "authorization_pending answers each device code gets before its tokens.")
    var pendingAuthorizations = 0

    @Flag(help: "Device codes stay pending until POST /_emulator/oauth/approve.")
    var manualApproval = false

    @Option(help: "File of /login accounts, one 'userid:password' a line ('#' comments). Passwords never go in argv.")
    var usersFile: String?

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be 0-65535, not \(port)") }
        guard maxDocumentBytes > 0 else { throw ValidationError("--max-document-bytes must be positive") }
        guard accessTokenLifetime > 0, accessTokenLifetime <= 1e9 else {
            throw ValidationError("--access-token-lifetime must be above 0 seconds, not \(accessTokenLifetime)")
        }
        guard deviceCodeLifetime > 0, deviceCodeLifetime <= 1e9 else {
            throw ValidationError("--device-code-lifetime must be above 0 seconds, not \(deviceCodeLifetime)")
        }
        guard pendingAuthorizations >= 0 else {
            throw ValidationError("--pending-authorizations must be 0 or more, not \(pendingAuthorizations)")
        }
    }

    func run() async throws {
        var configuration = CloudEmulator.Configuration(
            host: host, port: port, maxDocumentBytes: maxDocumentBytes, requireBearer: requireBearer,
            loginRequiresBearer: loginRequiresBearer, accessTokenLifetime: .seconds(accessTokenLifetime),
            deviceCodeLifetime: .seconds(deviceCodeLifetime), pendingAuthorizations: pendingAuthorizations,
            manualApproval: manualApproval)
        if let apiKeyFile {
            configuration.apiKey = try readAPIKey(path: apiKeyFile)
        }
        if let usersFile {
            configuration.users = try readUsers(path: usersFile)
        }
        let emulator = try await CloudEmulator.start(configuration)
        // Unbuffered, so a parent process reading the pipe sees the line at once.
        FileHandle.standardOutput.write(Data("listening on \(emulator.baseURL)\n".utf8))
        try await emulator.waitUntilClosed()
    }

    /// `userid:password` lines; the password may itself hold ':'.
    private func readUsers(path: String) throws -> [String: String] {
        let contents: String
        do {
            contents = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ValidationError("cannot read the users file \(path): \(error.localizedDescription); check the path and its permissions")
        }
        var users: [String: String] = [:]
        for (index, rawLine) in contents.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.trimmingCharacters(in: .whitespacesAndNewlines)
            if line.isEmpty || line.hasPrefix("#") { continue }
            let parts = line.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                throw ValidationError("\(path) line \(index + 1) is not of the form userid:password")
            }
            guard users[String(parts[0])] == nil else {
                throw ValidationError("\(path) line \(index + 1) repeats user \(parts[0])")
            }
            users[String(parts[0])] = String(parts[1])
        }
        return users
    }

    private func readAPIKey(path: String) throws -> String {
        let contents: String
        do {
            contents = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ValidationError("cannot read the API key file \(path): \(error.localizedDescription); check the path and its permissions")
        }
        let key = contents.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !key.isEmpty else { throw ValidationError("the API key file \(path) is empty; write the key into it") }
        return key
    }
}

// main.swift cannot carry @main; parse and run the async command by hand.
do {
    let command = try EmulatorCommand.parse()
    try await command.run()
} catch {
    EmulatorCommand.exit(withError: error)
}
