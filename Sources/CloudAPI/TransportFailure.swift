import AsyncHTTPClient
import NIOCore
import NIOSSL
import SpoolbridgeCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Turns what the HTTP stack throws (refused, reset, timeouts, TLS) into a transient
/// `DeliveryFailure` that says what happened to which host. Never quotes request headers.
enum TransportFailure {
    static func failure(
        for error: any Error, url: CloudBaseURL, deadlines: RequestDeadlines, stage: RequestDeadlines.Stage
    ) -> DeliveryFailure {
        let host = url.authority
        func transient(_ message: String) -> DeliveryFailure { DeliveryFailure(kind: .transient, message: message) }

        switch error {
        case let failure as DeliveryFailure:
            return failure
        case let readError as PayloadReadError:
            return transient(readError.message)
        case let stalled as ExchangeStalled:
            switch stalled.stage {
            case .sending: return transient(deadlines.sendingStalled(host: host))
            case .awaitingAnswer: return transient(deadlines.answerStalled(host: host, stage: .beforeAnswer))
            case .readingAnswer: return transient(deadlines.answerStalled(host: host, stage: .readingAnswer))
            }
        case is CancellationError:
            return transient("the request to \(host) was cancelled")
        case let clientError as HTTPClientError:
            return transient(describe(clientError, host: host, deadlines: deadlines, stage: stage))
        case let sslError as NIOSSLError:
            return transient(describe(sslError, host: host))
        case let extra as NIOSSLExtraError where extra == .failedToValidateHostname:
            return transient(
                "the TLS certificate of \(host) is not issued for \(url.host); check cloud.url uses the name in the certificate")
        case let ioError as IOError:
            return transient(describe(errno: ioError.errnoCode, host: host) ?? "connection to \(host) failed: \(ioError)")
        case let channelError as ChannelError:
            return transient(describe(channelError, host: host, deadlines: deadlines))
        default:
            // NIO's connection errors (NIOConnectionError) wrap an IOError; their description names the errno.
            let text = String(describing: error)
            if text.contains("Connection refused") || text.contains("ECONNREFUSED") {
                return transient(refused(host))
            }
            if text.contains("CERTIFICATE_VERIFY_FAILED") {
                return transient(unverifiedCertificate(host))
            }
            if text.hasPrefix("DNS error") {
                return transient("the cloud host \(url.host) could not be resolved (\(text)); check cloud.url and DNS")
            }
            return transient("cannot reach the cloud at \(host): \(text)")
        }
    }

    private static func refused(_ host: String) -> String {
        "\(host) refused the connection: the cloud (or a proxy in front of it) is not listening there; check cloud.url"
    }

    private static func unverifiedCertificate(_ host: String) -> String {
        "the TLS certificate of \(host) could not be verified against the trusted roots; if the cloud uses a "
            + "private certificate authority, set cloud.ca_file to its PEM certificate"
    }

    private static func describe(
        _ error: HTTPClientError, host: String, deadlines: RequestDeadlines, stage: RequestDeadlines.Stage
    ) -> String {
        switch error {
        case .connectTimeout:
            return deadlines.connectingTimedOut(host: host)
        case .writeTimeout:
            return deadlines.sendingStalled(host: host, after: deadlines.backstop)
        case .readTimeout:
            return deadlines.answerStalled(host: host, stage: stage, after: deadlines.backstop)
        case .deadlineExceeded:
            return deadlines.totalExceeded(host: host)
        case .tlsHandshakeTimeout:
            return "the TLS handshake with \(host) timed out"
        case .remoteConnectionClosed:
            return "\(host) closed the connection before answering"
        case .cancelled, .requestStreamCancelled:
            return "the request to \(host) was cancelled"
        case .alreadyShutdown:
            return "the cloud client is shut down (the daemon is stopping)"
        case .bodyLengthMismatch:
            return "the document changed size while it was sent to \(host)"
        default:
            // shortDescription carries no dynamic values (headers could hold the API key).
            return "the request to \(host) failed: \(error.shortDescription)"
        }
    }

    private static func describe(_ error: NIOSSLError, host: String) -> String {
        let text = String(describing: error)
        if text.contains("CERTIFICATE_VERIFY_FAILED") || text.contains("certificate verify failed") {
            return unverifiedCertificate(host)
        }
        if case .uncleanShutdown = error {
            return "\(host) closed the TLS connection without a proper shutdown"
        }
        return "the TLS handshake with \(host) failed: \(text)"
    }

    private static func describe(_ error: ChannelError, host: String, deadlines: RequestDeadlines) -> String {
        switch error {
        case .connectTimeout:
            return deadlines.connectingTimedOut(host: host)
        case .eof, .ioOnClosedChannel, .outputClosed, .alreadyClosed:
            return "\(host) closed the connection before answering"
        default:
            return "connection to \(host) failed: \(error)"
        }
    }

    private static func describe(errno code: Int32, host: String) -> String? {
        switch code {
        case ECONNREFUSED: return refused(host)
        case ECONNRESET: return "\(host) reset the connection"
        case EPIPE: return "\(host) closed the connection while the document was being sent"
        case ETIMEDOUT: return "the connection to \(host) timed out"
        case EHOSTUNREACH, ENETUNREACH: return "\(host) is unreachable from this machine (no route)"
        default: return nil
        }
    }

    static func seconds(_ duration: Duration) -> String {
        let (whole, fraction) = duration.components
        return fraction == 0 ? "\(whole) s" : "\(Double(whole) + Double(fraction) / 1e18) s"
    }
}
