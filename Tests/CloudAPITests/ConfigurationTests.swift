import Foundation
import SpoolbridgeCore
import Testing

@testable import CloudAPI

@Suite("Client configuration")
struct ConfigurationTests {
    private func configuration(_ url: String, insecure: Bool = false, key: String = "k3y") -> CloudClient.Configuration {
        CloudClient.Configuration(baseURL: url, apiKey: Secret(key), allowInsecureHTTP: insecure)
    }

    private func code(_ url: String, insecure: Bool = false, key: String = "k3y") -> CloudClientError.Code? {
        do {
            try configuration(url, insecure: insecure, key: key).validate()
            return nil
        } catch {
            return error.code
        }
    }

    @Test("plain http to loopback is accepted", arguments: [
        "http://127.0.0.1:8080", "http://127.1.2.3", "http://localhost:7300/", "http://[::1]:9000", "HTTP://LOCALHOST",
        "http://[::ffff:127.0.0.1]:80",
    ])
    func loopbackHTTP(url: String) {
        #expect(code(url) == nil)
    }

    @Test("plain http elsewhere needs allow_insecure_http", arguments: [
        "http://example.com", "http://10.0.0.5:7300", "http://[2001:db8::1]", "http://localhost.example.com",
    ])
    func insecureHTTP(url: String) throws {
        #expect(code(url) == .insecureURL)
        #expect(code(url, insecure: true) == nil)
        let error = try #require(throws: CloudClientError.self) { try configuration(url).validate() }
        #expect(error.message.contains("cloud.allow_insecure_http"))
    }

    @Test("https is accepted", arguments: [
        "https://print.example.com:7300", "https://print.example.com", "https://10.0.0.5:7300/prefix/", "https://[2001:db8::1]:7300",
    ])
    func https(url: String) {
        #expect(code(url) == nil)
    }

    @Test("garbage is refused", arguments: [
        "", "print.example.com", "ftp://example.com", "https://", "https://:7300", "https://host:0", "https://host:70000",
        "https://host:port", "https://user:pass@host", "https://host/a?b=c", "https://host#x", "https://ho st",
        "https://[::1", "https://[nonsense]:80", "https://hóst.example",
    ])
    func garbage(url: String) {
        #expect(code(url, insecure: true) == .invalidURL)
    }

    @Test("a rejected URL never shows its credentials")
    func credentialsHidden() throws {
        let error = try #require(throws: CloudClientError.self) {
            try configuration("https://admin:hunter2@host").validate()
        }
        #expect(!error.description.contains("hunter2"))
    }

    @Test("endpoints are built under /api/v1")
    func endpoints() throws {
        #expect(try CloudBaseURL(parsing: "https://h:7300").endpoint("documents") == "https://h:7300/api/v1/documents")
        #expect(try CloudBaseURL(parsing: "https://h:7300/").endpoint("version") == "https://h:7300/api/v1/version")
        #expect(try CloudBaseURL(parsing: "https://h/gw/").endpoint("version") == "https://h/gw/api/v1/version")
        #expect(try CloudBaseURL(parsing: "https://h/api/v1/").endpoint("version") == "https://h/api/v1/version")
        #expect(try CloudBaseURL(parsing: "http://[::1]:8080").endpoint("version") == "http://[::1]:8080/api/v1/version")
        #expect(try CloudBaseURL(parsing: "https://H.Example.COM").authority == "h.example.com:443")
    }

    @Test("the API key must be one visible ASCII token, and errors never quote it", arguments: ["", "key\n", "k ey", "kéy"])
    func apiKey(key: String) throws {
        let error = try #require(throws: CloudClientError.self) {
            try configuration("https://h", key: key).validate()
        }
        #expect(error.code == .invalidAPIKey)
        #expect(error.message.contains("cloud.api_key_file"))
        if !key.isEmpty { #expect(!error.description.contains(key)) }
    }

    @Test("limits must be positive")
    func limits() throws {
        var zeroConnections = configuration("https://h")
        zeroConnections.maxConnections = 0
        #expect(throws: CloudClientError.self) { try zeroConnections.validate() }
        var zeroTimeout = configuration("https://h")
        zeroTimeout.connectTimeout = .zero
        #expect(throws: CloudClientError.self) { try zeroTimeout.validate() }
        var zeroStall = configuration("https://h")
        zeroStall.stallTimeout = .zero
        let error = try #require(throws: CloudClientError.self) { try zeroStall.validate() }
        #expect(error.code == .invalidLimit)
        #expect(error.message.contains("delivery.stall_seconds"))
    }

    @Test("a missing or non-PEM CA file stops the client from being created")
    func caFile() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cloudapi-ca-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let notPEM = directory.appendingPathComponent("not.pem").path
        try Data("hello".utf8).write(to: URL(fileURLWithPath: notPEM))

        for path in [directory.appendingPathComponent("missing.pem").path, notPEM, directory.path] {
            var settings = configuration("https://h")
            settings.caFile = path
            let error = try #require(throws: CloudClientError.self) { _ = try CloudClient(configuration: settings) }
            #expect(error.code == .caFileUnreadable)
            #expect(error.message.contains(path))
        }
    }
}
