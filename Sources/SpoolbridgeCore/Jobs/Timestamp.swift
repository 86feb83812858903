/// A wall-clock instant in milliseconds since 1970, as the outbox stores it.
/// (The domain stays free of Foundation so the CUPS backend, which links it, starts fast.)
public struct Timestamp: Sendable, Hashable, Codable, Comparable, CustomStringConvertible {
    public var millisecondsSince1970: Int64

    public init(millisecondsSince1970: Int64) {
        self.millisecondsSince1970 = millisecondsSince1970
    }

    public init(secondsSince1970: Double) {
        self.millisecondsSince1970 = Int64((secondsSince1970 * 1000).rounded())
    }

    public var secondsSince1970: Double { Double(millisecondsSince1970) / 1000 }

    public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool {
        lhs.millisecondsSince1970 < rhs.millisecondsSince1970
    }

    public func adding(seconds: Double) -> Timestamp {
        Timestamp(millisecondsSince1970: millisecondsSince1970 + Int64((seconds * 1000).rounded()))
    }

    public func seconds(since other: Timestamp) -> Double {
        Double(millisecondsSince1970 - other.millisecondsSince1970) / 1000
    }

    public var description: String { "\(millisecondsSince1970)ms" }
}
