import Config
import Foundation
import SpoolbridgeCore
import Testing

@Suite("Configuration: [auth]")
struct AuthConfigTests {
    func parse(_ text: String) throws -> DaemonConfiguration {
        try ConfigurationLoader.parse(text, file: configFile)
    }

    let spool = "\n\n[spool]\ndirectory = \"/var/lib/spoolbridge\"\n"

    @Test func withoutASectionTheModeIsAPIKeyAndTheDefaultsFollowTheCloudAndTheSpool() throws {
        let auth = try parse(minimalCloud + spool).auth
        #expect(auth.mode == .apiKey)
        #expect(auth.oauthURL == "https://print.example.com:443/oauth/v1")
        #expect(auth.oauthURLIsDefault)
        #expect(auth.stateDirectory == "/var/lib/spoolbridge/auth")
        #expect(auth.stateDirectoryIsDefault)
        #expect(auth.user == nil && auth.passwordFile == nil)
        #expect(auth.summary == ["auth: api-key (X-Api-Key only; no bearer token)"])
    }

    @Test func anIPv6CloudHostKeepsItsBrackets() throws {
        let auth = try parse("[cloud]\nurl = \"https://[2001:db8::7]:7300\"\n").auth
        #expect(auth.oauthURL == "https://[2001:db8::7]:443/oauth/v1")
    }

    @Test(arguments: [
        ("https://print.example.com:7300/api/v1", "https://print.example.com:443/oauth/v1"),
        ("https://print.example.com", "https://print.example.com:443/oauth/v1"),
        ("http://127.0.0.1:18080", "http://127.0.0.1:18080/oauth/v1"),
        ("http://[::1]:18080/api", "http://[::1]:18080/oauth/v1"),
    ])
    func theDefaultTokenServiceIsTheCloudHostOn443OrThePlainHTTPServerItself(cloud: String, oauth: String) throws {
        #expect(try parse("[cloud]\nurl = \"\(cloud)\"\n").auth.oauthURL == oauth)
    }

    @Test func aSpoolDirectoryWithATrailingSlashGivesOneSlashBeforeAuth() throws {
        let auth = try parse(minimalCloud + "\n\n[spool]\ndirectory = \"/var/lib/spoolbridge/\"\n").auth
        #expect(auth.stateDirectory == "/var/lib/spoolbridge/auth")
    }

    @Test func deviceTokenModeWithAGatewayAndItsOwnStateDirectory() throws {
        let auth = try parse(minimalCloud + spool + """

            [auth]
            mode = "device-token"
            oauth_url = "https://gateway.example.com:7400/oauth/v1"
            state = "/var/lib/spoolbridge-auth/"
            """).auth
        #expect(auth.mode == .deviceToken)
        #expect(auth.oauthURL == "https://gateway.example.com:7400/oauth/v1")
        #expect(!auth.oauthURLIsDefault)
        #expect(auth.stateDirectory == "/var/lib/spoolbridge-auth")
        #expect(!auth.stateDirectoryIsDefault)
        #expect(auth.summary.first == "auth: device-token")
        #expect(auth.summary.contains { $0.contains("gateway.example.com:7400") })
    }

    @Test func userTokenModeTakesAUserAndAPasswordFile() throws {
        let auth = try parse(minimalCloud + """

            [auth]
            mode = "user-token"
            user = "printbot"
            password_file = "/etc/spoolbridge/password"
            """).auth
        #expect(auth.mode == .userToken)
        #expect(auth.user == "printbot")
        #expect(auth.passwordFile == "/etc/spoolbridge/password")
        #expect(auth.summary.contains("auth user: printbot"))
        #expect(auth.summary.contains("auth password: read from /etc/spoolbridge/password"))
    }

