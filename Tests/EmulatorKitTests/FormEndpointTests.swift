import EmulatorKit
import Foundation
import Testing

/// A raw request with an optional form body; `contentType: nil` sends none.
private func formRequest(
    _ method: String, _ target: String, body: String = "",
    contentType: String? = "application/x-www-form-urlencoded", apiKey: String? = Requests.apiKey
) -> [UInt8] {
    var head = "\(method) \(target) HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: \(body.utf8.count)\r\n"
    if let contentType { head += "Content-Type: \(contentType)\r\n" }
    if let apiKey { head += "X-Api-Key: \(apiKey)\r\n" }
    return Array((head + "\r\n" + body).utf8)
}

/// Uploads one valid document and returns the uuid the emulator gave it.
private func uploadDocument(_ emulator: CloudEmulator) throws -> String {
    let response = try #require(try exchange(emulator, Requests.upload(MultipartBuilder.valid(data: Fixture.document))))
    #expect(response.status == 200)
    return try #require(response.json["uuid"] as? String)
}

@Suite("Emulator: POST /documents/history")
struct HistoryEndpointTests {
    @Test func documentedFieldsAreRecordedExactly() async throws {
        try await withEmulator { emulator throws in
            let body = "jobtype=COPY&totalpages=12&colorpages=3&papersize=A4&duplex=true&title=Q3%20report"
                + "&serialnumber=SN123&username=alice&providerid=7"
            let response = try #require(try exchange(emulator, formRequest("POST", "/api/v1/documents/history", body: body)))
            #expect(response.status == 200)
            let records = emulator.records()
            try #require(records.count == 1)
            #expect(records[0].fields == [
                "jobtype": "COPY", "totalpages": "12", "colorpages": "3", "papersize": "A4", "duplex": "true",
                "title": "Q3 report", "serialnumber": "SN123", "username": "alice", "providerid": "7",
            ])
            let listing = try #require(try exchange(emulator, Requests.get("/api/v1/documents/history?jobtype=COPY")))
            #expect(listing.status == 200)
            #expect(listing.json["recordsOnPage"] as? Int == 1)
            let control = try #require(try exchange(emulator, Requests.get("/_emulator/records", apiKey: nil)))
            #expect(control.text.contains("\"jobtype\":\"COPY\""))
        }
    }

    @Test("each invalid record is 400 with a message naming the field", arguments: [
        ("totalpages=3", "jobtype"),
        ("jobtype=PHOTOCOPY", "jobtype"),
        ("jobtype=copy", "jobtype"),
        ("jobtype=SCAN&totalpages=-1", "totalpages"),
        ("jobtype=SCAN&totalpages=ten", "totalpages"),
        ("jobtype=SCAN&totalpages=2&colorpages=3", "colorpages"),
        ("jobtype=FAX&duplex=yes", "duplex"),
        ("jobtype=FAX&providerid=7", "providerid"),
        ("jobtype=FAX&color=3", "color"),
        ("jobtype=FAX&jobtype=COPY", "jobtype"),
        ("jobtype=FAX&title=%ZZ", "%"),
    ])
    func invalidRecords(body: String, named: String) async throws {
        try await withEmulator { emulator throws in
            let response = try #require(try exchange(emulator, formRequest("POST", "/api/v1/documents/history", body: body)))
            #expect(response.status == 400)
            #expect(response.errorMessage.contains(named), "\(response.errorMessage)")
            #expect(emulator.records().isEmpty)
        }
    }

    @Test func formContentTypeAndKeyAreRequired() async throws {
        try await withEmulator { emulator throws in
            let json = try #require(try exchange(emulator, formRequest(
                "POST", "/api/v1/documents/history", body: "jobtype=COPY", contentType: "application/json")))
            #expect(json.status == 400)
            #expect(json.errorMessage.contains("application/x-www-form-urlencoded"))
            let noKey = try #require(try exchange(emulator, formRequest(
                "POST", "/api/v1/documents/history", body: "jobtype=COPY", apiKey: nil)))
            #expect(noKey.status == 403)
            #expect(emulator.records().isEmpty)
        }
    }
}

@Suite("Emulator: release to an output port and /card")
struct ReleaseAndCardEndpointTests {
    @Test func releaseOfAKnownDocumentWithAnEmptyFormBody() async throws {
        try await withEmulator { emulator throws in
            let uuid = try uploadDocument(emulator)
            let response = try #require(try exchange(emulator, formRequest("POST", "/api/v1/documents/\(uuid)/SN123")))
            #expect(response.status == 200)
            let second = try #require(try exchange(emulator, formRequest(
                "POST", "/api/v1/documents/\(uuid)/10.0.0.7", body: "copies=2&grayscale=true&duplex=1&retain=false")))
            #expect(second.status == 200)
            let releases = emulator.releases()
            try #require(releases.count == 2)
            #expect(releases[0].documentUUID == uuid && releases[0].printer == "SN123" && releases[0].fields.isEmpty)
            #expect(releases[1].printer == "10.0.0.7")
            #expect(releases[1].fields == ["copies": "2", "grayscale": "true", "duplex": "1", "retain": "false"])
        }
    }

    @Test func releaseWithoutTheFormContentTypeIs400() async throws {
        try await withEmulator { emulator throws in
            let uuid = try uploadDocument(emulator)
            let response = try #require(try exchange(emulator, formRequest(
                "POST", "/api/v1/documents/\(uuid)/SN123", contentType: nil)))
            #expect(response.status == 400)
            #expect(response.errorMessage.contains("application/x-www-form-urlencoded"))
            #expect(emulator.releases().isEmpty)
        }
    }

    @Test func releaseOfAnUnknownDocumentIs404WithAMessage() async throws {
        try await withEmulator { emulator throws in
            let response = try #require(try exchange(emulator, formRequest(
                "POST", "/api/v1/documents/0b7e9f1c-0000-4000-8000-000000000000/SN123")))
            #expect(response.status == 404)
            #expect(response.errorMessage.contains("not found"))
            let invalid = try #require(try exchange(emulator, formRequest(
                "POST", "/api/v1/documents/\(try uploadDocument(emulator))/SN1", body: "duplex=3")))
            #expect(invalid.status == 400)
            #expect(invalid.errorMessage.contains("duplex"))
            #expect(emulator.releases().isEmpty)
        }
    }

    @Test func cardSwipeTakesQueryParametersOnly() async throws {
        try await withEmulator { emulator throws in
            let ok = try #require(try exchange(emulator, formRequest("POST", "/api/v1/card?cd=04A1B2C3&Mac=10.0.0.7")))
            #expect(ok.status == 200)
            let inBody = try #require(try exchange(emulator, formRequest("POST", "/api/v1/card", body: "cd=04A1B2C3&Mac=10.0.0.7")))
            #expect(inBody.status == 400)
            #expect(inBody.errorMessage.contains("query parameters"))
            let missing = try #require(try exchange(emulator, formRequest("POST", "/api/v1/card?cd=04A1B2C3")))
            #expect(missing.status == 400)
            #expect(missing.errorMessage.contains("Mac"))
            #expect(emulator.cardSwipes().map(\.cardID) == ["04A1B2C3"])
            #expect(emulator.cardSwipes().first?.mac == "10.0.0.7")
        }
    }
}
