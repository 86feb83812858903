import ArgumentParser
import Daemon
import DeviceAuth
import Foundation
import SpoolbridgeCore

struct DeviceStatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show whether this device is registered, the access token's expiry, the last refresh, the last error and the next try.",
        discussion: """
            Read from <spool>/auth/state.json, which the daemon keeps up to date; never prints a token. \
            Exits 0 when a usable token pair is stored, 1 when the device is not registered or must register \
            again (the output says what to run).
            """)

    @OptionGroup var options: ConfigOption

    @Flag(help: "Print the status as JSON.")
    var json = false

    func run() throws {
        let status: RefreshStatus
        let file: String
        let mode: AuthMode
        do {
            let context = try AuthContext.load(options, needsKey: false)
            file = context.auth.stateFile
            status = RefreshStatus(stored: try TokenStore(directory: context.auth.stateDirectory).load(), expectedMode: context.auth.mode)
            mode = context.configuration.auth.mode
        } catch {
            Self.fail(error)
        }
        if json {
            print((try? Formatting.json(DeviceStatusDocument(status, file: file, configuredMode: mode))) ?? "{}")
        } else {
            for line in Self.lines(status, file: file) { print(line) }
            if !mode.usesBearerToken {
                print("note: [auth] mode is \"api-key\" in \(options.config): the daemon sends no bearer token and does not use this state")
            }
        }
        let usable = status.state == .fresh || status.state == .refreshing || status.state == .retrying
        if !usable { Foundation.exit(1) }
    }

    static func lines(_ status: RefreshStatus, file: String) -> [String] {
        var lines: [String] = []
        switch status.state {
        case .notRegistered: lines.append("registered: no (\(file) holds no token pair)")
        case .needsRegistration: lines.append("registered: NO LONGER — the device must register again")
        default: lines.append("registered: yes (\(status.mode?.rawValue ?? "device-token"))")
        }
        if let device = status.deviceID { lines.append("device id: \(device)") }
        lines.append("state: \(status.state.rawValue)")
        if let expiry = status.accessTokenExpiresAt {
            let expired = expiry.secondsSince1970 < Date().timeIntervalSince1970
            lines.append("access token \(expired ? "expired" : "valid until"): \(Formatting.time(expiry))")
        }
        if let last = status.lastRefreshAt { lines.append("last refresh: \(Formatting.time(last)) (\(Formatting.age(since: last)) ago)") }
        if let next = status.nextAttemptAt {
            lines.append("\(status.state == .retrying ? "next retry" : "next refresh"): \(Formatting.time(next))"
                + (status.attempts > 0 ? " (\(status.attempts) failed attempt\(status.attempts == 1 ? "" : "s"))" : ""))
        }
        if let error = status.lastError { lines.append("last error: \(error)") }
        if let remedy = status.remedy { lines.append("to fix: \(remedy); jobs stay queued meanwhile") }
        return lines
    }
}

/// `device status --json`: times as ISO 8601, no token.
struct DeviceStatusDocument: Encodable {
    var registered: Bool
    var state: String
    var mode: String?
    var deviceID: String?
    var accessTokenExpiresAt: String?
    var lastRefreshAt: String?
    var lastError: String?
    var nextAttemptAt: String?
    var attempts: Int
    var remedy: String?
    var stateFile: String
    /// `[auth] mode`: whether the daemon uses this state at all.
    var configuredMode: String

    enum CodingKeys: String, CodingKey {
        case registered, state, mode, attempts, remedy
        case configuredMode = "configured_mode"
        case deviceID = "device_id", accessTokenExpiresAt = "access_token_expires_at", lastRefreshAt = "last_refresh_at"
        case lastError = "last_error", nextAttemptAt = "next_attempt_at", stateFile = "state_file"
    }

    init(_ status: RefreshStatus, file: String, configuredMode: AuthMode) {
        self.configuredMode = configuredMode.rawValue
        registered = status.state != .notRegistered && status.state != .needsRegistration
        state = status.state.rawValue
        mode = status.mode?.rawValue
        deviceID = status.deviceID
        accessTokenExpiresAt = status.accessTokenExpiresAt.map(Formatting.time)
        lastRefreshAt = status.lastRefreshAt.map(Formatting.time)
        lastError = status.lastError
        nextAttemptAt = status.nextAttemptAt.map(Formatting.time)
        attempts = status.attempts
        remedy = status.remedy
        stateFile = file
    }
}
