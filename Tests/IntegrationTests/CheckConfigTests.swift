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

    @Test func theEffectiveAuthModeIsPrintedAndThePasswordNever() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try "test-api-key\n".write(toFile: directory.path + "/key", atomically: true, encoding: .utf8)
        chmod(directory.path + "/key", 0o600)
        let apiKey = try write("""
            [cloud]
            url = "https://print.example.com:7300"
            api_key_file = "\(directory.path)/key"
            """, in: directory)
        let plain = try runCommand(Executables.path("spoolbridge"), ["check-config", "--offline", "--config", apiKey])
        #expect(plain.status == 0, "\(plain.output)")
        #expect(plain.output.contains("auth: api-key"))

        try "correct horse battery\n".write(toFile: directory.path + "/password", atomically: true, encoding: .utf8)
        chmod(directory.path + "/password", 0o644)
        let userToken = try write("""
            [cloud]
            url = "https://print.example.com:7300"
            api_key_file = "\(directory.path)/key"

            [spool]
            directory = "\(directory.path)/spool"

            [auth]
            mode = "user-token"
            user = "printbot"
            password_file = "\(directory.path)/password"
            """, in: directory)
        let result = try runCommand(Executables.path("spoolbridge"), ["check-config", "--offline", "--config", userToken])
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("auth: user-token"))
        #expect(result.output.contains("auth token service: https://print.example.com:443/oauth/v1"))
        #expect(result.output.contains("auth state: \(directory.path)/spool/auth"))
        #expect(result.output.contains("auth user: printbot"))
        #expect(result.output.contains("\(directory.path)/password has mode 644"), "\(result.output)")
        #expect(!result.output.contains("correct horse"), "the password is never printed")
    }

    @Test func aTokenModeProbesWithTheStoredAccessTokenAndNeverRefreshes() async throws {
        let emulator = try await CloudEmulator.start()
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try "test-api-key\n".write(toFile: directory.path + "/key", atomically: true, encoding: .utf8)
        chmod(directory.path + "/key", 0o600)
        let spool = try directory.subdirectory("spool")
        let path = try write("""
            [cloud]
            url = "\(emulator.baseURL)"
            api_key_file = "\(directory.path)/key"

            [spool]
            directory = "\(spool)"

            [auth]
            mode = "device-token"
            """, in: directory)
        let none = try runCommand(Executables.path("spoolbridge"), ["check-config", "--config", path])
        #expect(none.status == 0, "\(none.output)")
        #expect(none.output.contains("holds every job until you run `spoolbridge device register`"), "\(none.output)")

        try storeTokenPair(spool: spool, expired: true)
        let expired = try runCommand(Executables.path("spoolbridge"), ["check-config", "--config", path])
        #expect(expired.output.contains("the stored access token expired"), "\(expired.output)")

        try storeTokenPair(spool: spool)
        let stored = try runCommand(Executables.path("spoolbridge"), ["check-config", "--config", path])
        #expect(stored.status == 0, "\(stored.output)")
        #expect(stored.output.contains("accepts the stored access token"), "\(stored.output)")
        #expect(emulator.requestCount(path: "/oauth/v1/token") == 0, "check-config never refreshes")
        for output in [none.output, expired.output, stored.output] {
            #expect(!output.contains("it-secret-42"), "a token value was printed")
        }
        try await emulator.shutdown()
    }
}

/// `check-config` exits non-zero whenever it prints something that will stop the daemon, and no
/// Foundation error text reaches the admin.
@Suite struct CheckConfigProblemTests {
    private let directory: TemporaryDirectory

    init() throws {
        directory = try TemporaryDirectory()
        try "test-api-key\n".write(toFile: directory.path + "/key", atomically: true, encoding: .utf8)
        chmod(directory.path + "/key", 0o600)
    }

