#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The system's secure random source read 64 bytes per call: `SystemRandomNumberGenerator` makes one
/// `getrandom` system call per 8 bytes, and a multipart boundary or a spool file name needs several.
/// Make one where the bytes are needed; it is not shared, so it needs no lock.
public struct BatchedSystemRandom: RandomNumberGenerator {
    private var words = [UInt64](repeating: 0, count: 8)
    private var used = 8

    public init() {}

    public mutating func next() -> UInt64 {
        if used == words.count { refill() }
        defer { used += 1 }
        return words[used]
    }

    private mutating func refill() {
        used = 0
        #if canImport(Glibc) || canImport(Musl)
        let wanted = words.count * MemoryLayout<UInt64>.size
        // getentropy(3): one getrandom(2) call for up to 256 bytes, never short. Should it fail (a
        // kernel without getrandom), the standard generator fills the words instead.
        if words.withUnsafeMutableBytes({ getentropy($0.baseAddress, wanted) }) == 0 { return }
        #endif
        var system = SystemRandomNumberGenerator()
        for index in words.indices { words[index] = system.next() }
    }
}
