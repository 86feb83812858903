import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A deliberately tiny HTTP/1.1 client over a blocking loopback socket, so the tests control
/// every byte (and every split) that reaches the emulator, and depend on nothing of the daemon.
final class RawHTTPConnection {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    private var fd: Int32
    private var inbox: [UInt8] = []

    init(port: Int, timeoutSeconds: Int = 20) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket() failed: errno \(errno)") }
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard result == 0 else {
            let code = errno
            Glibc.close(fd)
            throw Failure(description: "connect to 127.0.0.1:\(port) failed: errno \(code)")
        }
    }

    deinit { close() }

    func close() {
        if fd >= 0 { Glibc.close(fd) }
        fd = -1
    }

    /// Ends our sending direction (the server sees EOF) while still reading.
    func shutdownWrite() {
        shutdown(fd, Int32(SHUT_WR))
    }

    func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard sent > 0 else { throw Failure(description: "send failed: errno \(errno)") }
            offset += sent
        }
    }

    func send(_ text: String) throws { try send(Array(text.utf8)) }

    /// Sends `bytes` in pieces whose sizes cycle through `chunkSizes`, one syscall each.
    func send(_ bytes: [UInt8], chunkSizes: [Int]) throws {
        var offset = 0
        var turn = 0
        while offset < bytes.count {
            let size = min(chunkSizes[turn % chunkSizes.count], bytes.count - offset)
            try send(Array(bytes[offset..<(offset + size)]))
            offset += size
            turn += 1
        }
    }

    /// The next final response (or with `skipInterim: false` the next 1xx too); nil when the
    /// server closed (EOF or reset) before sending any byte of it.
    func readResponse(skipInterim: Bool = true) throws -> RawHTTPResponse? {
        while true {
            guard let headEnd = try fill(until: { $0.firstRange(of: [13, 10, 13, 10]).map(\.upperBound) }) else {
                if inbox.isEmpty { return nil }
                throw Failure(description: "connection closed inside a response head")
            }
            let headText = String(decoding: inbox[..<headEnd], as: UTF8.self)
            inbox.removeFirst(headEnd)
            var lines = headText.components(separatedBy: "\r\n").filter { !$0.isEmpty }
            let statusLine = lines.removeFirst().split(separator: " ")
            guard statusLine.count >= 2, let status = Int(statusLine[1]) else {
                throw Failure(description: "malformed status line in \(headText)")
            }
            let headers = lines.map { line -> (String, String) in
                let colon = line.firstIndex(of: ":")!
                return (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
            }
            if (100..<200).contains(status) {
                if skipInterim { continue }
                return RawHTTPResponse(status: status, headers: headers, body: [])
            }
            let length = headers.first { $0.0.lowercased() == "content-length" }.flatMap { Int($0.1) } ?? 0
            guard try fill(until: { $0.count >= length ? length : nil }) != nil else {
                throw Failure(description: "connection closed inside a response body")
            }
            let body = Array(inbox[..<length])
            inbox.removeFirst(length)
            return RawHTTPResponse(status: status, headers: headers, body: body)
        }
    }

    /// True when the server closes the connection (EOF or reset) without sending anything more.
    func readsEOF() throws -> Bool {
        try fill(until: { $0.isEmpty ? nil : 0 }) == nil && inbox.isEmpty
    }

    /// Receives until `found` answers for the inbox; nil at EOF or connection reset.
    private func fill(until found: ([UInt8]) -> Int?) throws -> Int? {
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            if let position = found(inbox) { return position }
            let received = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if received > 0 {
                inbox.append(contentsOf: chunk[..<received])
            } else if received == 0 || errno == ECONNRESET {
                return nil
            } else if errno != EINTR {
                throw Failure(description: "recv failed: errno \(errno) (EAGAIN means the test's timeout elapsed)")
            }
        }
    }
}

struct RawHTTPResponse {
    var status: Int
    var headers: [(String, String)]
    var body: [UInt8]

    func header(_ name: String) -> String? {
        headers.first { $0.0.lowercased() == name.lowercased() }?.1
    }

    var text: String { String(decoding: body, as: UTF8.self) }

    /// The body as a JSON object (empty when it is not one).
    var json: [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] ?? [:]
    }

    var errorMessage: String { json["message"] as? String ?? "" }
}
