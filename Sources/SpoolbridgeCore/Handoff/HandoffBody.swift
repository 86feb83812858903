/// The document bytes after the header line travel in frames: a 4-byte big-endian length, then
/// that many bytes. A frame of length 0 ends the document. A connection that closes before the
/// end frame is a truncated job (the backend was cancelled or died) and must be discarded, so the
/// daemon never mistakes part of a document for all of it.
public enum HandoffBody {
    /// Frames larger than this are a protocol error (the backend sends at most 64 KiB).
    public static let maxFrameLength = 16 << 20

    /// The four length bytes that precede a frame of `length` bytes; `length` 0 is the end marker.
    public static func frameHeader(length: Int) -> (UInt8, UInt8, UInt8, UInt8) {
        precondition(length >= 0 && length <= maxFrameLength, "frame length out of range")
        let value = UInt32(length)
        return (UInt8(truncatingIfNeeded: value >> 24), UInt8(truncatingIfNeeded: value >> 16),
                UInt8(truncatingIfNeeded: value >> 8), UInt8(truncatingIfNeeded: value))
    }

    /// The end-of-document marker.
    public static let endMarker: [UInt8] = [0, 0, 0, 0]

    /// Frames `data` as whole frames followed by the end marker: convenient for tests and small bodies.
    public static func encode(_ data: [UInt8], frameLength: Int = 65536) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(data.count + 4 * (data.count / max(frameLength, 1) + 2))
        var start = 0
        while start < data.count {
            let end = min(start + frameLength, data.count)
            let header = frameHeader(length: end - start)
            out += [header.0, header.1, header.2, header.3]
            out += data[start..<end]
            start = end
        }
        return out + endMarker
    }
}

public struct HandoffBodyError: Error, Sendable, Hashable, CustomStringConvertible {
    public var message: String
    public var description: String { "broken document framing: \(message)" }
}

/// Reads the framed body incrementally without buffering the document: feed it whatever the
/// socket returned and it hands back the runs of document bytes.
public struct HandoffBodyDecoder: Sendable {
    private var lengthBytes: UInt32 = 0
    private var lengthBytesSeen = 0
    private var remainingInFrame = 0
    public private(set) var isComplete = false
    /// Document bytes delivered so far.
    public private(set) var documentBytes: Int64 = 0

    public init() {}

    /// Consumes bytes from `input`, calling `deliver` for each run of document bytes, and returns
    /// how many input bytes it used: fewer than `input.count` only once the end marker is read.
    public mutating func consume(
        _ input: UnsafeRawBufferPointer, deliver: (UnsafeRawBufferPointer) throws -> Void
    ) throws -> Int {
        var position = 0
        while position < input.count, !isComplete {
            if remainingInFrame > 0 {
                let run = min(remainingInFrame, input.count - position)
                try deliver(UnsafeRawBufferPointer(rebasing: input[position..<position + run]))
                position += run
                remainingInFrame -= run
                documentBytes += Int64(run)
                continue
            }
            lengthBytes = lengthBytes << 8 | UInt32(input[position])
            lengthBytesSeen += 1
            position += 1
            guard lengthBytesSeen == 4 else { continue }
            let length = Int(lengthBytes)
            lengthBytes = 0
            lengthBytesSeen = 0
            guard length <= HandoffBody.maxFrameLength else {
                throw HandoffBodyError(message: "frame of \(length) bytes exceeds \(HandoffBody.maxFrameLength)")
            }
            if length == 0 { isComplete = true } else { remainingInFrame = length }
        }
        return position
    }
}
