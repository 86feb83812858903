import Logging
import Testing

@testable import SystemIntegration

/// What a reload relies on: the RELOADING=1 datagram and a log level that changes for handlers already made.
struct ReloadSupportTests {
    @Test func reloadingCarriesTheMonotonicClock() {
        #expect(SystemdNotifier.reloadingMessage(monotonicMicroseconds: 1_234_567) == "RELOADING=1\nMONOTONIC_USEC=1234567")
        let before = SystemdNotifier.monotonicMicroseconds()
        #expect(SystemdNotifier.monotonicMicroseconds() >= before)
    }

    @Test func handlersFollowTheSharedLevelUnlessTheirOwnWasSet() {
        let control = LogLevelControl(.info)
        var follower = StderrLogHandler(label: "t", levelControl: control)
        var fixed = JournalLogHandler(label: "t", levelControl: control)
        fixed.logLevel = .error
        #expect(follower.logLevel == .info)
        control.level = .debug
        #expect(follower.logLevel == .debug)
        #expect(fixed.logLevel == .error)
        follower.logLevel = .warning
        control.level = .trace
        #expect(follower.logLevel == .warning)
    }
}
