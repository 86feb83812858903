/// A file name on Linux is at most 255 bytes (NAME_MAX), and a hot folder may hold a file whose name
/// is already that long. Names spoolbridge derives from another name (`NAME.error.txt`, a temporary
/// `NAME.partial`, a unique `stem-2.ext`) are kept within the limit the same documented way
/// (Docs/configuration.md, "The failed folder"): when `base + suffix` is too long, `base` is cut on
/// a UTF-8 character boundary and `~` plus 8 hex digits of a hash of the whole `base` are put before
/// the suffix, so two long names that share a beginning still get different names.
enum FileNameLimit {
    static let maxBytes = 255

    /// `base + suffix` when it fits; otherwise `<base cut short>~<hash>` + `suffix`.
    static func fitting(_ base: String, suffix: String) -> String {
        guard base.utf8.count + suffix.utf8.count > maxBytes else { return base + suffix }
        let marker = "~" + hash(base)
        let budget = max(0, maxBytes - suffix.utf8.count - marker.utf8.count)
        var kept = String.UnicodeScalarView()
        var used = 0
        for scalar in base.unicodeScalars {
            let size = UTF8.width(scalar)
            guard used + size <= budget else { break }
            kept.append(scalar)
            used += size
        }
        return String(kept) + marker + suffix
    }

    /// 32-bit FNV-1a of the UTF-8 bytes, as 8 lowercase hex digits: stable across runs and versions.
    static func hash(_ text: String) -> String {
        var value: UInt32 = 0x811C_9DC5
        for byte in text.utf8 {
            value ^= UInt32(byte)
            value &*= 0x0100_0193
        }
        let hex = String(value, radix: 16)
        return String(repeating: "0", count: 8 - hex.count) + hex
    }
}
