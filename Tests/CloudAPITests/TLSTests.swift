import Foundation
import SpoolbridgeCore
import Testing

@testable import CloudAPI

@Suite("TLS verification")
struct TLSTests {
    @Test("a certificate from an unknown CA fails transiently with a message naming cloud.ca_file")
    func unknownCA() async throws {
        let server = try await TLSTestServer.start()
        let client = try CloudClient(configuration: .init(baseURL: "https://127.0.0.1:\(server.port)", apiKey: Secret("tls-key")))
        do {
            _ = try await client.version()
            Issue.record("an unverifiable certificate was accepted")
        } catch {
            #expect(error.kind == .transient)
            #expect(error.httpStatus == nil)
            #expect(error.message.contains("cloud.ca_file"))
            #expect(error.message.contains("127.0.0.1:\(server.port)"))
            #expect(!error.message.contains("tls-key"))
        }
        try await client.shutdown()
        try await server.shutdown()
    }

    @Test("cloud.ca_file adds the private CA as a trust root", arguments: ["127.0.0.1", "localhost"])
    func privateCA(host: String) async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let caFile = try directory.file("ca.pem", bytes: Array(TLSTestServer.caPEM.utf8))
        let server = try await TLSTestServer.start()
        let client = try CloudClient(
            configuration: .init(baseURL: "https://\(host):\(server.port)", apiKey: Secret("tls-key"), caFile: caFile))
        let version = try await client.version()
        #expect(version.version == "tls-test")
        try await client.shutdown()
        try await server.shutdown()
    }

    @Test("plain http to an https server does not hang or leak")
    func httpToHTTPS() async throws {
        let server = try await TLSTestServer.start()
        let client = try CloudClient(
            configuration: .init(baseURL: "http://127.0.0.1:\(server.port)", apiKey: Secret("tls-key"), stallTimeout: .seconds(5)))
        await #expect(throws: DeliveryFailure.self) { _ = try await client.version() }
        try await client.shutdown()
        try await server.shutdown()
    }
}
