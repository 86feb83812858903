import Glibc

/// Where the job's bytes come from: the spool file CUPS named in argv[6] (raw queues), else
/// stdin (filters ran). Read sequentially; stdin is never seeked and the spool file path is never
/// handed on (CUPS deletes it when the job ends).
struct JobInput {
    let fd: Int32
    /// Known for a spool file, so the daemon can refuse an oversized job before the transfer.
    let size: Int64?

    struct Failure: Error {
        var message: String
    }

    static func open(fileArgument: String?) throws(Failure) -> JobInput {
        guard let path = fileArgument else { return JobInput(fd: 0, size: nil) }
        let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw Failure(message: "cannot open the job's spool file \(path): \(Diagnostics.describe(errno: errno))")
        }
        var info = stat()
        let size: Int64? = fstat(fd, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG ? Int64(info.st_size) : nil
        return JobInput(fd: fd, size: size)
    }

    /// Reads up to `buffer.count` bytes; 0 at the end of the data.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws(Failure) -> Int {
        while true {
            let count = Glibc.read(fd, buffer.baseAddress, buffer.count)
            if count >= 0 { return count }
            if errno == EINTR { continue }
            throw Failure(message: "cannot read the job's data: \(Diagnostics.describe(errno: errno))")
        }
    }
}