    /// A configuration with `[cloud]`, a private spool and `body`; checked offline.
    private func check(_ body: String) throws -> (status: Int32, output: String) {
        let path = directory.path + "/c.toml"
        try """
            [cloud]
            url = "http://127.0.0.1:9"
            api_key_file = "\(directory.path)/key"

            [spool]
            directory = "\(directory.path)/spool"

            \(body)
            """.write(toFile: path, atomically: true, encoding: .utf8)
        return try runCommand(Executables.path("spoolbridge"), ["check-config", "--offline", "--config", path])
    }

    @Test func aMissingHotFolderFailsTheCheck() throws {
        defer { directory.remove() }
        let result = try check("""
            [[hotfolder]]
            path = "\(directory.path)/not-there"
            port = "P"
            user = "u"
            """)
        #expect(result.status == 78, "\(result.output)")
        #expect(result.output.contains("hot folder \(directory.path)/not-there -> port P: MISSING"), "\(result.output)")
        #expect(result.output.contains("mkdir -p \(directory.path)/not-there"), "\(result.output)")
        #expect(result.output.contains("will stop the daemon"), "\(result.output)")
    }

    @Test func aHotFolderThatIsAFileFailsTheCheck() throws {
        defer { directory.remove() }
        try "not a folder".write(toFile: directory.path + "/file", atomically: true, encoding: .utf8)
        let result = try check("""
            [[hotfolder]]
            path = "\(directory.path)/file"
            port = "P"
            user = "u"
            """)
        #expect(result.status == 78, "\(result.output)")
        #expect(result.output.contains("NOT A DIRECTORY"), "\(result.output)")
    }

    @Test func existingHotFoldersPass() throws {
        defer { directory.remove() }
        let hot = try directory.subdirectory("in")
        let result = try check("""
            [cups]
            enabled = false

            [[hotfolder]]
            path = "\(hot)"
            port = "P"
            user = "u"
            """)
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("hot folder \(hot) -> port P: ok"), "\(result.output)")
        #expect(result.output.contains("cups: off"), "\(result.output)")
    }

    @Test func recordsFoldersAreNamedAsSuch() throws {
        defer { directory.remove() }
        let accounting = try directory.subdirectory("accounting")
        let result = try check("""
            [cups]
            enabled = false

            [[records]]
            path = "\(accounting)"

            [[records]]
            path = "\(directory.path)/gone"
            """)
        #expect(result.status == 78, "\(result.output)")
        #expect(result.output.contains("records folder \(accounting): ok"), "\(result.output)")
        #expect(result.output.contains("records folder \(directory.path)/gone: MISSING"), "\(result.output)")
        #expect(result.output.contains("fix the [[records]] path"), "\(result.output)")
        #expect(!result.output.contains("port records"), "\(result.output)")
    }

    @Test func aRequiredCupsSocketInAMissingDirectoryFailsTheCheck() throws {
        defer { directory.remove() }
        let result = try check("""
            [cups]
            socket = "\(directory.path)/run/backend.sock"
            """)
        #expect(result.status == 78, "\(result.output)")
        #expect(result.output.contains("cups: the directory \(directory.path)/run of the CUPS socket"), "\(result.output)")
        #expect(result.output.contains("the daemon will refuse to start"), "\(result.output)")
    }

    @Test(.enabled(if: !fileExists("/run/spoolbridge"), "needs a machine without /run/spoolbridge"))
    func withoutACupsSectionTheCheckSaysHotFoldersOnly() throws {
        defer { directory.remove() }
        let hot = try directory.subdirectory("in")
        let result = try check("""
            [[hotfolder]]
            path = "\(hot)"
            port = "P"
            user = "u"
            """)
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("cups: not listening"), "\(result.output)")
        #expect(result.output.contains("hot folders only"), "\(result.output)")
    }

    @Test func aDirectoryGivenAsTheConfigurationIsExplained() throws {
        defer { directory.remove() }
        let result = try runCommand(Executables.path("spoolbridge"), ["check-config", "--offline", "--config", directory.path])
        #expect(result.status == 78, "\(result.output)")
        #expect(result.output.contains("\(directory.path): is a directory"), "\(result.output)")
        #expect(!result.output.contains("NSCocoaErrorDomain"), "\(result.output)")
    }
}
