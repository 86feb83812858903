import Dispatch
import Glibc

/// A non-blocking inotify descriptor read by a Dispatch read source: the process sleeps in the kernel until
/// something happens in a watched directory (Dispatch on Linux has no file-system object source, and polling
/// would cost wake-ups on an idle server).
///
/// Events are delivered in batches (one per readable wake-up) on `queue`, which must be serial. `addWatch` and
/// `removeWatch` may be called from any thread; `close()` must be called once.
final class InotifyWatcher: @unchecked Sendable {
    /// Everything a hot folder needs to see: a completed write, a file moved in, a new entry (subfolders,
    /// links, FIFOs: they never close-write), writes (they restart the wait of a file found by a scan, whose writer
    /// may still hold it open), and the watched directory itself going away.
    static let directoryMask: UInt32 = UInt32(bitPattern:
        IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE | IN_MODIFY | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR
            | IN_EXCL_UNLINK)

    private let descriptor: Int32
    private let source: DispatchSourceRead
    // Only touched by the source's handlers, which run serially on `queue`.
    private let buffer: UnsafeMutableRawBufferPointer

    init(queue: DispatchQueue, onEvents: @escaping @Sendable ([InotifyEvent]) -> Void) throws(HotFolderError) {
        let descriptor = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        guard descriptor >= 0 else {
            throw HotFolderError.inotifyUnavailable(errno: errno)
        }
        self.descriptor = descriptor
        // Room for many events per read; the kernel never splits a record across reads.
        let buffer = UnsafeMutableRawBufferPointer.allocate(
            byteCount: 64 * 1024, alignment: MemoryLayout<inotify_event>.alignment)
        self.buffer = buffer
        let source = DispatchSource.makeReadSource(fileDescriptor: descriptor, queue: queue)
        self.source = source
        source.setEventHandler {
            var events: [InotifyEvent] = []
            while true {
                let count = read(descriptor, buffer.baseAddress, buffer.count)
                if count > 0 {
                    events += InotifyEvent.parse(UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
                    continue
                }
                if count < 0 && errno == EINTR { continue }
                break  // EAGAIN: drained. Other errors cannot happen on a valid inotify descriptor.
            }
            if !events.isEmpty { onEvents(events) }
        }
        source.setCancelHandler {
            Glibc.close(descriptor)
            buffer.deallocate()
        }
    }

    /// Starts delivering events. Watches may be added before or after.
    func start() {
        source.activate()
    }

    /// Watches the directory at `path`; returns the watch descriptor events will carry.
    /// Adding the same directory again returns the same descriptor.
    func addWatch(path: String, mask: UInt32 = InotifyWatcher.directoryMask) throws(HotFolderError) -> Int32 {
        let watch = inotify_add_watch(descriptor, path, mask)
        guard watch >= 0 else {
            throw HotFolderError.watchFailed(path: path, errno: errno)
        }
        return watch
    }

    func removeWatch(_ watch: Int32) {
        _ = inotify_rm_watch(descriptor, watch)
    }

    /// Stops the source and closes the descriptor; returns once it is closed.
    func close() async {
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            source.setCancelHandler { [descriptor, buffer] in
                Glibc.close(descriptor)
                buffer.deallocate()
                done.resume()
            }
            // An inactive source never runs its cancel handler; activating an active one does nothing.
            source.activate()
            source.cancel()
        }
    }

    deinit {
        source.activate()
        source.cancel()
    }
}
