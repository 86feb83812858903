import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// A tiny HTTPS server on 127.0.0.1 answering `GET /api/v1/version`, with a certificate from a
/// private test CA (valid 2000-2099, for localhost and 127.0.0.1). Only for the TLS tests: the
/// emulator speaks plain HTTP.
final class TLSTestServer: Sendable {
    static let caPEM = """
        -----BEGIN CERTIFICATE-----
        MIIBcDCCARWgAwIBAgIBATAKBggqhkjOPQQDAjAeMRwwGgYDVQQDDBNzcG9vbGJy
        aWRnZSB0ZXN0IENBMCAXDTAwMDEwMTAwMDAwMFoYDzIwOTkxMjMxMDAwMDAwWjAe
        MRwwGgYDVQQDDBNzcG9vbGJyaWRnZSB0ZXN0IENBMFkwEwYHKoZIzj0CAQYIKoZI
        zj0DAQcDQgAEfiBTlyrarJKAad4Kk2QJk+UiAYxR6ag4SKb20lP7IvKiRFd5A3YG
        +JbbeO2yKljcBkWMJgKzmB5Lwnt2EkCoGaNCMEAwDwYDVR0TAQH/BAUwAwEB/zAO
        BgNVHQ8BAf8EBAMCAQYwHQYDVR0OBBYEFD0knNIptdhihEkT4gd8V2mcCtJKMAoG
        CCqGSM49BAMCA0kAMEYCIQCmkvJDaI+GUDWb4PAoWo9mi/2bqLobyjf0778FtGkF
        9QIhAORzEmbYQLmpJq0Ods1zhOmW2yIQHJrKNjyk/rqpL5wP
        -----END CERTIFICATE-----
        """

    static let leafPEM = """
        -----BEGIN CERTIFICATE-----
        MIIBszCCAVmgAwIBAgIBAjAKBggqhkjOPQQDAjAeMRwwGgYDVQQDDBNzcG9vbGJy
        aWRnZSB0ZXN0IENBMCAXDTAwMDEwMTAwMDAwMFoYDzIwOTkxMjMxMDAwMDAwWjAU
        MRIwEAYDVQQDDAlsb2NhbGhvc3QwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAASz
        qowhUGBzRgpkDR83y1TlmV3FzoTFYXgnqS22W6IqPjZNhXxrly+C/xoRW4jbz62I
        eUXcwEUlSYclpkKHdoLNo4GPMIGMMBoGA1UdEQQTMBGCCWxvY2FsaG9zdIcEfwAA
        ATAJBgNVHRMEAjAAMBMGA1UdJQQMMAoGCCsGAQUFBwMBMA4GA1UdDwEB/wQEAwIH
        gDAfBgNVHSMEGDAWgBQ9JJzSKbXYYoRJE+IHfFdpnArSSjAdBgNVHQ4EFgQUcSJB
        JlRw2axa3hHX8+xyWg+LUMYwCgYIKoZIzj0EAwIDSAAwRQIgZt8oLrZ8deOwWMTD
        GNy1eMZ1BmPxzefpUH+kW79DKXYCIQCQ6zwY2cSML9KUNi7h+PjLGmoIwgMA5+ve
        ET7suXmPzw==
        -----END CERTIFICATE-----
        """

    static let leafKeyPEM = """
        -----BEGIN PRIVATE KEY-----
        MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgdLgqfK4bW9x9O2X0
        xFoerbJuqCBC6OzxbeIN1IlA/pShRANCAASzqowhUGBzRgpkDR83y1TlmV3FzoTF
        YXgnqS22W6IqPjZNhXxrly+C/xoRW4jbz62IeUXcwEUlSYclpkKHdoLN
        -----END PRIVATE KEY-----
        """

    private let channel: any Channel
    let port: Int

    private init(channel: any Channel, port: Int) {
        self.channel = channel
        self.port = port
    }

    static func start() async throws -> TLSTestServer {
        let certificate = try NIOSSLCertificate(bytes: Array(leafPEM.utf8), format: .pem)
        let key = try NIOSSLPrivateKey(bytes: Array(leafKeyPEM.utf8), format: .pem)
        let context = try NIOSSLContext(
            configuration: .makeServerConfiguration(certificateChain: [.certificate(certificate)], privateKey: .privateKey(key)))
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: context))
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(VersionHandler())
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return TLSTestServer(channel: channel, port: channel.localAddress?.port ?? 0)
    }

    func shutdown() async throws {
        try await channel.close()
    }

    private final class VersionHandler: ChannelInboundHandler, Sendable {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            guard case .end = unwrapInboundIn(data) else { return }
            let body = ByteBuffer(string: #"{"version":"tls-test"}"#)
            var headers = HTTPHeaders()
            headers.add(name: "Content-Type", value: "application/json")
            headers.add(name: "Content-Length", value: String(body.readableBytes))
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers))), promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        }
    }
}
