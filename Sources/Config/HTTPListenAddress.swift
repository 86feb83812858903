#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `[http] listen`: where the daemon serves `/healthz` and `/metrics`. An IP literal or `localhost`
/// and a port (`127.0.0.1:9631`, `[::1]:9631`, `0.0.0.0:9631`); no name resolution, so what is
/// written is what is bound. Port 0 binds any free port (the daemon logs which; for tests).
public struct HTTPListenAddress: Sendable, Hashable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `HOST:PORT`; nil with a reason when it is not one.
    public static func parse(_ text: String) -> Result<HTTPListenAddress, ParseFailure> {
        let host: Substring
        let portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return .failure(.init("an IPv6 address needs its closing ]")) }
            host = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":") else { return .failure(.init("expected :PORT after the ]")) }
            portText = rest.dropFirst()
        } else {
            guard let colon = text.lastIndex(of: ":") else { return .failure(.init("expected HOST:PORT")) }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
            if host.contains(":") { return .failure(.init("write an IPv6 address in brackets, e.g. [::1]:9631")) }
        }
        guard let port = Int(portText), (0...65_535).contains(port) else {
            return .failure(.init("the port must be a number 0…65535, got \"\(portText)\""))
        }
        let address = HTTPListenAddress(host: String(host), port: port)
        guard address.host == "localhost" || address.ipFamily != nil else {
            return .failure(.init("the host must be an IP address or localhost (no name lookups), got \"\(host)\""))
        }
        return .success(address)
    }

    public struct ParseFailure: Error, Sendable, Hashable {
        public var reason: String
        init(_ reason: String) { self.reason = reason }
    }

    /// AF_INET or AF_INET6 for an IP literal, nil otherwise.
    var ipFamily: Int32? {
        var buffer = [UInt8](repeating: 0, count: 16)
        if inet_pton(AF_INET, host, &buffer) == 1 { return AF_INET }
        if inet_pton(AF_INET6, host, &buffer) == 1 { return AF_INET6 }
        return nil
    }

    /// 127.0.0.0/8, ::1 and localhost: reachable from this machine only.
    public var isLoopback: Bool {
        if host == "localhost" { return true }
        var buffer = [UInt8](repeating: 0, count: 16)
        if inet_pton(AF_INET, host, &buffer) == 1 { return buffer[0] == 127 }
        if inet_pton(AF_INET6, host, &buffer) == 1 { return buffer == [UInt8](repeating: 0, count: 15) + [1] }
        return false
    }

    /// The host as a socket address wants it (`localhost` is the IPv4 loopback).
    public var bindHost: String { host == "localhost" ? "127.0.0.1" : host }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}
