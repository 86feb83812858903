import SpoolbridgeCore
import Testing

@Suite("Card swipes: debounce")
struct CardDebounceTests {
    @Test func theSameCardWithinTheWindowIsOneSwipeAndOtherCardsAreNotHeldUp() {
        var debounce = CardDebounce(windowMilliseconds: 2000)
        let results = [("A", 0), ("A", 1999), ("B", 1999), ("A", 2000), ("A", 3000)].map { debounce.accept($0.0, now: Int64($0.1)) }
        // The window counts from the swipe that became a call; another card is never held up.
        #expect(results == [true, false, true, true, false])
    }

    @Test func memoryStaysBoundedUnderAFloodOfDistinctCards() {
        var debounce = CardDebounce(windowMilliseconds: 10)
        var accepted = 0
        for index in 0..<10_000 where debounce.accept("card-\(index)", now: Int64(index)) { accepted += 1 }
        #expect(accepted == 10_000)
        let repeated = debounce.accept("card-9999", now: 10_000)
        #expect(!repeated)
    }
}
