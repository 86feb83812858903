import ArgumentParser
import DeviceAuth
import Foundation
import SpoolbridgeCore

struct DeviceRegisterCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "register",
        abstract: "Register this device with the cloud's token service and wait until an administrator approves it.",
        discussion: """
            Sends the device id (generated once, kept in <spool>/auth/state.json) with the API key to \
            POST /oauth/v1/register, prints what to approve in the cloud's admin UI, then asks every few \
            seconds until the device is approved or the request expires (the cloud allows 3 days by default). \
            The tokens are stored in <spool>/auth/state.json (mode 0600). Run it again whenever \
            `spoolbridge device status` says the device must be registered again (e.g. after invalid_grant); \
            the device id stays the same. Ctrl-C stops waiting; nothing is changed until the approval.
            """)

    @OptionGroup var options: ConfigOption

    @Option(help: ArgumentHelp("What the admin UI shows next to the device id.", valueName: "text"))
    var description: String?

    func run() async throws {
        do {
            let context = try AuthContext.load(options, mode: .deviceToken, needsKey: true)
            var auth = context.auth
            auth.deviceDescription = description ?? "spoolbridge on \(ProcessInfo.processInfo.hostName)"
            let client = try context.oauthClient()
            let registration = DeviceRegistration(configuration: auth, service: client)
            print("registering with the token service at \(auth.oauthURL)…")
            let result: Result<AuthState, RegistrationError>
            do { result = .success(try await registration.register(progress: Self.show)) } catch { result = .failure(error) }
            try? await client.shutdown()
            let state = try result.get()
            print("tokens stored in \(auth.stateFile) (mode 0600) for device \(state.deviceID).")
            print(context.afterRegistrationHint())
        } catch {
            Self.fail(error)
        }
    }

    @Sendable static func show(_ step: DeviceRegistration.Step) {
        switch step {
        case .approve(let deviceID, let description, let expiresAt):
            print("""
                In the cloud's admin UI, approve the device "\(deviceID)" (\(description)) before \(Formatting.time(expiresAt)).
                Waiting for the approval (Ctrl-C stops waiting)…
                """)
        case .waiting(let polls, _):
            if polls % 12 == 0 { print("still waiting for the approval (\(polls) checks so far)…") }
        case .approved(let expiresAt):
            print("approved: the access token is valid until \(Formatting.time(expiresAt)); the daemon refreshes it from now on.")
        }
        fflush(nil)
    }
}
