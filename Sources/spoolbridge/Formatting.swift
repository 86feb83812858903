import Foundation
import SpoolbridgeCore

enum Formatting {
    static func age(since timestamp: Timestamp, now: Date = Date()) -> String {
        duration(now.timeIntervalSince1970 - timestamp.secondsSince1970)
    }

    static func duration(_ seconds: Double) -> String {
        let total = max(0, Int(seconds))
        if total < 60 { return "\(total)s" }
        if total < 3600 { return "\(total / 60)m \(total % 60)s" }
        if total < 86_400 { return "\(total / 3600)h \(total % 3600 / 60)m" }
        return "\(total / 86_400)d \(total % 86_400 / 3600)h"
    }

    static func time(_ timestamp: Timestamp) -> String {
        ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: timestamp.secondsSince1970))
    }

    static func json<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}
