import Crypto

// SHA-256 of what the emulator received, from swift-crypto (BoringSSL's hashing, with the CPU's SHA
// instructions where it has them). The client under test hashes nothing, so judging its uploads this
// way shares no code with it. The hasher streams: the data part of an upload is hashed as its bytes
// arrive and never held in memory. A hand-written SHA-256 did ~200 MB/s and was the bottleneck of
// the 200 MB benchmark for every sender alike (Docs/performance.md).

/// One-shot helpers over `SHA256Hasher`.
public struct SHA256Digest: Sendable {
    /// Lowercase hex SHA-256 of `bytes`.
    public static func hex(of bytes: some Sequence<UInt8>) -> String {
        var hasher = SHA256Hasher()
        hasher.update(bytes)
        return hexString(hasher.finalize())
    }

    /// Lowercase hex of raw digest bytes.
    public static func hexString(_ digest: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var text = [UInt8]()
        text.reserveCapacity(digest.count * 2)
        for byte in digest {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}

/// Incremental SHA-256: feed bytes with `update`, read the 32-byte digest with `finalize`.
public struct SHA256Hasher: Sendable {
    private var hash = SHA256()
    private var totalBytes: UInt64 = 0

    public init() {}

    /// How many bytes were fed so far.
    public var byteCount: UInt64 { totalBytes }

    public mutating func update(_ bytes: some Sequence<UInt8>) {
        let handled: Void? = bytes.withContiguousStorageIfAvailable { update(UnsafeRawBufferPointer($0)) }
        if handled == nil {
            Array(bytes).withUnsafeBytes { update($0) }
        }
    }

    public mutating func update(_ buffer: UnsafeRawBufferPointer) {
        hash.update(bufferPointer: buffer)
        totalBytes += UInt64(buffer.count)
    }

    /// The digest of everything fed so far. The hasher is spent afterwards.
    public mutating func finalize() -> [UInt8] {
        Array(hash.finalize())
    }
}
