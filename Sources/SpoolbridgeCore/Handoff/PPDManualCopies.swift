/// Reads `*cupsManualCopies` from a PPD's text without a PPD parser: the backend needs only this
/// one keyword to decide who makes the copies.
public enum PPDManualCopies {
    /// True when the PPD says `*cupsManualCopies: True`; the keyword's absence means False.
    public static func declared(in ppd: some Sequence<UInt8>) -> Bool {
        let key = Array("*cupsManualCopies:".utf8)
        var line: [UInt8] = []
        var found = false
        func check() {
            guard line.starts(with: key) else { return }
            let value = line.dropFirst(key.count).filter { $0 != 0x20 && $0 != 0x09 && $0 != 0x22 && $0 != 0x0D }
            found = String(decoding: value, as: UTF8.self).lowercased() == "true"
        }
        for byte in ppd {
            if byte == 0x0A { check(); line.removeAll(keepingCapacity: true) } else { line.append(byte) }
        }
        check()
        return found
    }
}
