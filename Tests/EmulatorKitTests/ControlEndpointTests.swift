import EmulatorKit
import Foundation
import Testing

@Suite("Control endpoints /_emulator")
struct ControlEndpointTests {
    @Test func documentsAndStatsReflectTraffic() async throws {
        try await withEmulator { emulator throws in
            #expect(try exchange(emulator, Requests.upload(MultipartBuilder.valid(data: Fixture.document)))?.status == 200)
            #expect(try exchange(emulator, Requests.get("/api/v1/version", apiKey: nil))?.status == 403)

            let listing = try #require(try exchange(emulator, Requests.get("/_emulator/documents", apiKey: nil)))
            #expect(listing.status == 200)
            let documents = try ReceivedDocument.makeJSONDecoder().decode([ReceivedDocument].self, from: Data(listing.body))
            #expect(documents.count == 1)
            #expect(documents.first?.sha256 == Fixture.documentSHA256)
            #expect(documents.first?.uuid == emulator.documents().first?.uuid)

            let stats = try #require(try exchange(emulator, Requests.get("/_emulator/stats", apiKey: nil)))
            #expect(stats.json["documents"] as? Int == 1)
            #expect(stats.json["requests"] as? Int == 2)
            #expect(stats.json["rejected"] as? Int == 1)
        }
    }

    @Test func statsTellWhenTheFirstAndLastDocumentWereReceived() async throws {
        try await withEmulator { emulator throws in
            let before = Int64((Date().timeIntervalSince1970 * 1_000_000).rounded(.down))
            for data: [UInt8] in [[1], [2]] {
                #expect(try exchange(emulator, Requests.upload(MultipartBuilder.valid(data: data)))?.status == 200)
            }
            let after = Int64((Date().timeIntervalSince1970 * 1_000_000).rounded(.up))
            let stats = try #require(try exchange(emulator, Requests.get("/_emulator/stats", apiKey: nil)))
            let first = try #require(stats.json["firstDocumentAtMicroseconds"] as? Int)
            let last = try #require(stats.json["lastDocumentAtMicroseconds"] as? Int)
            #expect(before <= Int64(first) && first <= last && Int64(last) <= after)
            let received = emulator.documents().map { Int64(($0.receivedAt.timeIntervalSince1970 * 1_000_000).rounded()) }
            #expect(received == [Int64(first), Int64(last)])

            #expect(try exchange(emulator, Requests.post("/_emulator/reset", json: ""))?.status == 200)
            let cleared = try #require(try exchange(emulator, Requests.get("/_emulator/stats", apiKey: nil)))
            #expect(cleared.json["firstDocumentAtMicroseconds"] == nil)
            #expect(cleared.json["lastDocumentAtMicroseconds"] == nil)
        }
    }

    @Test func faultsCanBeInjectedOverHTTP() async throws {
        try await withEmulator { emulator throws in
            let body = #"{"fault": {"type": "tooManyRequests", "retryAfterSeconds": 3}, "count": 2}"#
            let injected = try #require(try exchange(emulator, Requests.post("/_emulator/faults", json: body)))
            #expect(injected.status == 200)
            for _ in 0..<2 {
                let response = try #require(try exchange(emulator, Requests.upload(MultipartBuilder.valid(data: [1]))))
                #expect(response.status == 429)
                #expect(response.header("Retry-After") == "3")
            }
            #expect(try exchange(emulator, Requests.upload(MultipartBuilder.valid(data: [1])))?.status == 200)
        }
    }

    @Test func faultBodyEncodedWithTheSwiftTypeIsAccepted() async throws {
        try await withEmulator { emulator throws in
            let encoded = try JSONEncoder().encode(Fault.status(500, message: "from swift"))
            let body = #"{"fault": \#(String(decoding: encoded, as: UTF8.self))}"#
            #expect(try exchange(emulator, Requests.post("/_emulator/faults", json: body))?.status == 200)
            let response = try #require(try exchange(emulator, Requests.upload(MultipartBuilder.valid(data: [1]))))
            #expect(response.status == 500)
            #expect(response.errorMessage == "from swift")
        }
    }

    @Test func malformedFaultIs400() async throws {
        try await withEmulator { emulator throws in
            let response = try #require(
                try exchange(emulator, Requests.post("/_emulator/faults", json: #"{"fault": {"type": "explode"}}"#)))
            #expect(response.status == 400)
            #expect(response.json["code"] as? Int == 400)
        }
    }

    @Test func resetOverHTTPClearsDocuments() async throws {
        try await withEmulator { emulator throws in
            #expect(try exchange(emulator, Requests.upload(MultipartBuilder.valid(data: [1])))?.status == 200)
            #expect(try exchange(emulator, Requests.post("/_emulator/reset", json: ""))?.status == 200)
            #expect(emulator.documents().isEmpty)
            let stats = try #require(try exchange(emulator, Requests.get("/_emulator/stats", apiKey: nil)))
            #expect(stats.json["documents"] as? Int == 0)
        }
    }

    @Test func unknownControlPathAndWrongMethod() async throws {
        try await withEmulator { emulator throws in
            #expect(try exchange(emulator, Requests.get("/_emulator/nothing", apiKey: nil))?.status == 404)
            #expect(try exchange(emulator, Requests.get("/_emulator/reset", apiKey: nil))?.status == 405)
            #expect(emulator.requestCount(path: "/") == 0)  // control traffic is not counted
        }
    }
}
