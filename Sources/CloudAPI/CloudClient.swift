import AsyncHTTPClient
import Logging
import NIOCore
import NIOHTTP1
import NIOSSL
import SpoolbridgeCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The cloud's REST API as typed calls. One instance holds one connection pool; share it and
/// call `shutdown()` once at the end (the HTTP client insists on it).
///
/// Every call throws only `DeliveryFailure`: transient (retry later, maybe after
/// `retryAfterSeconds`) or permanent (the job cannot succeed as it is). No message ever
/// contains the API key.
public struct CloudClient: Sendable {
    public let configuration: Configuration
    private let baseURL: CloudBaseURL
    private let http: HTTPClient
    private let logger: Logger

    /// Validates the configuration, loads `caFile`, and builds the shared HTTP client.
    public init(configuration: Configuration, logger: Logger = Logger(label: "spoolbridge.cloud")) throws(CloudClientError) {
        self.baseURL = try configuration.validatedBaseURL()
        var tls = TLSConfiguration.makeClientConfiguration()  // full verification, system roots
        if let caFile = configuration.caFile {
            tls.additionalTrustRoots = [.certificates(try Self.loadCertificates(caFile))]
        }
        var httpConfiguration = HTTPClient.Configuration(
            tlsConfiguration: tls,
            // A redirect would carry the API key elsewhere, and a streamed body cannot be replayed.
            redirectConfiguration: .disallow,
            timeout: .init(connect: configuration.connectTimeout.timeAmount, read: nil),
            proxy: nil,
            decompression: .disabled)
        httpConfiguration.httpVersion = .http1Only
        httpConfiguration.connectionPool = .init(
            idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: configuration.maxConnections)
        // Fail fast on a refused connection: the delivery service owns retries and backoff.
        httpConfiguration.connectionPool.retryConnectionEstablishment = false
        self.http = HTTPClient(
            eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: httpConfiguration,
            backgroundActivityLogger: logger)
        self.configuration = configuration
        self.logger = logger
    }

    /// `GET /version`: a cheap probe that the cloud is reachable and accepts the API key.
    public func version() async throws(DeliveryFailure) -> ServerVersion {
        var request = HTTPClientRequest(url: baseURL.endpoint("version"))
        request.method = .GET
        request.headers = commonHeaders()
        // A probe must answer quickly: a hung cloud should not hold the probe for the upload timeout.
        let (status, headers, body) = try await execute(
            request, label: "GET /version", timeout: min(configuration.requestTimeout, Self.probeTimeout))
        guard (200...299).contains(status) else {
            throw CloudAnswer.failure(status: status, retryAfterHeader: headers.first(name: "Retry-After"), body: body, now: Self.unixNow())
        }
        guard let version = ServerVersion(json: body) else {
            throw DeliveryFailure(
                kind: .transient, httpStatus: status,
                message: "the cloud at \(baseURL.authority) answered /version with something other than a JSON object "
                    + "(a proxy or captive portal in the way?)")
        }
        return version
    }

    /// `PUT /documents`: uploads the file at `filePath` as the `data` part, streamed from disk
    /// with a known Content-Length. `fileName` is sent as the part's file name (any characters).
    public func uploadDocument(_ request: DocumentRequest, filePath: String, fileName: String) async throws(DeliveryFailure)
        -> DocumentInfo
    {
        let file = try await PayloadFile.open(path: filePath)
        let result: Result<DocumentInfo, DeliveryFailure>
        do {
            result = .success(try await upload(request, file: file, fileName: fileName))
        } catch {
            result = .failure(error)
        }
        await file.close()
        return try result.get()
    }

    public func shutdown() async throws {
        try await http.shutdown()
    }

    private func upload(_ document: DocumentRequest, file: PayloadFile, fileName: String) async throws(DeliveryFailure)
        -> DocumentInfo
    {
        let form = MultipartForm(fields: MultipartForm.documentFields(for: document), fileName: MultipartFileName(fileName))
        var request = HTTPClientRequest(url: baseURL.endpoint("documents"))
        request.method = .PUT
        request.headers = commonHeaders()
        request.headers.add(name: "Content-Type", value: form.contentType)
        request.body = .stream(UploadBody(form: form, file: file), length: .known(form.contentLength(fileSize: file.size)))

        let (status, headers, body) = try await execute(
            request, label: "PUT /documents (\(file.size) bytes)", timeout: configuration.requestTimeout)
        guard (200...299).contains(status) else {
            throw CloudAnswer.failure(status: status, retryAfterHeader: headers.first(name: "Retry-After"), body: body, now: Self.unixNow())
        }
        guard let info = try? CloudJSON.decode(DocumentInfo.self, from: body) else {
            throw DeliveryFailure(
                kind: .transient, httpStatus: status, message: "cloud answered \(status) without a document uuid")
        }
        logger.debug(
            "cloud accepted document",
            metadata: ["cloud.host": "\(baseURL.authority)", "document.uuid": "\(info.uuid)", "document.bytes": "\(file.size)"])
        return info
    }