    @Test func plainHTTPToLoopbackIsAcceptedAndElsewhereOnlyWithAllowInsecureHTTP() throws {
        let loopback = try parse(minimalCloud + "\n\n[auth]\nmode = \"device-token\"\noauth_url = \"http://127.0.0.1:7400/oauth/v1\"\n")
        #expect(loopback.auth.oauthURL == "http://127.0.0.1:7400/oauth/v1")

        let remote = minimalCloud + "\n\n[auth]\nmode = \"device-token\"\noauth_url = \"http://gateway.example.com:7400/oauth/v1\"\n"
        expectRefusal(remote, code: .insecure, key: "auth.oauth_url", line: line(of: "oauth_url", in: remote),
                      mentioning: ["allow_insecure_http", "https://"])

        let allowed = """
            [cloud]
            url = "https://print.example.com"
            allow_insecure_http = true

            [auth]
            oauth_url = "http://gateway.example.com:7400/oauth/v1"
            """
        #expect(try parse(allowed).auth.oauthURL == "http://gateway.example.com:7400/oauth/v1")
    }

    @Test func anUnknownModeNamesTheChoicesAndTheLine() {
        let text = minimalCloud + "\n\n[auth]\nmode = \"oauth\"\n"
        expectRefusal(text, code: .invalidValue, key: "auth.mode", line: line(of: "mode =", in: text),
                      mentioning: ["api-key", "device-token", "user-token", "\"oauth\""])
    }

    @Test func anUnknownKeyIsRefusedLikeInEverySection() {
        let text = minimalCloud + "\n\n[auth]\nmode = \"device-token\"\npasword_file = \"/etc/x\"\n"
        expectRefusal(text, code: .unknownKey, key: "auth.pasword_file", line: line(of: "pasword_file", in: text),
                      mentioning: ["mode", "oauth_url", "password_file", "state", "user"])
    }

    @Test func aBadOAuthURLIsRefusedWithoutEchoingCredentials() {
        let text = minimalCloud + "\n\n[auth]\noauth_url = \"https://admin:hunter2@print.example.com/oauth/v1\"\n"
        guard let error = refusal(text) else { return }
        #expect(error.key == "auth.oauth_url")
        #expect(error.line == line(of: "oauth_url", in: text))
        #expect(!error.description.contains("hunter2"), "a password must not reach the log: \(error)")

        let ftp = minimalCloud + "\n\n[auth]\noauth_url = \"ftp://print.example.com\"\n"
        expectRefusal(ftp, code: .invalidValue, key: "auth.oauth_url", line: line(of: "oauth_url", in: ftp), mentioning: ["https://"])
    }

    @Test func aRelativeStateDirectoryIsRefused() {
        let text = minimalCloud + "\n\n[auth]\nstate = \"auth\"\n"
        expectRefusal(text, code: .invalidValue, key: "auth.state", line: line(of: "state", in: text), mentioning: ["absolute path"])
    }

    @Test(arguments: ["user = \"printbot\"", "password_file = \"/etc/spoolbridge/password\""])
    func userSettingsOutsideUserTokenModeAreRefused(setting: String) {
        let text = minimalCloud + "\n\n[auth]\nmode = \"device-token\"\n" + setting + "\n"
        let key = "auth." + String(setting.prefix { $0 != " " })
        expectRefusal(text, code: .invalidValue, key: key, line: line(of: setting, in: text), mentioning: ["user-token"])
    }

    @Test func aPasswordFileNeedsAUser() {
        let text = minimalCloud + "\n\n[auth]\nmode = \"user-token\"\npassword_file = \"/etc/spoolbridge/password\"\n"
        expectRefusal(text, code: .missingKey, key: "auth.user", line: line(of: "[auth]", in: text), mentioning: ["auth.user"])
    }

    @Test func anEmptyUserIsRefused() {
        let text = minimalCloud + "\n\n[auth]\nmode = \"user-token\"\nuser = \"\"\n"
        expectRefusal(text, code: .invalidValue, key: "auth.user", line: line(of: "user =", in: text))
    }

    @Test func everyAuthKeyNeedsARestart() throws {
        let old = try parse(minimalCloud)
        let new = try parse(minimalCloud + """

            [auth]
            mode = "user-token"
            oauth_url = "https://gateway.example.com:7400/oauth/v1"
            state = "/var/lib/auth"
            user = "printbot"
            password_file = "/etc/spoolbridge/password"
            """)
        let plan = ReloadPlan.plan(from: old, to: new)
        #expect(plan.needsRestart == ["auth.mode", "auth.oauth_url", "auth.state", "auth.user", "auth.password_file"])
        #expect(plan.running.auth == old.auth, "the running auth stays until a restart")
    }
}

