import Foundation

/// One HTTP/1.1 GET over loopback with a plain socket, on a Dispatch thread (never the cooperative pool):
/// the status code and the body. The server closes the connection after answering.
func httpGet(port: Int, path: String, timeout: Duration = .seconds(5)) async throws -> (status: Int, body: String) {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global().async {
            continuation.resume(with: Result { try blockingGet(port: port, path: path, timeout: timeout) })
        }
    }
}

/// The blocking request itself: for a `waitUntil` condition (a loopback round trip of a few milliseconds).
func blockingGet(port: Int, path: String, timeout: Duration) throws -> (status: Int, body: String) {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw HarnessError("socket: errno \(errno)") }
    defer { close(fd) }
    var seconds = timeval(tv_sec: Int(timeout.components.seconds), tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &seconds, socklen_t(MemoryLayout<timeval>.size))
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let connected = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard connected == 0 else { throw HarnessError("connect to 127.0.0.1:\(port): errno \(errno)") }
    let request = Array("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".utf8)
    guard request.withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, 0) }) == request.count else {
        throw HarnessError("send: errno \(errno)")
    }
    var response: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65_536)
    while true {
        let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if count == 0 { break }
        guard count > 0 else { throw HarnessError("recv: errno \(errno) after \(response.count) bytes") }
        response += buffer[..<count]
    }
    let text = String(decoding: response, as: UTF8.self)
    guard let headerEnd = text.range(of: "\r\n\r\n"),
          let status = Int(text.split(separator: " ", maxSplits: 2).dropFirst().first ?? "")
    else { throw HarnessError("not an HTTP answer: \(text.prefix(200))") }
    return (status, String(text[headerEnd.upperBound...]))
}

extension DaemonProcess {
    /// The port of the health endpoint, from the daemon's "serving /healthz" log line (`listen = "127.0.0.1:0"`).
    func httpPort() async throws -> Int {
        var port: Int?
        try await waitUntil("the health endpoint to listen (log: \(logPath))") {
            guard let line = log.split(separator: "\n").first(where: { $0.contains("serving /healthz and /metrics") }),
                  let address = line.split(separator: " ").first(where: { $0.hasPrefix("address=") }),
                  let value = address.split(separator: ":").last.flatMap({ Int($0) })
            else { return false }
            port = value
            return true
        }
        return port!
    }
}

/// The JSON object of a health document.
func healthObject(_ body: String) throws -> [String: Any] {
    guard let object = try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any] else {
        throw HarnessError("not a JSON object: \(body)")
    }
    return object
}

/// Runs blocking test work (waiting on a socket or a child process) on a Dispatch thread, never on one of the
/// cooperative pool's few threads, which the tests running in parallel need.
func offPool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global().async { continuation.resume(with: Result { try work() }) }
    }
}
