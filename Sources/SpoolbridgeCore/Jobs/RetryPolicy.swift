/// When to try a failed upload again: capped exponential backoff with full jitter, never sooner
/// than the server's `Retry-After`, and a maximum age after which the job fails instead of waiting on.
public struct RetryPolicy: Sendable, Hashable {
    /// Delay ceiling before jitter for the first retry.
    public var baseDelaySeconds: Double
    /// No backoff grows past this (a cloud outage is retried at least this often).
    public var maxDelaySeconds: Double
    /// A job still undeliverable this long after it was accepted is failed; nil retries forever.
    public var maxAgeSeconds: Double?

    public init(baseDelaySeconds: Double = 2, maxDelaySeconds: Double = 300, maxAgeSeconds: Double? = 72 * 3600) {
        self.baseDelaySeconds = baseDelaySeconds
        self.maxDelaySeconds = maxDelaySeconds
        self.maxAgeSeconds = maxAgeSeconds
    }

    /// The backoff before retry number `attempt` (1 = after the first failure).
    /// `jitter` is a uniform random number in 0..<1, passed in so the policy stays a pure function.
    /// Full jitter (a uniform pick in 0...ceiling) spreads a fleet's retries after an outage.
    public func delay(afterAttempt attempt: Int, retryAfterSeconds: Double?, jitter: Double) -> Double {
        let exponent = Double(max(0, min(attempt - 1, 30)))
        let ceiling = min(maxDelaySeconds, baseDelaySeconds * pow2(exponent))
        let jittered = ceiling * min(max(jitter, 0), 1)
        guard let retryAfterSeconds, retryAfterSeconds > 0 else { return jittered }
        // The server knows its own load: wait at least what it asked, but a bogus huge value is capped.
        return min(max(jittered, retryAfterSeconds), max(maxDelaySeconds, 3600))
    }

    private func pow2(_ exponent: Double) -> Double {
        var result = 1.0
        for _ in 0..<Int(exponent) { result *= 2 }
        return result
    }
}
