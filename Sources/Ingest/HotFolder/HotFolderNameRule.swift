/// Which directory entries a hot folder leaves alone without a word: files other programs are still writing
/// under a temporary name, hidden files, Office lock files, and the reasons spoolbridge itself writes.
enum HotFolderNameRule {
    static func isIgnored(_ name: some Collection<UInt8>) -> Bool {
        guard let first = name.first else { return true }
        if first == UInt8(ascii: ".") { return true }  // dotfiles, and "." / ".."
        if name.starts(with: "~$".utf8) { return true }  // Office lock files
        let lowercased = name.map { byte in
            (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) ? byte + 32 : byte
        }
        return ignoredSuffixes.contains { suffix in lowercased.reversed().starts(with: suffix.utf8.reversed()) }
    }

    private static let ignoredSuffixes = [".tmp", ".part", ".error.txt"]
}
