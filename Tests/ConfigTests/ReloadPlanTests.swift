import Config
import Foundation
import Testing

@Suite("Reload: what changes live and what needs a restart")
struct ReloadPlanTests {
    func parse(_ text: String) throws -> DaemonConfiguration {
        try ConfigurationLoader.parse(text, file: configFile)
    }

    let base = minimalCloud + """

        [delivery]
        concurrency = 2

        [[hotfolder]]
        path = "/srv/a"
        port = "A"
        user = "alice"
        """

    @Test func aCardReaderChangeNeedsARestart() throws {
        let reader = "\n\n[card_reader]\nlisten = \"127.0.0.1:7310\"\nreader = \"10.0.0.7\"\n"
        let plan = ReloadPlan.plan(from: try parse(base), to: try parse(base + reader))
        #expect(plan.needsRestart == ["card_reader"])
    }

    @Test func theSameConfigurationChangesNothing() throws {
        let plan = ReloadPlan.plan(from: try parse(base), to: try parse(base))
        #expect(plan.changesNothing)
        #expect(plan.running == (try parse(base)))
    }

    @Test func hotFoldersAddedRemovedAndChangedAreNamed() throws {
        let old = try parse(base + "\n\n[[hotfolder]]\npath = \"/srv/b\"\nport = \"B\"\nuser = \"bob\"\n")
        let new = try parse(minimalCloud + """

            [delivery]
            concurrency = 2

            [[hotfolder]]
            path = "/srv/a"
            port = "A2"
            user = "alice"

            [[hotfolder]]
            path = "/srv/c"
            port = "C"
            user = "carol"
            """)
        let plan = ReloadPlan.plan(from: old, to: new)
        #expect(plan.hotFolders?.map(\.path) == ["/srv/a", "/srv/c"])
        #expect(plan.addedFolders == ["/srv/c"])
        #expect(plan.removedFolders == ["/srv/b"])
        #expect(plan.changedFolders == ["/srv/a"])
        #expect(plan.needsRestart.isEmpty)
        #expect(plan.running.hotFolders == new.hotFolders)
    }

    @Test func concurrencyLogLevelAndHealthThresholdApplyLive() throws {
        let new = try parse(base.replacingOccurrences(of: "concurrency = 2", with: "concurrency = 8")
            + "\n\n[log]\nlevel = \"debug\"\n\n[http]\nunhealthy_after_seconds = 30\n")
        let plan = ReloadPlan.plan(from: try parse(base), to: new)
        #expect(plan.concurrency == 8)
        #expect(plan.logLevel == "debug")
        #expect(plan.unhealthyAfterSeconds == 30)
        #expect(plan.hotFolders == nil)
        #expect(plan.needsRestart.isEmpty)
        #expect(plan.running == new)
    }

    @Test func settingsBuiltAtStartAreNamedAndKeepTheirRunningValues() throws {
        let old = try parse(base)
        let new = try parse(base + """


            [spool]
            directory = "/var/lib/elsewhere"

            [cups]
            socket = "/run/other/backend.sock"

            [http]
            listen = "127.0.0.1:9631"
            """)
        let plan = ReloadPlan.plan(from: old, to: new)
        #expect(plan.needsRestart == ["spool.directory", "cups.socket", "[cups]", "http.listen"])
        #expect(plan.running.spool.directory == old.spool.directory)
        #expect(plan.running.cups == old.cups)
        #expect(plan.running.http.listen == nil)
        #expect(!plan.changesNothing)
    }
}
