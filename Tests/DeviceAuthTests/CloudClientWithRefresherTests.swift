import CloudAPI
import Logging
import SpoolbridgeCore
import Testing

@testable import DeviceAuth

/// `CloudClient` with the real refresher over loopback HTTP: a refused token is refreshed once and
/// the call retried; a dead grant is `unauthorized` with the command to run.
@Suite(.serialized)
struct CloudClientWithRefresherTests {
    @Test func a401RefreshesOnceAndTheRetrySucceeds() async throws {
        let server = try await BearerCheckingServer.start(accepting: "access-b")
        let fixture = try TokenRefresherTests.Fixture(stored: state("a"), now: t0.adding(seconds: 60))
        let client = try CloudClient(
            configuration: .init(baseURL: server.baseURL, apiKey: Secret("api-key-test")), tokenSource: fixture.refresher)
        let service = fixture.service
        let answering = Task {
            try await waitUntil("the refresh after the 401") { service.sent.count == 1 }
            try service.answer(.tokens(tokens("b")))
        }
        _ = try await client.version()
        try await answering.value
        #expect(server.seen == ["access-a", "access-b"])
        #expect(service.sent.count == 1)
        #expect(try fixture.onDisk().tokens?.accessToken == Secret("access-b"))
        try await client.shutdown()
        try await server.shutdown()
    }

    @Test func aDeadGrantIsUnauthorizedAndSaysWhatToRun() async throws {
        let server = try await BearerCheckingServer.start(accepting: "never")
        let fixture = try TokenRefresherTests.Fixture(stored: state("a"), now: t0.adding(seconds: 60))
        let client = try CloudClient(
            configuration: .init(baseURL: server.baseURL, apiKey: Secret("api-key-test")), tokenSource: fixture.refresher)
        let service = fixture.service
        let answering = Task {
            try await waitUntil("the refresh after the 401") { service.sent.count == 1 }
            try service.answer(.refused(OAuthRefusal(error: "invalid_grant", httpStatus: 400)))
        }
        let failure = await #expect(throws: DeliveryFailure.self) { _ = try await client.version() }
        try await answering.value
        #expect(failure?.kind == .unauthorized)
        #expect(server.seen == ["access-a"], "the refused token is not sent again")

        // The next call does not reach the cloud with a token known to be refused.
        let next = await #expect(throws: DeliveryFailure.self) { _ = try await client.version() }
        #expect(next?.kind == .unauthorized)
        #expect(next?.message.contains("spoolbridge device register") == true)
        #expect(server.seen == ["access-a"])
        try await client.shutdown()
        try await server.shutdown()
    }
}
