import ArgumentParser
import Config
import DeviceAuth
import Foundation
import SpoolbridgeCore

struct LoginCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "login",
        abstract: "Log in as a cloud user and store a user token pair (user-token mode).",
        discussion: """
            For tenants that authorize a user rather than the device: POST /api/v1/login (authtype 0) with \
            the user and the password read from --password-file (never from the command line); without them, \
            [auth] user and [auth] password_file (or the systemd credential `password`) are used. The token pair \
            is stored in <spool>/auth/state.json (mode 0600) and refreshed by the daemon with client_id `api`. \
            The password file must not be readable by others: mode 0600 or 0640. Prefer \
            `spoolbridge device register` unless the tenant requires user tokens (Docs/authentication.md).
            """)

    @OptionGroup var options: ConfigOption

    @Option(help: ArgumentHelp("The cloud user to log in as (default: [auth] user).", valueName: "user"))
    var user: String?

    @Option(help: ArgumentHelp(
        "A file holding the password on its first line, mode 0600 or 0640 (default: [auth] password_file).", valueName: "path"))
    var passwordFile: String?

    func run() async throws {
        do {
            let (user, password) = try credentials()
            let context = try AuthContext.load(options, mode: .userToken, needsKey: true)
            let client = try context.oauthClient()
            let registration = DeviceRegistration(configuration: context.auth, service: client)
            let result: Result<AuthState, RegistrationError>
            do { result = .success(try await registration.login(user: user, password: password)) } catch { result = .failure(error) }
            try? await client.shutdown()
            let state = try result.get()
            let expiry = state.tokens.map { Formatting.time($0.accessTokenExpiresAt) } ?? "unknown"
            print("logged in as \(user): the access token is valid until \(expiry); tokens stored in \(context.auth.stateFile) (mode 0600).")
            print(context.afterRegistrationHint())
        } catch {
            Self.fail(error)
        }
    }
}

extension LoginCommand {
    /// The options, else `[auth]`; read before the CLI takes on the spool owner's identity (the
    /// password file may be root's).
    func credentials() throws -> (user: String, password: Secret) {
        let auth = try options.load().auth
        guard let user = user ?? auth.user else {
            throw CLIError("say whose token to get: --user NAME, or [auth] user = \"NAME\" in \(options.config)")
        }
        if let passwordFile { return (user, try PasswordFile.read(passwordFile)) }
        let loaded: SecretFile.Loaded?
        do {
            loaded = try PasswordSource.load(auth, configFile: options.config)
        } catch {
            throw CLIError("\(error)", exitCode: 78)
        }
        guard let loaded else {
            throw CLIError("no password: give --password-file FILE, or set [auth] password_file in \(options.config)")
        }
        for warning in loaded.warnings { FileHandle.standardError.write(Data("spoolbridge: warning: \(warning)\n".utf8)) }
        return (user, loaded.secret)
    }
}

/// Reads a password file: refused when others may read it, warned about when the group may write it.
enum PasswordFile {
    static func read(_ path: String) throws -> Secret {
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw CLIError("cannot read the password file \(path): \(String(cString: strerror(errno)))")
        }
        let mode = info.st_mode & 0o777
        if mode & 0o007 != 0 {
            throw CLIError("the password file \(path) has mode \(String(mode, radix: 8)) and other users can reach it; "
                + "run chmod 0600 \(path) and change the password if others could have read it")
        }
        if mode & 0o030 != 0 {
            FileHandle.standardError.write(Data(
                "spoolbridge: warning: the password file \(path) has mode \(String(mode, radix: 8)); make it 0600 or 0640 (chmod 0600 \(path))\n".utf8))
        }
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw CLIError("cannot read the password file \(path) (or it is not UTF-8 text)")
        }
        let password = String(text.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false).first ?? "")
            .trimmingCharacters(in: CharacterSet(charactersIn: "\r"))
        guard !password.isEmpty else { throw CLIError("the password file \(path) is empty; put the password on its first line") }
        return Secret(password)
    }
}
