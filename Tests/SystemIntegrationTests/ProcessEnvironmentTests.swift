import Logging
import ServiceLifecycle
import Testing

@testable import SystemIntegration

#if canImport(Glibc)
import Glibc
#endif

/// Everything here reads or writes process environment variables, which all tests in the process share:
/// the suite runs serialised and each test restores what it changed.
@Suite(.serialized)
struct ProcessEnvironmentTests {
    @Test func notifierSendsReadyStatusStoppingAndWatchdogDatagrams() async throws {
        let receiver = try NotifySocketReceiver()
        let notifier = await withEnvironment(["NOTIFY_SOCKET": receiver.path]) { SystemdNotifier() }
        #expect(notifier.isEnabled)

        notifier.ready(status: "serving 2 hot folders")
        notifier.status("delivering job 42\nsecond line")
        notifier.watchdogPing()
        notifier.stopping()

        let received = await receiver.collect { $0.count >= 4 }
        #expect(received == [
            "READY=1\nSTATUS=serving 2 hot folders",
            "STATUS=delivering job 42 second line",
            "WATCHDOG=1",
            "STOPPING=1",
        ])
    }

    @Test func notifierIsANoOpWithoutNotifySocket() async {
        let notifier = await withEnvironment(["NOTIFY_SOCKET": nil, "WATCHDOG_USEC": "200000"]) { SystemdNotifier() }
        #expect(!notifier.isEnabled)
        #expect(notifier.watchdogInterval == nil)
        #expect(!notifier.send("READY=1"))
    }

    @Test func notifierReadsWatchdogFromEnvironment() async throws {
        let receiver = try NotifySocketReceiver()
        let environment: [String: String?] = [
            "NOTIFY_SOCKET": receiver.path, "WATCHDOG_USEC": "200000", "WATCHDOG_PID": "\(getpid())",
        ]
        let notifier = await withEnvironment(environment) { SystemdNotifier() }
        #expect(notifier.watchdogInterval == .milliseconds(200))

        let otherPID = await withEnvironment(environment.merging(["WATCHDOG_PID": "1"]) { $1 }) {
            SystemdNotifier()
        }
        #expect(otherPID.watchdogInterval == nil, "WATCHDOG_PID names another process")
    }

    @Test func environmentHelperRestoresValues() async {
        setenv("SPOOLBRIDGE_TEST_VARIABLE", "before", 1)
        defer { unsetenv("SPOOLBRIDGE_TEST_VARIABLE") }
        await withEnvironment(["SPOOLBRIDGE_TEST_VARIABLE": "during"]) {
            #expect(String(cString: getenv("SPOOLBRIDGE_TEST_VARIABLE")) == "during")
        }
        #expect(String(cString: getenv("SPOOLBRIDGE_TEST_VARIABLE")) == "before")
    }

    @Test func stderrIsNotTheJournalWhenJournalStreamIsUnsetOrMismatched() async {
        await withEnvironment(["JOURNAL_STREAM": nil]) {
            #expect(!LogBootstrap.isStderrJournal())
        }
        await withEnvironment(["JOURNAL_STREAM": "1:2"]) {
            #expect(!LogBootstrap.isStderrJournal())
        }
        await withEnvironment(["JOURNAL_STREAM": "garbage"]) {
            #expect(!LogBootstrap.isStderrJournal())
        }
    }

    @Test func stderrIsTheJournalWhenJournalStreamNamesStderr() async {
        var status = stat()
        #expect(fstat(STDERR_FILENO, &status) == 0)
        await withEnvironment(["JOURNAL_STREAM": "\(status.st_dev):\(status.st_ino)"]) {
            #expect(LogBootstrap.isStderrJournal())
        }
    }
}
