import ArgumentParser
import SystemIntegration

@main
struct Spoolbridge: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "spoolbridge",
        abstract: "Bridge print servers and hot folders to the cloud print service.",
        discussion: """
            Files dropped into hot folders and jobs printed to spoolbridge: CUPS queues are stored durably \
            in the spool, then uploaded to the cloud with retries. The daemon is `spoolbridge run`; the other \
            commands inspect and steer it and work while it runs.

            Configuration: /etc/spoolbridge/spoolbridge.toml (see Docs/configuration.md).
            """,
        subcommands: [RunCommand.self, CheckConfigCommand.self, StatusCommand.self, JobsCommand.self,
                      RetryCommand.self, CancelCommand.self, RecordCommand.self, ReleaseCommand.self, DeviceCommand.self,
                      LoginCommand.self])

    /// Sets the allocator up before the first thread other than this one starts (see `MallocArenas`).
    static func main() async {
        MallocArenas.useOne()
        await main(nil)
    }
}
