import Glibc

/// Lines for CUPS on stderr (`INFO:`, `ERROR:`, `DEBUG:`): `INFO` and `ERROR` become the job's
/// state message in `lpstat -l`, everything lands in the CUPS error log.
enum Diagnostics {
    static func info(_ text: String) { emit("INFO: " + text) }
    static func error(_ text: String) { emit("ERROR: " + text) }
    static func warning(_ text: String) { emit("WARNING: " + text) }
    static func debug(_ text: String) { emit("DEBUG: " + text) }

    /// One write per line so that lines from the side-channel thread never interleave.
    static func emit(_ line: String, fd: Int32 = 2) {
        var bytes = Array(line.utf8.prefix(1020))
        bytes.append(0x0A)
        bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    return
                }
                offset += written
            }
        }
    }

    static func describe(errno code: Int32) -> String {
        String(cString: strerror(code))
    }
}
