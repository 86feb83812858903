import NIOCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// One header line of a multipart part; `name` is lowercased.
struct MultipartHeader: Sendable, Hashable {
    var name: String
    var value: String
}

/// Receives a multipart body's parts as the parser finds them. Throwing stops the parse.
protocol MultipartPartSink {
    mutating func partBegan(headers: [MultipartHeader]) throws
    mutating func partBytes(_ bytes: UnsafeRawBufferPointer) throws
    mutating func partEnded() throws
}

/// A streaming multipart parser (RFC 2046 §5.1.1, RFC 7578). Feed it the body in pieces of
/// any size; part contents go to the sink as they arrive, so memory stays bounded by the
/// longest delimiter and the header block, never by a part's size. A delimiter split across
/// two pieces is kept back until the next piece decides it.
struct MultipartParser {
    private enum State { case preamble, afterDelimiter, headers, body, epilogue }

    static let maxHeaderBlockBytes = 16 * 1024
    private static let maxTransportPadding = 256

    let boundary: String
    /// "--boundary": the first delimiter may start the body without a CRLF before it.
    private let dashBoundary: [UInt8]
    /// "\r\n--boundary": every later delimiter, and what ends a part's content.
    private let delimiter: [UInt8]
    private var state = State.preamble
    private var atBodyStart = true
    private var pending = ByteBuffer()
    private var headers: [MultipartHeader] = []
    private var headerBlockBytes = 0

    init(boundary: String) {
        self.boundary = boundary
        self.dashBoundary = Array("--\(boundary)".utf8)
        self.delimiter = Array("\r\n--\(boundary)".utf8)
    }

    mutating func feed<Sink: MultipartPartSink>(_ chunk: ByteBuffer, into sink: inout Sink) throws {
        if pending.readableBytes == 0 {
            pending = chunk
        } else {
            var chunk = chunk
            pending.writeBuffer(&chunk)
        }
        while try step(&sink) {}
        if pending.readableBytes == 0 {
            pending = ByteBuffer()
        } else if pending.readerIndex > 0 {
            // Keep only the undecided tail (a partial delimiter or header line), not the whole read.
            pending = ByteBuffer(bytes: pending.readableBytesView)
        }
    }

    /// Call at the end of the request body: the closing delimiter must have been seen.
    func finish() throws {
        switch state {
        case .epilogue:
            return
        case .preamble:
            throw Rejection.badRequest(
                "multipart body contains no delimiter line --\(boundary); the body must use the boundary of the Content-Type header")
        case .afterDelimiter, .headers, .body:
            throw Rejection.badRequest(
                "multipart body ended without the closing delimiter --\(boundary)-- (truncated body or missing final boundary)")
        }
    }

    /// One parsing step; false when more input is needed.
    private mutating func step<Sink: MultipartPartSink>(_ sink: inout Sink) throws -> Bool {
        switch state {
        case .preamble: return skipPreamble()
        case .afterDelimiter: return try readDelimiterSuffix()
        case .headers: return try readHeaderLine(&sink)
        case .body: return try readBody(&sink)
        case .epilogue:
            pending.moveReaderIndex(forwardBy: pending.readableBytes)
            return false
        }
    }

    private mutating func skipPreamble() -> Bool {
        if atBodyStart {
            let available = min(pending.readableBytes, dashBoundary.count)
            let isPrefix = pending.withUnsafeReadableBytes { bytes in
                bytes.prefix(available).elementsEqual(dashBoundary.prefix(available))
            }
            if isPrefix && available < dashBoundary.count { return false }
            atBodyStart = false
            if isPrefix {
                pending.moveReaderIndex(forwardBy: dashBoundary.count)
                state = .afterDelimiter
                return true
            }
        }
        switch findDelimiter() {
        case .found(let index):
            pending.moveReaderIndex(forwardBy: index + delimiter.count)
            state = .afterDelimiter
            return true
        case .partial(let index):
            pending.moveReaderIndex(forwardBy: index)
            return false
        case .none:
            pending.moveReaderIndex(forwardBy: pending.readableBytes)
            return false
        }
    }

    /// After "--boundary": "--" closes the body; otherwise optional padding then CRLF opens a part.
    private mutating func readDelimiterSuffix() throws -> Bool {
        let bytes = Array(pending.readableBytesView.prefix(Self.maxTransportPadding + 2))
        guard let first = bytes.first else { return false }
        if first == UInt8(ascii: "-") {
            guard bytes.count >= 2 else { return false }
            guard bytes[1] == UInt8(ascii: "-") else { throw malformedDelimiter() }
            pending.moveReaderIndex(forwardBy: 2)
            state = .epilogue
            return true
        }
        var index = 0
        while index < bytes.count, bytes[index] == UInt8(ascii: " ") || bytes[index] == UInt8(ascii: "\t") {
            index += 1
        }
        guard index + 2 <= bytes.count else {
            if index > Self.maxTransportPadding { throw malformedDelimiter() }
            return false
        }
        guard bytes[index] == UInt8(ascii: "\r"), bytes[index + 1] == UInt8(ascii: "\n") else {
            throw malformedDelimiter()
        }
        pending.moveReaderIndex(forwardBy: index + 2)
        state = .headers
        headers = []
        headerBlockBytes = 0
        return true
    }

