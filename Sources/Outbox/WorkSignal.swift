/// Tells delivery that jobs became due (new job, admin retry) so it never has to poll.
/// Signals coalesce: many signals before the consumer looks count as one.
public final class WorkSignal: Sendable {
    public let signals: AsyncStream<Void>
    private let continuation: AsyncStream<Void>.Continuation

    public init() {
        (signals, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    public func signal() {
        continuation.yield()
    }
}
