import NIOCore

/// One line from a card reader connection, or the news that a line was too long to be a card id.
enum CardLine: Sendable, Hashable {
    case line(ByteBuffer)
    /// A line over `CardLineDecoder.maxLineBytes`: dropped up to its end, never buffered whole.
    case overlong
}

/// Splits a reader's byte stream into lines (`\n`, an optional `\r` before it). Memory stays
/// bounded whatever a client sends: past `maxLineBytes` without a line break, the bytes are
/// dropped until the next one.
struct CardLineDecoder: ByteToMessageDecoder {
    typealias InboundOut = CardLine

    static let maxLineBytes = 256
    private var discarding = false

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        let view = buffer.readableBytesView
        guard let newline = view.firstIndex(of: UInt8(ascii: "\n")) else {
            if buffer.readableBytes > Self.maxLineBytes {
                buffer.moveReaderIndex(forwardBy: buffer.readableBytes)
                if !discarding {
                    discarding = true
                    context.fireChannelRead(wrapInboundOut(.overlong))
                }
            }
            return .needMoreData
        }
        let length = newline - view.startIndex
        var line = buffer.readSlice(length: length)!
        buffer.moveReaderIndex(forwardBy: 1)
        if discarding {
            discarding = false  // the end of the overlong line, already reported
            return .continue
        }
        if line.readableBytes > Self.maxLineBytes {
            context.fireChannelRead(wrapInboundOut(.overlong))
            return .continue
        }
        if line.readableBytesView.last == UInt8(ascii: "\r") { line = line.getSlice(at: line.readerIndex, length: line.readableBytes - 1)! }
        context.fireChannelRead(wrapInboundOut(.line(line)))
        return .continue
    }

    mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        while try decode(context: context, buffer: &buffer) == .continue {}
        // A last line without a line break still counts, unless it was too long.
        if buffer.readableBytes > 0 && !discarding {
            let line = buffer.readSlice(length: buffer.readableBytes)!
            context.fireChannelRead(wrapInboundOut(.line(line)))
        }
        buffer.moveReaderIndex(forwardBy: buffer.readableBytes)
        return .needMoreData
    }
}