@Suite("Secret files: the password file")
struct SecretFileTests {
    func temporaryFile(_ contents: String, mode: mode_t) throws -> String {
        let path = NSTemporaryDirectory() + "spoolbridge-secret-\(UInt32.random(in: .min ... .max))"
        try Data(contents.utf8).write(to: URL(fileURLWithPath: path))
        chmod(path, mode)
        return path
    }

    let auth = DaemonConfiguration.Auth(mode: .userToken, oauthURL: "https://x/oauth/v1", stateDirectory: "/tmp/a", user: "u")

    @Test func aPasswordKeepsItsBlanksAndLosesOnlyTheFinalLineBreak() throws {
        let path = try temporaryFile("  pass word \n", mode: 0o600)
        defer { unlink(path) }
        var withFile = auth
        withFile.passwordFile = path
        let loaded = try #require(try PasswordSource.load(withFile, configFile: configFile, environment: [:]))
        #expect(loaded.secret.exposedValue == "  pass word ")
        #expect(loaded.warnings.isEmpty, "0600 draws no warning")
        #expect(loaded.origin == path)
    }

    @Test(arguments: [0o640 as mode_t, 0o600])
    func modesUpTo0640DrawNoWarning(mode: mode_t) throws {
        let path = try temporaryFile("secret-value-1\n", mode: mode)
        defer { unlink(path) }
        let loaded = try SecretFile.read(path, what: "the password file", key: "auth.password_file", configFile: configFile)
        #expect(loaded.warnings.isEmpty)
    }

    @Test(arguments: [0o644 as mode_t, 0o660, 0o604])
    func aFileReadableBeyond0640DrawsAWarningThatNamesTheFixNotTheSecret(mode: mode_t) throws {
        let path = try temporaryFile("secret-value-2\n", mode: mode)
        defer { unlink(path) }
        let loaded = try SecretFile.read(path, what: "the password file", key: "auth.password_file", configFile: configFile)
        let warning = try #require(loaded.warnings.first)
        #expect(warning.contains(path) && warning.contains("chmod 0640"))
        #expect(warning.contains(String(mode, radix: 8)))
        #expect(!warning.contains("secret-value-2"))
    }

    @Test func errorsNameTheSettingAndNeverTheContents() throws {
        let twoLines = try temporaryFile("secret-value-3\nsecond line\n", mode: 0o600)
        defer { unlink(twoLines) }
        var withFile = auth
        withFile.passwordFile = twoLines
        do {
            _ = try PasswordSource.load(withFile, configFile: configFile, environment: [:])
            Issue.record("a two-line password file was accepted")
        } catch {
            #expect(error.code == .secret)
            #expect(error.key == "auth.password_file")
            #expect(error.description.contains("exactly one line"))
            #expect(!error.description.contains("secret-value-3"))
        }

        withFile.passwordFile = "/nonexistent/spoolbridge-password"
        do {
            _ = try PasswordSource.load(withFile, configFile: configFile, environment: [:])
            Issue.record("a missing password file was accepted")
        } catch {
            #expect(error.description.contains("/nonexistent/spoolbridge-password"))
            #expect(error.description.contains("does not exist"))
        }
    }

    @Test func theSystemdCredentialIsUsedWhenNoFileIsNamed() throws {
        let directory = NSTemporaryDirectory() + "spoolbridge-credentials-\(UInt32.random(in: .min ... .max))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try Data("from-credential\n".utf8).write(to: URL(fileURLWithPath: directory + "/password"))
        chmod(directory + "/password", 0o644)  // systemd's own: its mode is not judged
        let loaded = try #require(try PasswordSource.load(auth, configFile: configFile, environment: ["CREDENTIALS_DIRECTORY": directory]))
        #expect(loaded.secret.exposedValue == "from-credential")
        #expect(loaded.warnings.isEmpty)
        #expect(try PasswordSource.load(auth, configFile: configFile, environment: [:]) == nil)
    }
}
