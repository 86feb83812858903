import Logging
import Testing

@testable import SystemIntegration

@Suite struct StderrLogFormatTests {
    /// 2026-11-23T16:00:00Z
    let instant = 1_795_449_600

    @Test func formatsTimestampLevelLabelMessageAndSortedMetadata() {
        let line = StderrLogFormat.line(
            secondsSinceEpoch: instant, level: .info, label: "spoolbridge", message: "job queued",
            metadata: ["port": "office", "job-id": "42"], error: nil
        )
        #expect(line == "2026-11-23T16:00:00Z info spoolbridge: job queued job-id=42 port=office")
    }

    @Test func timestamps() {
        #expect(StderrLogFormat.timestamp(secondsSinceEpoch: 0) == "1970-01-01T00:00:00Z")
        #expect(StderrLogFormat.timestamp(secondsSinceEpoch: 951_782_400) == "2000-02-29T00:00:00Z")
        #expect(StderrLogFormat.timestamp(secondsSinceEpoch: instant + 3_661) == "2026-11-23T17:01:01Z")
    }

    @Test func oneEntryIsOneLine() {
        let line = StderrLogFormat.line(
            secondsSinceEpoch: instant, level: .error, label: "x", message: "first\nsecond\r\u{1B}[31m\ttab",
            metadata: ["file": "a b\nc", "quote": "say \"hi\"", "path\nkey": "v"], error: nil
        )
        #expect(!line.contains("\n") && !line.contains("\r"))
        #expect(line == #"2026-11-23T16:00:00Z error x: first\nsecond\r\x1b[31m"# + "\ttab"
            + #" file="a b\nc" path_key=v quote="say \"hi\"""#)
    }

    @Test func quotesOnlyWhenNeeded() {
        #expect(StderrLogFormat.formattedValue("plain/path.pdf") == "plain/path.pdf")
        #expect(StderrLogFormat.formattedValue("") == #""""#)
        #expect(StderrLogFormat.formattedValue("a=b") == #""a=b""#)
        #expect(StderrLogFormat.formattedValue(#"C:\x y"#) == #""C:\\x y""#)
    }

    @Test func redactsSecretsAndAppendsTheError() {
        struct Refused: Error, CustomStringConvertible { var description: String { "403 forbidden" } }
        let line = StderrLogFormat.line(
            secondsSinceEpoch: instant, level: .warning, label: "l", message: "m",
            metadata: ["api_key": "k-123", "refresh_token": "r-456"], error: Refused()
        )
        #expect(line == #"2026-11-23T16:00:00Z warning l: m api_key=<redacted> error="403 forbidden" refresh_token=<redacted>"#)
    }
}

@Suite struct NotifierParsingTests {
    @Test func statusIsOneBoundedLine() {
        #expect(SystemdNotifier.sanitisedStatus("a\nb\rc\u{0}d") == "a b c d")
        #expect(SystemdNotifier.sanitisedStatus(String(repeating: "x", count: 500)).count == 200)
    }

    @Test func watchdogInterval() {
        #expect(SystemdNotifier.watchdogInterval(usec: "30000000", watchdogPID: nil, pid: 10) == .seconds(30))
        #expect(SystemdNotifier.watchdogInterval(usec: "30000000", watchdogPID: "10", pid: 10) == .seconds(30))
        #expect(SystemdNotifier.watchdogInterval(usec: "30000000", watchdogPID: "11", pid: 10) == nil)
        #expect(SystemdNotifier.watchdogInterval(usec: "0", watchdogPID: nil, pid: 10) == nil)
        #expect(SystemdNotifier.watchdogInterval(usec: "-5", watchdogPID: nil, pid: 10) == nil)
        #expect(SystemdNotifier.watchdogInterval(usec: nil, watchdogPID: nil, pid: 10) == nil)
    }

    @Test func socketPaths() {
        #expect(SystemdNotifier.validSocketPath("/run/systemd/notify") == "/run/systemd/notify")
        #expect(SystemdNotifier.validSocketPath("@/org/freedesktop/systemd1/notify") != nil)
        #expect(SystemdNotifier.validSocketPath("relative/path") == nil)
        #expect(SystemdNotifier.validSocketPath("") == nil)
        #expect(SystemdNotifier.validSocketPath("/" + String(repeating: "x", count: 200)) == nil)
    }

    @Test func watchdogNeedsTheNotifySocket() {
        let notifier = SystemdNotifier(environment: ["WATCHDOG_USEC": "30000000"], pid: 10)
        #expect(notifier.watchdogInterval == nil)
        #expect(!notifier.isEnabled)
    }
}
