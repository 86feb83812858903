#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// JSON decoding of the cloud's answers, in one place (FoundationEssentials where available: smaller).
enum CloudJSON {
    static func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8]) throws -> T {
        try decoder.decode(type, from: Data(bytes))
    }

    /// One for all: it has no settings to change, and it is safe to share.
    private static let decoder = JSONDecoder()
}
