/// Turns a metadata key into a journal field name: ASCII `A-Z`, `0-9` and `_`, starting with a letter
/// (journald reserves a leading `_` for trusted fields), at most 64 characters. `job-id` → `JOB_ID`.
enum JournalFieldName {
    static let maxLength = 64

    /// nil when nothing usable is left (e.g. the key was only punctuation).
    static func sanitised(_ key: String) -> String? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(key.utf8.count)
        for byte in key.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"): bytes.append(byte - 32)
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"): bytes.append(byte)
            case 0x80...0xBF: continue  // UTF-8 continuation byte: one '_' per non-ASCII character is enough
            default: bytes.append(UInt8(ascii: "_"))
            }
        }
        // Leading underscores would make it look like a trusted field; a leading digit is not a name.
        guard let firstUsable = bytes.firstIndex(where: { $0 != UInt8(ascii: "_") }) else { return nil }
        bytes.removeFirst(firstUsable)
        if (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[0]) {
            bytes.insert(contentsOf: Array("F_".utf8), at: 0)
        }
        return String(decoding: bytes.prefix(maxLength), as: UTF8.self)
    }
}
