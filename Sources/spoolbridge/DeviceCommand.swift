import ArgumentParser

struct DeviceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "device",
        abstract: "Register this spoolbridge with the cloud for a device token, and show the token's state.",
        discussion: """
            Tenants that switch "allow untrusted endpoints" off require a bearer token on every call. \
            `spoolbridge device register` obtains one for this machine (an administrator approves it in the \
            cloud's admin UI); the daemon then keeps it fresh. See Docs/authentication.md.
            """,
        subcommands: [DeviceRegisterCommand.self, DeviceStatusCommand.self])
}
