import EmulatorKit
import Foundation
import SpoolbridgeCore
import Testing

@testable import CloudAPI

enum EmulatorClientFixture {
    static let apiKey = "emulator-test-key-1f3a"
}

/// Runs `body` with a fresh emulator, a client and a temp directory, and tears them down.
func withEmulator(
    apiKey: String = EmulatorClientFixture.apiKey, stallTimeout: Duration = .seconds(60), maxConnections: Int = 4,
    _ body: (CloudEmulator, CloudClient, TemporaryDirectory) async throws -> Void
) async throws {
    let emulator = try await CloudEmulator.start(CloudEmulator.Configuration(apiKey: EmulatorClientFixture.apiKey))
    let directory = try TemporaryDirectory()
    let client = try CloudClient(
        configuration: .init(
            baseURL: emulator.baseURL, apiKey: Secret(apiKey), maxConnections: maxConnections, stallTimeout: stallTimeout))
    do {
        try await body(emulator, client, directory)
    } catch {
        try? await client.shutdown()
        try? await emulator.shutdown()
        directory.remove()
        throw error
    }
    try await client.shutdown()
    try await emulator.shutdown()
    directory.remove()
}

/// The `DeliveryFailure` `operation` throws (recording an issue when it throws none or another
/// error), after checking it does not quote the API key.
func expectFailure(
    _ operation: () async throws -> Void, sourceLocation: SourceLocation = #_sourceLocation
) async -> DeliveryFailure? {
    do {
        try await operation()
        Issue.record("expected a DeliveryFailure", sourceLocation: sourceLocation)
        return nil
    } catch let failure as DeliveryFailure {
        #expect(!failure.message.contains(EmulatorClientFixture.apiKey), sourceLocation: sourceLocation)
        #expect(!failure.description.contains(EmulatorClientFixture.apiKey), sourceLocation: sourceLocation)
        return failure
    } catch {
        Issue.record("expected a DeliveryFailure, got \(type(of: error)): \(error)", sourceLocation: sourceLocation)
        return nil
    }
}
