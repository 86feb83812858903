import NIOCore

/// The request body of an upload: the multipart head, the file in chunks, the tail.
/// The HTTP client pulls one chunk at a time as the socket drains, so memory stays at a few
/// chunks whatever the file size.
///
/// A file read whole when it was opened (the usual print job) is not streamed: see `whole(form:file:)`.
struct UploadBody: AsyncSequence, Sendable {
    typealias Element = ByteBuffer

    let head: ByteBuffer
    let tail: ByteBuffer
    let file: PayloadFile
    let chunkSize: Int
    /// What chunks grow to while the socket takes them quickly.
    let largestChunkSize: Int
    /// Told each time the client asks for a chunk, for the stall watchdog.
    let progress: ExchangeProgress?

    static let defaultChunkSize = 256 * 1024
    static let defaultLargestChunkSize = 1024 * 1024
    /// A chunk asked for sooner than this after the one before (the link takes more than ~12 MB/s)
    /// makes the next one twice as large. Fewer, larger chunks are fewer hand-offs between the
    /// threads that read and write them (a 200 MB upload on loopback: 0.221 → 0.198 s). On a slow
    /// link they stay at `chunkSize`, the stall watchdog's granularity; on a fast one the kernel's
    /// send buffer (several MB by then) is the coarser granularity already.
    static let growthInterval: Duration = .milliseconds(20)

    /// The whole body in one buffer, when the file was read whole at open (its size was checked
    /// around that one read), else nil. Such a body is handed to the HTTP client as bytes: a streamed
    /// body costs the client a task of its own and a hop to its event loop per piece and for the end,
    /// more than the 20 KB of a usual document.
    static func whole(form: MultipartForm, file: PayloadFile) -> ByteBuffer? {
        guard var contents = file.wholeContents else { return nil }
        var body = ByteBuffer()
        body.reserveCapacity(form.head.count + contents.readableBytes + form.tail.count)
        body.writeBytes(form.head)
        body.writeBuffer(&contents)
        body.writeBytes(form.tail)
        return body
    }

    /// The size of the next chunk: twice the last while chunks are asked for quickly, up to `largest`.
    static func chunkSize(after last: Int, askedAgainAfter interval: Duration?, largest: Int) -> Int {
        guard let interval, interval < growthInterval else { return last }
        return Swift.min(last * 2, largest)
    }

    init(
        form: MultipartForm, file: PayloadFile, chunkSize: Int = UploadBody.defaultChunkSize,
        largestChunkSize: Int = UploadBody.defaultLargestChunkSize, progress: ExchangeProgress? = nil
    ) {
        self.head = ByteBuffer(bytes: form.head)
        self.tail = ByteBuffer(bytes: form.tail)
        self.file = file
        self.chunkSize = chunkSize
        self.largestChunkSize = Swift.max(chunkSize, largestChunkSize)
        self.progress = progress
    }

    func makeAsyncIterator() -> Iterator {
        Iterator(body: self)
    }

    struct Iterator: AsyncIteratorProtocol {
        private enum Phase {
            case head
            case file(offset: Int64)
            case tail
            case done
        }

        private let body: UploadBody
        private var phase = Phase.head
        private var chunkSize: Int
        private var lastChunkAskedAt: ContinuousClock.Instant?

        init(body: UploadBody) {
            self.body = body
            self.chunkSize = body.chunkSize
        }

        mutating func next() async throws -> ByteBuffer? {
            if case .done = phase {
                body.progress?.bodyFinished()
            } else {
                body.progress?.bodyPieceRequested()
            }
            switch phase {
            case .head:
                phase = .file(offset: 0)
                return body.head
            case .file(let offset):
                let file = body.file
                if offset == file.size {
                    // The Content-Length promised exactly `size` bytes: a file that grew would be cut off.
                    let sizeNow = try await file.currentSize()
                    guard sizeNow == file.size else { throw changed(from: file.size, to: sizeNow) }
                    phase = .tail
                    return try await next()
                }
                let now = ContinuousClock.now
                chunkSize = UploadBody.chunkSize(
                    after: chunkSize, askedAgainAfter: lastChunkAskedAt.map { now - $0 }, largest: body.largestChunkSize)
                lastChunkAskedAt = now
                let wanted = Int(Swift.min(Int64(chunkSize), file.size - offset))
                let chunk = try await file.read(offset: offset, maximumCount: wanted)
                guard chunk.readableBytes > 0 else {
                    throw changed(from: file.size, to: offset)
                }
                phase = .file(offset: offset + Int64(chunk.readableBytes))
                return chunk
            case .tail:
                phase = .done
                return body.tail
            case .done:
                return nil
            }
        }

        private func changed(from oldSize: Int64, to newSize: Int64) -> PayloadReadError {
            PayloadReadError(
                message: "document file \(body.file.path) changed size during the upload "
                    + "(\(oldSize) bytes when opened, \(newSize) now); something else is writing to it")
        }
    }
}
