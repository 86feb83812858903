import SpoolbridgeCore
import Testing

@Suite("CUPS push queues: release_to in the device URI and the handoff header")
struct PushQueueHandoffTests {
    @Test func releaseToIsReadFromTheDeviceURI() throws {
        let uri = try SpoolbridgeDeviceURI(parsing: "spoolbridge:/Reception?wait=5&release_to=SN%2D123")
        #expect(uri.port == "Reception" && uri.waitSeconds == 5 && uri.releaseTo == "SN-123" && uri.ignoredParameters.isEmpty)
        #expect(throws: CupsJobError.self, "a space is no serial") {
            try SpoolbridgeDeviceURI(parsing: "spoolbridge:/Reception?release_to=SN%20123")
        }
    }

    @Test func aPlausibleTargetIsKeptAndTheRestRefused() throws {
        #expect(try SpoolbridgeDeviceURI(parsing: "spoolbridge:/Reception?release_to=10.0.0.9").releaseTo == "10.0.0.9")
        #expect(try SpoolbridgeDeviceURI(parsing: "spoolbridge:/Reception").releaseTo == nil)
        #expect(throws: CupsJobError.self) { try SpoolbridgeDeviceURI(parsing: "spoolbridge:/P?release_to=a%2Fb") }
        #expect(throws: CupsJobError.self) { try SpoolbridgeDeviceURI(parsing: "spoolbridge:/P?release_to=") }
    }

    @Test func theHeaderCarriesReleaseToAndAnOldHeaderHasNone() throws {
        let header = HandoffHeader(jobUUID: "urn:uuid:1", cupsJobID: 3, printer: "push", user: "alice", title: "a.pdf",
                                   port: "Reception", releaseTo: "SN123")
        let decoded = try HandoffHeader(decoding: Array(header.encodedLine().dropLast()))
        #expect(decoded.releaseTo == "SN123")
        #expect(decoded == header)
        var plain = header
        plain.releaseTo = nil
        #expect(!String(decoding: plain.encodedLine(), as: UTF8.self).contains("release_to"))
        #expect(try HandoffHeader(decoding: Array(plain.encodedLine().dropLast())).releaseTo == nil)
    }
}
