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
    let baseURL: CloudBaseURL
    let http: HTTPClient
    /// One stall timer for all of this client's streamed exchanges.
    let watchdogs = ExchangeWatchdogs()
    let logger: Logger
    /// With device or user tokens: every request also carries `Authorization: Bearer …`.
    let tokenSource: (any BearerTokenSource)?

    /// Validates the configuration, loads `caFile`, and builds the shared HTTP client.
    public init(
        configuration: Configuration, tokenSource: (any BearerTokenSource)? = nil,
        logger: Logger = Logger(label: "spoolbridge.cloud")
    ) throws(CloudClientError) {
        self.tokenSource = tokenSource
        self.baseURL = try configuration.validatedBaseURL()
        let tls = try Self.tlsConfiguration(caFile: configuration.caFile)
        let backstop = RequestDeadlines.backstop(for: configuration.stallTimeout)
        var httpConfiguration = HTTPClient.Configuration(
            tlsConfiguration: tls,
            // A redirect would carry the API key elsewhere, and a streamed body cannot be replayed.
            redirectConfiguration: .disallow,
            // Idle, not total: `read` runs from the end of the request body and restarts with every
            // piece of the answer; `write` restarts with every body piece while the channel is
            // writable. A backstop behind the upload watchdog (see RequestDeadlines).
            timeout: .init(
                connect: configuration.connectTimeout.timeAmount, read: backstop.timeAmount, write: backstop.timeAmount),
            proxy: nil,
            decompression: .disabled)
        httpConfiguration.httpVersion = .http1Only
        httpConfiguration.connectionPool = .init(
            idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: configuration.maxConnections)
        // Fail fast on a refused connection: the delivery service owns retries and backoff.
        httpConfiguration.connectionPool.retryConnectionEstablishment = false
        // No distributed tracing is bootstrapped; without this AsyncHTTPClient still opens a no-op span and
        // fills its attributes (URL parsed again, headers read) for every request: ~2 % of a burst's CPU.
        httpConfiguration.tracing.tracer = nil
        // Every connection on one event loop: answers that arrive together are read in one wake-up of
        // one thread, not one per loop (a burst's four answers woke both loops of the shared group).
        // One loop has room to spare: the work per byte is in the kernel and, with TLS, in BoringSSL,
        // and one upload's connection is served by one loop in any case.
        self.http = HTTPClient(
            eventLoopGroup: HTTPClient.defaultEventLoopGroup.next(), configuration: httpConfiguration,
            backgroundActivityLogger: logger)
        self.configuration = configuration
        self.logger = logger
    }

    /// `GET /version`: a cheap probe that the cloud is reachable and accepts the API key.
    public func version() async throws(DeliveryFailure) -> ServerVersion {
        var request = HTTPClientRequest(url: baseURL.endpoint("version"))
        request.method = .GET
        request.headers = commonHeaders()
        // A probe must answer quickly, however slowly bytes trickle in: it keeps a total deadline.
        let answer = try await execute(
            request, label: "GET /version", deadlines: deadlines(total: Self.probeTimeout, payload: "the request"))
        guard (200...299).contains(answer.status) else { throw answer.failure() }
        guard !answer.bodyWasCut, let version = ServerVersion(json: answer.body) else {
            throw DeliveryFailure(
                kind: .transient, httpStatus: answer.status,
                message: "the cloud at \(baseURL.authority) answered /version with something other than a JSON object "
                    + "(a proxy or captive portal in the way?)")
        }
        return version
    }

    /// `PUT /documents`: uploads the file at `filePath` as the `data` part, streamed from disk
    /// with a known Content-Length. `fileName` is sent as the part's file name (any characters).
    ///
    /// Any 2xx returns a receipt, even when the answer is not the expected JSON (then without a
    /// uuid, with a warning): the cloud has the document, and sending it again would print it twice.
    public func uploadDocument(_ request: DocumentRequest, filePath: String, fileName: String) async throws(DeliveryFailure)
        -> UploadReceipt
    {
        let file = try await PayloadFile.open(path: filePath)
        let result: Result<UploadReceipt, DeliveryFailure>
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
        -> UploadReceipt
    {
        let form = MultipartForm(fields: MultipartForm.documentFields(for: document), fileName: MultipartFileName(fileName))
        let url = baseURL.endpoint("documents")
        // Built per attempt: a retry after a 401 streams the file again with a fresh watchdog.
        let answer = try await execute(
            label: "PUT /documents (\(file.size) bytes)", deadlines: deadlines(total: nil, payload: "the document")
        ) {
            var request = HTTPClientRequest(url: url)
            request.method = .PUT
            request.headers = commonHeaders()
            request.headers.add(name: "Content-Type", value: form.contentType)
            let progress = ExchangeProgress()
            if let whole = UploadBody.whole(form: form, file: file) {
                request.body = .bytes(whole)
                // No piece will be asked for, so the wait for the answer counts from here, connecting
                // included. The client's own connect timeout (10 s) still ends a connection that never
                // comes up; only a `delivery.stall_seconds` below it can trip first, while connecting.
                progress.bodyFinished()
            } else {
                let body = UploadBody(form: form, file: file, progress: progress)
                request.body = .stream(body, length: .known(form.contentLength(fileSize: file.size)))
            }
            return (request, progress)
        }
        guard (200...299).contains(answer.status) else { throw answer.failure() }
        let receipt = UploadReceipt.reading(
            status: answer.status, headers: answer.headers, body: answer.body, bodyWasCut: answer.bodyWasCut,
            bodyLimit: Self.answerLimit)
        logger.debug(
            "cloud accepted document",
            metadata: [
                "cloud.host": "\(baseURL.authority)", "document.uuid": "\(receipt.documentUUID ?? "unknown")",
                "document.bytes": "\(file.size)", "warning": "\(receipt.warning ?? "none")",
            ])
        return receipt
    }

    func deadlines(total: Duration?, payload: String) -> RequestDeadlines {
        RequestDeadlines(
            connect: configuration.connectTimeout, stall: configuration.stallTimeout, total: total, payload: payload)
    }

    /// The longest `version()` waits in total, however slowly its answer trickles in.
    static let probeTimeout: Duration = .seconds(60)

    /// The headers of every call (uploads, records, releases, card swipes): one place to add credentials.
    func commonHeaders() -> HTTPHeaders {
        var headers = HTTPHeaders()
        headers.add(name: "X-Api-Key", value: configuration.apiKey.exposedValue)
        headers.add(name: "Accept", value: "application/json")
        headers.add(name: "User-Agent", value: "spoolbridge")
        return headers
    }

    /// Belt and braces: no failure message may quote the key, whatever a lower layer put in it.
    /// Keys shorter than 8 characters (test keys like "k") are not searched for: replacing every
    /// "k" would garble the message, and such keys are not real credentials.
    func redacted(_ failure: DeliveryFailure) -> DeliveryFailure {
        let key = configuration.apiKey.exposedValue
        guard key.count >= 8, failure.message.contains(key) else { return failure }
        var copy = failure
        copy.message = copy.message.replacing(key, with: "<redacted>")
        return copy
    }

    /// Full verification against the system roots, plus `caFile` when set. Nothing turns it off.
    static func tlsConfiguration(caFile: String?) throws(CloudClientError) -> TLSConfiguration {
        var tls = TLSConfiguration.makeClientConfiguration()
        if let caFile {
            tls.additionalTrustRoots = [.certificates(try loadCertificates(caFile))]
        }
        return tls
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
