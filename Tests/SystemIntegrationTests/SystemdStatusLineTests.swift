#if canImport(Glibc)
import Glibc
#endif
import Testing

@testable import SystemIntegration

/// STATUS= composed of the daemon's part and auth's, over a real notification socket.
struct SystemdStatusLineTests {
    @Test func authsPartJoinsTheLineOnlyWhileSetAndSurvivesTheOtherPartsChanges() throws {
        let receiver = try NotifySocketReceiver()
        let line = SystemdStatusLine(notifier: SystemdNotifier(environment: ["NOTIFY_SOCKET": receiver.path], pid: getpid()))

        line.ready("running; 0 job(s) queued at start")
        #expect(receiver.drain() == ["READY=1\nSTATUS=running; 0 job(s) queued at start"])

        line.setAuth("auth (device-token): needs re-registration: run `spoolbridge device register`")
        #expect(receiver.drain() == [
            "STATUS=running; 0 job(s) queued at start; auth (device-token): needs re-registration: run `spoolbridge device register`",
        ])
        line.setAuth("auth (device-token): needs re-registration: run `spoolbridge device register`")
        #expect(receiver.drain().isEmpty, "an unchanged part sends nothing")

        line.setMain("watching 2 hot folders")
        #expect(receiver.drain() == [
            "STATUS=watching 2 hot folders; auth (device-token): needs re-registration: run `spoolbridge device register`",
        ])

        line.setAuth(nil)
        #expect(receiver.drain() == ["STATUS=watching 2 hot folders"])
    }
}
