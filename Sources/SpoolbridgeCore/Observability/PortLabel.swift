import Synchronization

/// Keeps the `port` label's cardinality bounded: ports come from the configuration (hot folders, CUPS
/// queues' device URIs), but a queue an admin mistyped should not grow a series per typo. The first
/// `limit` distinct ports keep their names; any later one is counted as `other`.
public final class PortLabel: Sendable {
    public static let shared = PortLabel(limit: 64)
    public static let overflow = "other"

    private let limit: Int
    private let seen = Mutex<Set<String>>([])

    public init(limit: Int) {
        self.limit = limit
    }

    public func label(for port: String) -> String {
        seen.withLock { seen in
            if seen.contains(port) { return port }
            guard seen.count < limit else { return Self.overflow }
            seen.insert(port)
            return port
        }
    }
}
