import EmulatorKit
import SpoolbridgeCore
import Testing
@testable import CloudAPI

@Test func probeMessages() async throws {
    let emulator = try await CloudEmulator.start(CloudEmulator.Configuration(apiKey: "k"))
    let directory = try TemporaryDirectory()
    let path = try directory.file("a", bytes: patternBytes(count: 2_000_000))
    let client = try CloudClient(configuration: .init(baseURL: emulator.baseURL, apiKey: Secret("k"), requestTimeout: .milliseconds(300)))
    let req = DocumentRequest(username: "u", portname: "p", title: "t")
    for fault in [Fault.resetConnection, .delay(milliseconds: 2000), .status(413, message: "too big"), .status(500, message: "")] {
        emulator.inject(fault)
        do { _ = try await client.uploadDocument(req, filePath: path, fileName: "a") } catch { print("PROBE \(fault): \(error.kind) \(error)") }
    }
    try await client.shutdown()
    try await emulator.shutdown()
    let c2 = try CloudClient(configuration: .init(baseURL: emulator.baseURL, apiKey: Secret("k")))
    do { _ = try await c2.version() } catch { print("PROBE refused: \(error)") }
    try await c2.shutdown()
    let c3 = try CloudClient(configuration: .init(baseURL: "https://10.255.255.1:7300", apiKey: Secret("k"), connectTimeout: .milliseconds(300)))
    do { _ = try await c3.version() } catch { print("PROBE connect timeout: \(error)") }
    try await c3.shutdown()
    let c4 = try CloudClient(configuration: .init(baseURL: "https://nonexistent.invalid", apiKey: Secret("k")))
    do { _ = try await c4.version() } catch { print("PROBE dns: \(error)") }
    try await c4.shutdown()
    directory.remove()
}
