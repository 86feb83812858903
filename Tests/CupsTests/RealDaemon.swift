import Foundation
import Testing

/// The cloud emulator executable on an ephemeral loopback port.
final class EmulatorProcess: @unchecked Sendable {
    let process: ChildProcess
    let baseURL: String
    let port: Int
    let apiKeyFile: String

    init(directory: TemporaryDirectory) async throws {
        guard let executable = TestPaths.executable("spoolbridge-emulator") else {
            throw ChildProcess.Failure(description: "spoolbridge-emulator is not built in \(TestPaths.binDirectory)")
        }
        apiKeyFile = try directory.write("api-key", Array("e2e-test-key\n".utf8), mode: 0o600)
        let process = try ChildProcess(
            executable: executable, arguments: ["spoolbridge-emulator", "--port", "0", "--api-key-file", apiKeyFile],
            environment: ["PATH": "/usr/bin:/bin"], outputDirectory: directory.path, name: "emulator")
        self.process = process
        var line = ""
        try await eventually("the emulator prints its address") {
            line = process.standardOutput
            return line.contains("listening on http://")
        }
        let address = line.components(separatedBy: "listening on ")[1].prefix { !$0.isWhitespace }
        baseURL = String(address)
        port = Int(address.split(separator: ":").last ?? "") ?? 0
    }

    deinit { kill(process.pid, SIGTERM) }

    struct Document: Decodable, Sendable {
        var username: String
        var portname: String
        var title: String
        var filename: String
        var copies: Int?
        var grayscale: Bool?
        var duplex: Int?
        var outputPageSize: String?
        var pageOrientation: Int?
        var size: Int
        var sha256: String
    }

    /// `GET /_emulator/documents` over a plain loopback socket.
    func documents() throws -> [Document] {
        let body = try LoopbackHTTP.get(port: port, path: "/_emulator/documents")
        return try JSONDecoder().decode([Document].self, from: Data(body))
    }
}

/// `spoolbridge run --config FILE` as a child process.
final class DaemonProcess: @unchecked Sendable {
    let configFile: String
    let socketPath: String
    let spoolDirectory: String
    let directory: TemporaryDirectory
    private var process: ChildProcess?

    init(directory: TemporaryDirectory, emulator: EmulatorProcess, socketPath: String, maxDocumentMB: Int = 200) throws {
        self.directory = directory
        self.socketPath = socketPath
        spoolDirectory = directory.file("spool")
        let config = """
            [cloud]
            url = "\(emulator.baseURL)"
            api_key_file = "\(emulator.apiKeyFile)"
            allow_insecure_http = true

            [spool]
            directory = "\(spoolDirectory)"
            max_document_mb = \(maxDocumentMB)
            min_free_mb = 1

            [cups]
            socket = "\(socketPath)"

            [log]
            level = "debug"
            """
        configFile = try directory.write("spoolbridge.toml", Array(config.utf8), mode: 0o600)
    }

    deinit {
        if let process { kill(process.pid, SIGKILL) }
    }

    func start() async throws {
        guard let executable = TestPaths.executable("spoolbridge") else {
            throw ChildProcess.Failure(description: "spoolbridge is not built in \(TestPaths.binDirectory)")
        }
        let process = try ChildProcess(
            executable: executable, arguments: ["spoolbridge", "run", "--config", configFile],
            environment: ["PATH": "/usr/bin:/bin"], outputDirectory: directory.path, name: "daemon-\(UUID().uuidString.prefix(8))")
        self.process = process
        do {
            try await eventually("the daemon listens on \(socketPath)") {
                if process.hasExited { throw ChildProcess.Failure(description: "the daemon exited: \(process.standardError)") }
                return Self.isServed(socketPath)
            }
        } catch {
            Issue.record("daemon log:\n\(process.standardError.suffix(3000))")
            throw error
        }
    }

    func stop() async throws {
        guard let process else { return }
        kill(process.pid, SIGTERM)
        _ = try await process.wait(timeout: .seconds(20))
        self.process = nil
    }

    var log: String { process?.standardError ?? "" }

    static func isServed(_ path: String) -> Bool {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(path.utf8)) }
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        } == 0
    }
}

extension ChildProcess {
    var hasExited: Bool {
        var raw: Int32 = 0
        return waitpid(pid, &raw, WNOHANG) == pid
    }
}

/// A bare HTTP/1.1 GET to 127.0.0.1 (the emulator's control endpoint), so the tests need no HTTP client.
enum LoopbackHTTP {
    static func get(port: Int, path: String) throws -> [UInt8] {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw ChildProcess.Failure(description: "cannot connect to 127.0.0.1:\(port)") }
        let request = Array("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n\r\n".utf8)
        _ = request.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        var response: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard count > 0 else { break }
            response += chunk[..<count]
        }
        let separator: [UInt8] = [13, 10, 13, 10]
        guard let end = (0..<max(0, response.count - 3)).first(where: { Array(response[$0..<$0 + 4]) == separator }) else {
            throw ChildProcess.Failure(description: "no HTTP header in the answer")
        }
        let head = String(decoding: response[..<end], as: UTF8.self).lowercased()
        guard head.hasPrefix("http/1.1 200") else { throw ChildProcess.Failure(description: "GET \(path): \(head.prefix(80))") }
        var body = Array(response[(end + 4)...])
        if head.contains("transfer-encoding: chunked") { body = dechunk(body) }
        return body
    }

    private static func dechunk(_ data: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        var index = 0
        while index < data.count {
            guard let lineEnd = (index..<data.count - 1).first(where: { data[$0] == 13 && data[$0 + 1] == 10 }) else { break }
            let sizeText = String(decoding: data[index..<lineEnd], as: UTF8.self).split(separator: ";").first ?? ""
            guard let size = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 16), size > 0 else { break }
            let start = lineEnd + 2
            out += data[start..<min(start + size, data.count)]
            index = start + size + 2
        }
        return out
    }
}

func sha256Hex(ofFile path: String, in directory: String) async throws -> String {
    let result = try await ChildProcess.run("/usr/bin/sha256sum", ["sha256sum", path], in: directory)
    return String(result.stdout.prefix(64))
}
