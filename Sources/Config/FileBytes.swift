#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads a whole file with POSIX calls, so a failure is an errno the caller can phrase for the admin
/// (the file, the reason, the fix) instead of a Foundation error domain and number.
enum FileBytes {
    /// Why a file could not be read.
    struct Failure: Error {
        /// `EISDIR` when the path is a directory.
        var errno: Int32
        var reason: String { String(cString: strerror(errno)) }
    }

    static func read(_ path: String) -> Result<[UInt8], Failure> {
        // No O_NONBLOCK: a pipe (`--config <(…)`) is a legitimate source and must be read to its end.
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return .failure(Failure(errno: errno)) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { return .failure(Failure(errno: errno)) }
        // open(2) succeeds on a directory; read(2) would fail with EISDIR. Say so before trying.
        if info.st_mode & S_IFMT == S_IFDIR { return .failure(Failure(errno: EISDIR)) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count == 0 { return .success(bytes) }
            if count < 0 {
                if errno == EINTR { continue }
                return .failure(Failure(errno: errno))
            }
            bytes += chunk[..<count]
        }
    }
}

/// Where a byte sequence stops being UTF-8, in the terms an editor shows: line, column, offset.
struct InvalidUTF8Location: Sendable, Hashable {
    /// 0-based offset of the first byte that is not part of a valid UTF-8 sequence.
    var offset: Int
    /// 1-based line and 1-based column (in bytes) of that byte.
    var line: Int
    var column: Int
    var byte: UInt8

    /// nil when `bytes` is valid UTF-8.
    init?(in bytes: [UInt8]) {
        var parser = Unicode.UTF8.ForwardParser()
        var iterator = bytes.makeIterator()
        var offset = 0
        scan: while true {
            switch parser.parseScalar(from: &iterator) {
            case .valid(let scalar): offset += scalar.count
            case .emptyInput: return nil
            case .error: break scan
            }
        }
        let before = bytes[..<offset]
        let lineStart = before.lastIndex(of: UInt8(ascii: "\n")).map { $0 + 1 } ?? 0
        self.offset = offset
        self.line = before.count { $0 == UInt8(ascii: "\n") } + 1
        self.column = offset - lineStart + 1
        self.byte = bytes[offset]
    }

    var byteHex: String {
        let hex = String(byte, radix: 16, uppercase: true)
        return "0x" + (hex.count < 2 ? "0" + hex : hex)
    }
}
