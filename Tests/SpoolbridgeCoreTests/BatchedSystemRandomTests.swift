import SpoolbridgeCore
import Testing

@Suite("Batched system random")
struct BatchedSystemRandomTests {
    @Test("draws across several refills are distinct and no two generators agree")
    func distinctDraws() {
        var first = BatchedSystemRandom()
        var second = BatchedSystemRandom()
        // 20 draws: two refills of 8 and part of a third. 64 random bits repeating would mean the
        // buffer was served twice or never filled.
        let a = (0..<20).map { _ in first.next() }
        let b = (0..<20).map { _ in second.next() }
        #expect(Set(a).count == a.count)
        #expect(Set(a).isDisjoint(with: b))
        #expect(!a.contains(0))
    }

    @Test("it serves the standard library's random APIs, bounded ones included")
    func bounded() {
        var generator = BatchedSystemRandom()
        let rolls = (0..<1_000).map { _ in Int.random(in: 1...6, using: &generator) }
        #expect(rolls.allSatisfy { (1...6).contains($0) })
        #expect(Set(rolls).count == 6)
    }
}
