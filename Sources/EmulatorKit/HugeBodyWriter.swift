import NIOCore
import NIOHTTP1

/// Writes the `okHugeBody` fault's answer body piece by piece, only while the channel is
/// writable, so a client that stops reading (or drops the connection) costs one piece of memory,
/// not the whole body. Runs on the connection's event loop, driven by the handler.
final class HugeBodyWriter {
    static let pieceBytes = 64 * 1024

    private var remaining: Int
    private let piece: ByteBuffer
    private let closeWhenDone: Bool
    private var isPumping = false

    init(bytes: Int, closeWhenDone: Bool, allocator: ByteBufferAllocator) {
        self.remaining = bytes
        self.closeWhenDone = closeWhenDone
        // Printable filler: a client that logs the start of the body shows text, not binary noise.
        self.piece = allocator.buffer(repeating: UInt8(ascii: "x"), count: Self.pieceBytes)
    }

    /// Writes as much as the channel takes now; true once the body and its end are written.
    /// A call made while pumping (a writability change fired by our own flush) does nothing:
    /// the outer loop looks at the writability again after the flush.
    func pump(context: ChannelHandlerContext) -> Bool {
        guard !isPumping else { return false }
        isPumping = true
        defer { isPumping = false }
        while context.channel.isActive {
            while remaining > 0 && context.channel.isWritable {
                let size = min(remaining, Self.pieceBytes)
                remaining -= size
                let part = HTTPServerResponsePart.body(.byteBuffer(piece.getSlice(at: piece.readerIndex, length: size)!))
                context.write(NIOAny(part), promise: nil)
            }
            if remaining == 0 {
                let written = context.writeAndFlush(NIOAny(HTTPServerResponsePart.end(nil)))
                if closeWhenDone {
                    let channel = context.channel
                    written.whenComplete { _ in channel.close(promise: nil) }
                }
                return true
            }
            context.flush()
            // Still full: the next channelWritabilityChanged resumes. Drained already: go on.
            if !context.channel.isWritable { return false }
        }
        return true  // the client went away: nothing more to write
    }
}
