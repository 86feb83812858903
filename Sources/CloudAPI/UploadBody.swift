import NIOCore

/// The request body of an upload: the multipart head, the file in chunks, the tail.
/// The HTTP client pulls one chunk at a time as the socket drains, so memory stays at a few
/// chunks whatever the file size.
struct UploadBody: AsyncSequence, Sendable {
    typealias Element = ByteBuffer

    let head: ByteBuffer
    let tail: ByteBuffer
    let file: PayloadFile
    let chunkSize: Int
    /// Told each time the client asks for a chunk, for the stall watchdog.
    let progress: ExchangeProgress?
    /// A file read whole when opened goes out as one piece with the head and tail: every piece is
    /// a round trip between the client's event loop and the task feeding it, which for a 20 KB
    /// document cost more than the bytes. Its size was checked around that one read.
    let sendsSmallFileWhole: Bool

    static let defaultChunkSize = 256 * 1024

    init(
        form: MultipartForm, file: PayloadFile, chunkSize: Int = UploadBody.defaultChunkSize, progress: ExchangeProgress? = nil,
        sendsSmallFileWhole: Bool = false
    ) {
        self.sendsSmallFileWhole = sendsSmallFileWhole
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
                if body.sendsSmallFileWhole, var contents = body.file.wholeContents {
                    phase = .done
                    var piece = body.head
                    piece.writeBuffer(&contents)
                    piece.writeImmutableBuffer(body.tail)
                    return piece
                }
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
