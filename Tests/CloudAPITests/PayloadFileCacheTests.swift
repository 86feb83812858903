import Foundation
import CFileSync
import Testing

@testable import CloudAPI

#if canImport(Glibc)
import Glibc

/// A small document is read on the caller's thread only from the page cache; one whose pages were
/// dropped is opened again on the I/O pool, with the same bytes.
@Suite("Payload file: page-cache reads")
struct PayloadFileCacheTests {
    @Test("a small file in the page cache is opened and read whole at once, without the I/O pool")
    func cachedFileAtOnce() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let content = patternBytes(count: 100_000)
        let path = try directory.file("doc.pdf", bytes: content)  // just written: cached
        guard fileSystemSaysWhatIsCached(path) else { return }  // then everything goes to the pool
        guard case .opened(.success(let file)) = PayloadFile.openNow(path: path, fromDisk: false) else {
            Issue.record("a freshly written file was not read from the page cache")
            return
        }
        #expect(file.wholeContents.map { Array($0.readableBytesView) } == content)
        await file.close()
    }

    @Test("a small file dropped from the page cache is read whole all the same")
    func uncachedFileAllTheSame() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let content = patternBytes(count: 100_000)
        let path = try directory.file("doc.pdf", bytes: content)
        // Where the kernel keeps the pages anyway (tmpfs), this is the test above again. A read that
        // may not wait can still succeed here: it starts the disk read, and a fast disk may have
        // finished it by the time the kernel looks again. Either way the bytes must be the file's.
        let dropped = try dropFromPageCache(path)
        switch PayloadFile.openNow(path: path, fromDisk: false) {
        case .opened(let result):
            let file = try result.get()
            #expect(file.wholeContents.map { Array($0.readableBytesView) } == content)
            await file.close()
        case .needsDisk:
            #expect(dropped || !fileSystemSaysWhatIsCached(path), "a file in the page cache was sent to the pool")
        }
        let file = try await PayloadFile.open(path: path)
        #expect(file.wholeContents.map { Array($0.readableBytesView) } == content)
        await file.close()
    }

    /// Whether reads that may not wait work here at all (not on every file system, nor before Linux 4.14).
    private func fileSystemSaysWhatIsCached(_ path: String) -> Bool {
        let fd = open(path, O_RDONLY)
        defer { close(fd) }
        var byte: UInt8 = 0
        return cfilesync_pread_cached(fd, &byte, 1, 0) >= 0 || ![EOPNOTSUPP, ENOSYS, EINVAL].contains(errno)
    }

    /// Flushes the file, asks the kernel to drop its pages, and says whether none is resident.
    private func dropFromPageCache(_ path: String) throws -> Bool {
        let fd = open(path, O_RDONLY)
        #expect(fd >= 0)
        defer { close(fd) }
        _ = fsync(fd)
        _ = posix_fadvise(fd, 0, 0, Int32(POSIX_FADV_DONTNEED))
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_size > 0 else { return false }
        let length = Int(info.st_size)
        guard let map = mmap(nil, length, PROT_READ, MAP_SHARED, fd, 0), map != MAP_FAILED else { return false }
        defer { munmap(map, length) }
        let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))
        var resident = [UInt8](repeating: 0, count: (length + pageSize - 1) / pageSize)
        guard mincore(map, length, &resident) == 0 else { return false }
        return resident.allSatisfy { $0 & 1 == 0 }
    }
}
#endif
