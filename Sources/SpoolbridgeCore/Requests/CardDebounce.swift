/// Which card swipes become `/card` calls: the same card within the window is one swipe. Pure (the
/// time is passed in); the memory is bounded by the number of distinct cards seen in one window.
public struct CardDebounce: Sendable {
    public let windowMilliseconds: Int64
    /// Card id → when it last became a call.
    private var lastCall: [String: Int64] = [:]

    public init(windowMilliseconds: Int64) {
        self.windowMilliseconds = windowMilliseconds
    }

    /// True when `card` swiped at `now` (milliseconds, monotonic) should become a call.
    public mutating func accept(_ card: String, now: Int64) -> Bool {
        if lastCall.count > 4096 { lastCall = lastCall.filter { now - $0.value < windowMilliseconds } }
        if let last = lastCall[card], now - last < windowMilliseconds { return false }
        lastCall[card] = now
        return true
    }
}
