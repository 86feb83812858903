#if canImport(Glibc)
import Glibc
#endif
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
        // The listener is gone: the port can be bound again. (Connecting instead could self-connect
        // on loopback when the kernel hands the same number out as a client's source port.)
        #expect(canBind(port: emulator.port))
    }

    @Test func bindingATakenPortFailsWithAReadableError() async throws {
        try await withEmulator { emulator throws in
            await #expect(throws: EmulatorError.self) {
                _ = try await CloudEmulator.start(.init(port: emulator.port))
            }
        }
    }
}

/// True when 127.0.0.1:`port` can be bound (no socket holds it).
private func canBind(port: Int) -> Bool {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { return false }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = UInt16(port).bigEndian
    return withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    } == 0
}