    private func malformedDelimiter() -> Rejection {
        .badRequest("multipart delimiter --\(boundary) must be followed by CRLF or by -- (the closing delimiter)")
    }

    private mutating func readHeaderLine<Sink: MultipartPartSink>(_ sink: inout Sink) throws -> Bool {
        let lineEnd = pending.withUnsafeReadableBytes { bytes in
            Self.find(needle: crlf, in: bytes)
        }
        guard case .found(let length) = lineEnd else {
            if headerBlockBytes + pending.readableBytes > Self.maxHeaderBlockBytes { throw headerBlockTooLarge() }
            return false
        }
        headerBlockBytes += length + 2
        if headerBlockBytes > Self.maxHeaderBlockBytes { throw headerBlockTooLarge() }
        let line = Array(pending.readableBytesView.prefix(length))
        pending.moveReaderIndex(forwardBy: length + 2)
        if line.isEmpty {
            try sink.partBegan(headers: headers)
            state = .body
            return true
        }
        headers.append(try Self.parseHeaderLine(line))
        return true
    }

    private func headerBlockTooLarge() -> Rejection {
        .badRequest("multipart part headers exceed \(Self.maxHeaderBlockBytes) bytes or lack the empty line (CRLF CRLF) that ends them")
    }

    static func parseHeaderLine(_ line: [UInt8]) throws -> MultipartHeader {
        if line.contains(UInt8(ascii: "\r")) || line.contains(UInt8(ascii: "\n")) {
            throw Rejection.badRequest("multipart header lines must end with CRLF (found a bare CR or LF)")
        }
        if line.first == UInt8(ascii: " ") || line.first == UInt8(ascii: "\t") {
            throw Rejection.badRequest("multipart header lines must not be folded (line starts with whitespace)")
        }
        guard let colon = line.firstIndex(of: UInt8(ascii: ":")), colon > 0,
            line[..<colon].allSatisfy(HeaderValueScanner.isTokenByte)
        else {
            throw Rejection.badRequest("malformed multipart header line \"\(String(decoding: line.prefix(80), as: UTF8.self))\"")
        }
        let name = String(decoding: line[..<colon], as: UTF8.self).lowercased()
        var value = line[(colon + 1)...]
        while let first = value.first, first == UInt8(ascii: " ") || first == UInt8(ascii: "\t") { value.removeFirst() }
        while let last = value.last, last == UInt8(ascii: " ") || last == UInt8(ascii: "\t") { value.removeLast() }
        guard let text = String(validating: value, as: UTF8.self) else {
            throw Rejection.badRequest("multipart header \(name) is not valid UTF-8")
        }
        return MultipartHeader(name: name, value: text)
    }

    private mutating func readBody<Sink: MultipartPartSink>(_ sink: inout Sink) throws -> Bool {
        let match = findDelimiter()
        let contentLength: Int
        switch match {
        case .found(let index), .partial(let index): contentLength = index
        case .none: contentLength = pending.readableBytes
        }
        if contentLength > 0 {
            try pending.withUnsafeReadableBytes { bytes in
                try sink.partBytes(UnsafeRawBufferPointer(rebasing: bytes.prefix(contentLength)))
            }
            pending.moveReaderIndex(forwardBy: contentLength)
        }
        guard case .found = match else { return false }
        pending.moveReaderIndex(forwardBy: delimiter.count)
        try sink.partEnded()
        state = .afterDelimiter
        return true
    }

    private func findDelimiter() -> Match {
        pending.withUnsafeReadableBytes { bytes in
            delimiter.withUnsafeBytes { needle in Self.find(needle: needle, in: bytes) }
        }
    }

    enum Match: Equatable {
        /// The whole needle starts at this offset.
        case found(Int)
        /// The haystack ends with this many-byte-offset prefix of the needle: undecided until more input.
        case partial(Int)
        case none
    }

    private static func find(needle: [UInt8], in haystack: UnsafeRawBufferPointer) -> Match {
        needle.withUnsafeBytes { find(needle: $0, in: haystack) }
    }

    /// First occurrence of `needle` in `haystack`, or a needle prefix at its very end.
    /// memchr finds candidates for the first byte, so random binary content scans at memory speed.
    static func find(needle: UnsafeRawBufferPointer, in haystack: UnsafeRawBufferPointer) -> Match {
        guard let base = haystack.baseAddress, let needleBase = needle.baseAddress, !needle.isEmpty else { return .none }
        let count = haystack.count
        let firstByte = Int32(needle[0])
        var offset = 0
        while offset < count {
            guard let hit = memchr(base + offset, firstByte, count - offset) else { return .none }
            let position = base.distance(to: UnsafeRawPointer(hit))
            let compared = min(count - position, needle.count)
            if memcmp(base + position, needleBase, compared) == 0 {
                return compared == needle.count ? .found(position) : .partial(position)
            }
            offset = position + 1
        }
        return .none
    }
}

private let crlf: [UInt8] = [13, 10]
