import Testing
@testable import SpoolbridgeCore

@Suite("Handoff body framing")
struct HandoffBodyTests {
    /// Feeds `wire` to a decoder in pieces of `pieceSize` bytes.
    func decode(_ wire: [UInt8], pieceSize: Int) throws -> (document: [UInt8], complete: Bool, used: Int) {
        var decoder = HandoffBodyDecoder()
        var document: [UInt8] = []
        var used = 0
        var start = 0
        while start < wire.count, !decoder.isComplete {
            let end = min(start + pieceSize, wire.count)
            used += try wire[start..<end].withUnsafeBytes { piece in
                try decoder.consume(piece) { document += $0 }
            }
            start = end
        }
        #expect(decoder.documentBytes == Int64(document.count))
        return (document, decoder.isComplete, used)
    }

    @Test(arguments: [1, 3, 4, 5, 7, 1000, 100_000])
    func documentSurvivesAnySplitOfTheStream(pieceSize: Int) throws {
        let document = (0..<70_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let wire = HandoffBody.encode(document, frameLength: 4096)
        let result = try decode(wire, pieceSize: pieceSize)
        #expect(result.complete)
        #expect(result.document == document)
        #expect(result.used == wire.count)
    }

    @Test func emptyDocumentIsJustTheEndMarker() throws {
        #expect(HandoffBody.encode([]) == HandoffBody.endMarker)
        let result = try decode(HandoffBody.endMarker, pieceSize: 10)
        #expect(result.complete && result.document.isEmpty)
    }

    @Test(arguments: [0, 3, 4, 10, 4100, 4104])
    func truncatedStreamIsNeverComplete(cut: Int) throws {
        let wire = HandoffBody.encode(Array(repeating: 7, count: 5000), frameLength: 4096)
        let result = try decode(Array(wire.prefix(cut)), pieceSize: 64)
        #expect(!result.complete, "a stream cut after \(cut) bytes must not pass for a whole document")
    }

    @Test func bytesAfterTheEndMarkerAreNotConsumed() throws {
        let wire = HandoffBody.encode([1, 2, 3]) + [9, 9]
        let result = try decode(wire, pieceSize: wire.count)
        #expect(result.document == [1, 2, 3])
        #expect(result.used == wire.count - 2)
    }

    @Test func oversizedFrameIsAProtocolError() {
        var decoder = HandoffBodyDecoder()
        let wire: [UInt8] = [0xFF, 0xFF, 0xFF, 0xFF, 1, 2]
        #expect(throws: HandoffBodyError.self) {
            _ = try wire.withUnsafeBytes { try decoder.consume($0) { _ in } }
        }
    }

    @Test func frameHeaderIsBigEndian() {
        let header = HandoffBody.frameHeader(length: 0x00AB_CDEF)
        #expect([header.0, header.1, header.2, header.3] == [0, 0xAB, 0xCD, 0xEF])
    }
}