    /// Sends a request and reads the answer (at most `answerLimit` bytes of body are kept).
    private func execute(_ request: HTTPClientRequest, label: String, timeout: Duration) async throws(DeliveryFailure)
        -> (status: Int, headers: HTTPHeaders, body: [UInt8])
    {
        let started = ContinuousClock.now
        do {
            let response = try await http.execute(request, deadline: .now() + timeout.timeAmount)
            var body: [UInt8] = []
            for try await chunk in response.body {
                body.append(contentsOf: chunk.readableBytesView.prefix(Self.answerLimit - body.count))
                if body.count >= Self.answerLimit { break }
            }
            logger.debug(
                "cloud answered",
                metadata: [
                    "cloud.request": "\(label)", "cloud.host": "\(baseURL.authority)", "http.status": "\(response.status.code)",
                    "duration": "\(ContinuousClock.now - started)",
                ])
            return (Int(response.status.code), response.headers, body)
        } catch {
            let failure = TransportFailure.failure(
                for: error, url: baseURL, connectTimeout: configuration.connectTimeout, requestTimeout: timeout)
            throw redacted(failure)
        }
    }

    /// The longest `version()` waits, whatever the upload timeout.
    static let probeTimeout: Duration = .seconds(60)

    /// Answers are small JSON documents; anything beyond this is cut (and the connection dropped).
    static let answerLimit = 64 * 1024

    private func commonHeaders() -> HTTPHeaders {
        var headers = HTTPHeaders()
        headers.add(name: "X-Api-Key", value: configuration.apiKey.exposedValue)
        headers.add(name: "Accept", value: "application/json")
        headers.add(name: "User-Agent", value: "spoolbridge")
        return headers
    }

    /// Belt and braces: no failure message may quote the key, whatever a lower layer put in it.
    /// Keys shorter than 8 characters (test keys like "k") are not searched for: replacing every
    /// "k" would garble the message, and such keys are not real credentials.
    private func redacted(_ failure: DeliveryFailure) -> DeliveryFailure {
        let key = configuration.apiKey.exposedValue
        guard key.count >= 8, failure.message.contains(key) else { return failure }
        var copy = failure
        copy.message = copy.message.replacing(key, with: "<redacted>")
        return copy
    }

    /// Reads `cloud.ca_file` (PEM, one or more certificates) as an extra trust root.
    static func loadCertificates(_ path: String) throws(CloudClientError) -> [NIOSSLCertificate] {
        func unreadable(_ why: String) -> CloudClientError {
            CloudClientError(code: .caFileUnreadable, message: "cloud.ca_file \(path) \(why)")
        }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw unreadable("cannot be opened: \(String(cString: strerror(errno)))") }
        defer { _ = close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let got = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if got < 0 {
                if errno == EINTR { continue }
                throw unreadable("cannot be read: \(String(cString: strerror(errno)))")
            }
            if got == 0 { break }
            bytes.append(contentsOf: chunk[..<got])
            guard bytes.count <= 4 * 1024 * 1024 else { throw unreadable("is larger than 4 MiB; is it a certificate?") }
        }
        let certificates: [NIOSSLCertificate]
        do {
            certificates = try NIOSSLCertificate.fromPEMBytes(bytes)
        } catch {
            throw unreadable("is not a PEM certificate file (expected -----BEGIN CERTIFICATE-----)")
        }
        guard !certificates.isEmpty else { throw unreadable("holds no PEM certificate") }
        return certificates
    }

    static func unixNow() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
    }
}

extension Duration {
    /// NIO's TimeAmount, capped at ten days (a larger timeout would be a typo anyway).
    var timeAmount: TimeAmount {
        let (seconds, attoseconds) = components
        let capped = min(seconds, 864_000)
        return .nanoseconds(capped * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
