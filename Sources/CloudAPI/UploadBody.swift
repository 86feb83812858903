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
    /// Told each time the client asks for a chunk, for the stall watchdog.
    let progress: ExchangeProgress?

    static let defaultChunkSize = 256 * 1024

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

    init(
        form: MultipartForm, file: PayloadFile, chunkSize: Int = UploadBody.defaultChunkSize, progress: ExchangeProgress? = nil
    ) {
        self.head = ByteBuffer(bytes: form.head)
        self.tail = ByteBuffer(bytes: form.tail)
        self.file = file
        self.chunkSize = chunkSize
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

        init(body: UploadBody) {
            self.body = body
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
                let wanted = Int(Swift.min(Int64(body.chunkSize), file.size - offset))
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
