import SpoolbridgeCore
import Testing

@Suite("RetryPolicy")
struct RetryPolicyTests {
    let policy = RetryPolicy(baseDelaySeconds: 2, maxDelaySeconds: 300, maxAgeSeconds: nil)
    let almostOne = 0.999_999_999

    @Test(arguments: [1, 2, 5, 30, 1000])
    func zeroJitterWaitsNotAtAll(attempt: Int) {
        #expect(policy.delay(afterAttempt: attempt, retryAfterSeconds: nil, jitter: 0) == 0)
    }

    @Test func fullJitterReachesTheExponentialCeiling() {
        let expected: [(attempt: Int, ceiling: Double)] = [(1, 2), (2, 4), (3, 8), (4, 16), (5, 32), (6, 64), (7, 128), (8, 256)]
        for (attempt, ceiling) in expected {
            let delay = policy.delay(afterAttempt: attempt, retryAfterSeconds: nil, jitter: almostOne)
            #expect(abs(delay - ceiling) < 1e-6, "attempt \(attempt): \(delay) instead of \(ceiling)")
        }
    }

    @Test func jitterPicksUniformlyBelowTheCeiling() {
        #expect(policy.delay(afterAttempt: 3, retryAfterSeconds: nil, jitter: 0.5) == 4)
        #expect(policy.delay(afterAttempt: 3, retryAfterSeconds: nil, jitter: 0.25) == 2)
    }

    @Test func everyRandomDelayStaysWithinZeroAndTheCeiling() {
        var generator = SystemRandomNumberGenerator()
        for attempt in 1...12 {
            let ceiling = min(300, 2 * Double(1 << (attempt - 1)))
            for _ in 0..<200 {
                let jitter = Double.random(in: 0..<1, using: &generator)
                let delay = policy.delay(afterAttempt: attempt, retryAfterSeconds: nil, jitter: jitter)
                #expect(delay >= 0 && delay <= ceiling, "attempt \(attempt), jitter \(jitter): \(delay)")
            }
        }
    }

    @Test(arguments: [9, 10, 31, 64, 1000, Int.max])
    func growthIsCappedAtMaxDelay(attempt: Int) {
        let delay = policy.delay(afterAttempt: attempt, retryAfterSeconds: nil, jitter: almostOne)
        #expect(delay <= 300)
        #expect(delay > 299.99)
    }

    @Test(arguments: [0, -1])
    func attemptsBelowOneUseTheBaseDelay(attempt: Int) {
        #expect(policy.delay(afterAttempt: attempt, retryAfterSeconds: nil, jitter: almostOne) <= 2)
    }

    @Test func jitterOutsideZeroToOneIsClamped() {
        #expect(policy.delay(afterAttempt: 3, retryAfterSeconds: nil, jitter: -3) == 0)
        #expect(policy.delay(afterAttempt: 3, retryAfterSeconds: nil, jitter: 7) == 8)
    }

    @Test(arguments: [0.0, 0.3, 0.9])
    func retryAfterIsAFloor(jitter: Double) {
        for attempt in [1, 4, 20] {
            let delay = policy.delay(afterAttempt: attempt, retryAfterSeconds: 45, jitter: jitter)
            #expect(delay >= 45, "attempt \(attempt), jitter \(jitter): \(delay)")
        }
    }

    @Test func aLongerBackoffThanRetryAfterIsKept() {
        // Attempt 9 with jitter ~1 waits 300 s; the server's 10 s is only a floor.
        let delay = policy.delay(afterAttempt: 9, retryAfterSeconds: 10, jitter: almostOne)
        #expect(delay > 299.99)
    }

    @Test func retryAfterAboveMaxDelayIsHonouredUpToAnHour() {
        #expect(policy.delay(afterAttempt: 1, retryAfterSeconds: 900, jitter: 0.5) == 900)
    }

    @Test(arguments: [1e6, 1e12, Double.greatestFiniteMagnitude, Double.infinity])
    func aHugeRetryAfterIsCapped(retryAfter: Double) {
        let delay = policy.delay(afterAttempt: 1, retryAfterSeconds: retryAfter, jitter: 0.5)
        #expect(delay <= 3600)
        #expect(delay >= 300)
    }

    @Test func theHugeRetryAfterCapNeverUndercutsMaxDelay() {
        let slow = RetryPolicy(baseDelaySeconds: 60, maxDelaySeconds: 7200, maxAgeSeconds: nil)
        #expect(slow.delay(afterAttempt: 1, retryAfterSeconds: 1e9, jitter: 0) == 7200)
    }

    @Test(arguments: [0.0, -5.0])
    func aNonPositiveRetryAfterIsIgnored(retryAfter: Double) {
        #expect(policy.delay(afterAttempt: 2, retryAfterSeconds: retryAfter, jitter: 0.5) == 2)
    }

    @Test func defaultsMatchTheDocumentedConfiguration() {
        let defaults = RetryPolicy()
        #expect(defaults.baseDelaySeconds == 2)
        #expect(defaults.maxDelaySeconds == 300)
        #expect(defaults.maxAgeSeconds == Double(72 * 3600))
    }
}
