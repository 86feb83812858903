import EmulatorKit
import Testing

@Suite("Version, API key and routing over loopback")
struct RoutingTests {
    @Test func versionWithKey() async throws {
        try await withEmulator { emulator throws in
            let response = try #require(try exchange(emulator, Requests.get("/api/v1/version")))
            #expect(response.status == 200)
            #expect(response.json["version"] as? String == "emulator-1.0")
            #expect(response.json["apiVersion"] as? String == "1")
            #expect(response.header("Content-Type")?.hasPrefix("application/json") == true)
        }
    }

    @Test func versionWithoutKeyIs403() async throws {
        try await withEmulator { emulator throws in
            let response = try #require(try exchange(emulator, Requests.get("/api/v1/version", apiKey: nil)))
            #expect(response.status == 403)
            #expect(response.json["code"] as? Int == 403)
            #expect(response.errorMessage.contains("X-Api-Key"))
            #expect(emulator.requestCount(path: "/api/v1/version") == 1)
            #expect(emulator.stats().rejected == 1)
        }
    }

    @Test func wrongKeyIs403AndConfiguredKeyIsAccepted() async throws {
        try await withEmulator(.init(apiKey: "s3cret-key")) { emulator throws in
            let wrong = try #require(try exchange(emulator, Requests.get("/api/v1/version", apiKey: "test-api-key")))
            #expect(wrong.status == 403)
            #expect(!wrong.text.contains("s3cret"))
            let right = try #require(try exchange(emulator, Requests.get("/api/v1/version", apiKey: "s3cret-key")))
            #expect(right.status == 200)
        }
    }

    @Test func uploadWithoutKeyIs403() async throws {
        try await withEmulator { emulator throws in
            let builder = MultipartBuilder.valid(data: Fixture.document)
            let response = try #require(try exchange(emulator, Requests.upload(builder, apiKey: nil)))
            #expect(response.status == 403)
            #expect(emulator.documents().isEmpty)
        }
    }

    @Test func unknownPathIs404() async throws {
        try await withEmulator { emulator throws in
            let api = try #require(try exchange(emulator, Requests.get("/api/v1/nonsense")))
            #expect(api.status == 404)
            #expect(api.json["code"] as? Int == 404)
            let outside = try #require(try exchange(emulator, Requests.get("/favicon.ico")))
            #expect(outside.status == 404)
        }
    }

    @Test func wrongMethodIs405() async throws {
        try await withEmulator { emulator throws in
            let response = try #require(try exchange(emulator, Requests.get("/api/v1/documents")))
            #expect(response.status == 405)
            #expect(response.header("Allow") == "PUT")
            #expect(response.json["code"] as? Int == 405)
        }
    }

    @Test func keepAliveServesSeveralRequestsOnOneConnection() async throws {
        try await withEmulator { emulator throws in
            let connection = try RawHTTPConnection(port: emulator.port)
            try connection.send(Requests.get("/api/v1/version"))
            #expect(try connection.readResponse()?.status == 200)
            try connection.send(Requests.upload(MultipartBuilder.valid(data: Fixture.document)))
            #expect(try connection.readResponse()?.status == 200)
            // Pipelined: two requests in one write, answered in order.
            try connection.send(Requests.get("/api/v1/version", apiKey: nil) + Requests.get("/api/v1/version"))
            #expect(try connection.readResponse()?.status == 403)
            #expect(try connection.readResponse()?.status == 200)
            #expect(emulator.requestCount(path: "/api/v1/") == 4)
        }
    }

    @Test func connectionCloseIsHonoured() async throws {
        try await withEmulator { emulator throws in
            let connection = try RawHTTPConnection(port: emulator.port)
            try connection.send("GET /api/v1/version HTTP/1.1\r\nHost: x\r\nX-Api-Key: test-api-key\r\nConnection: close\r\n\r\n")
            let response = try #require(try connection.readResponse())
            #expect(response.status == 200)
            #expect(try connection.readsEOF())
        }
    }
}

@Suite("Lifecycle")
struct LifecycleTests {
    @Test func baseURLNamesHostAndChosenPortAndShutdownIsIdempotent() async throws {
        let emulator = try await CloudEmulator.start()
        #expect(emulator.port > 0)
        #expect(emulator.baseURL == "http://127.0.0.1:\(emulator.port)")
        try await emulator.shutdown()
        try await emulator.shutdown()
        // (Whether the port is free afterwards is not asserted: in a parallel run another socket may
        // take the number at once, and a connect can even self-connect on loopback.)
        #expect(emulator.stats().requests == 0)
    }

    @Test func bindingATakenPortFailsWithAReadableError() async throws {
        try await withEmulator { emulator throws in
            await #expect(throws: EmulatorError.self) {
                _ = try await CloudEmulator.start(.init(port: emulator.port))
            }
        }
    }
}

