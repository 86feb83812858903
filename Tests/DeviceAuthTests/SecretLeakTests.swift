import CloudAPI
import Logging
import SpoolbridgeCore
import Synchronization
import Testing

@testable import DeviceAuth

/// Every log line the refresher writes, and every status it shows, is free of token values.
@Suite(.serialized)
struct SecretLeakTests {
    struct CapturingHandler: LogHandler {
        let lines: Recorder<[String]>
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace
        init(lines: Recorder<[String]>) { self.lines = lines }
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) {
            let fields = (metadata.merging(event.metadata ?? [:]) { $1 }).map { "\($0)=\($1)" }.joined(separator: " ")
            lines.change { $0.append("\(event.level) \(event.message) \(fields)") }
        }
    }

    @Test func noTokenValueReachesALogLineOrAStatus() async throws {
        let lines = Recorder<[String]>([])
        let logger = Logger(label: "test.leak") { _ in CapturingHandler(lines: lines) }
        let store = TokenStore(directory: try temporaryDirectory() + "/auth")
        try store.update { $0 = state("a") }
        let clock = ManualClock()
        let service = ScriptedTokenService()
        let statuses = Recorder<[RefreshStatus]>([])
        let refresher = TokenRefresher(
            store: store, service: service, clock: clock, random: { 0.5 }, logger: logger,
            observer: { status, _ in statuses.change { $0.append(status) } })
        try refresher.start()

        clock.advance(by: 2880)
        try await waitUntil("first refresh sent") { service.sent.count == 1 }
        try service.answer(.refused(OAuthRefusal(error: "server_error", errorDescription: "try later", httpStatus: 503)))
        try await waitUntil("retrying") { refresher.status.state == .retrying }
        clock.advance(by: 10)
        try await waitUntil("second refresh sent") { service.sent.count == 2 }
        try service.answer(.tokens(tokens("b")))
        try await waitUntil("refreshed") { refresher.status.state == .fresh && refresher.status.attempts == 0 }
        let report = Task { await refresher.accessTokenWasRejected(Secret("access-b")) }
        try await waitUntil("refresh after 401 sent") { service.sent.count == 3 }
        try service.answer(.refused(OAuthRefusal(error: "invalid_grant", httpStatus: 400)))
        #expect(await report.value == false, "no new token after invalid_grant")
        try await waitUntil("stopped") { refresher.status.state == .needsRegistration }

        let everything = lines.value + statuses.value.map { "\($0) \($0.summary) \($0.remedy ?? "")" } + ["\(refresher.status)"]
        #expect(lines.value.contains { $0.contains("spoolbridge device register") && $0.hasPrefix("error") })
        for secret in ["access-a", "refresh-a", "access-b", "refresh-b"] {
            #expect(!everything.contains { $0.contains(secret) }, "\(secret) leaked")
        }
    }
}
