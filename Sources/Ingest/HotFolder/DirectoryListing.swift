import Glibc

/// The entry names of one directory, as raw bytes (names need not be valid UTF-8), "." and ".." left out.
enum DirectoryListing {
    static func names(in path: String) -> Result<[[UInt8]], FileStatus.Errno> {
        guard let directory = opendir(path) else { return .failure(FileStatus.Errno(errno)) }
        defer { closedir(directory) }
        var names: [[UInt8]] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: &entry.pointee.d_name) { field in
                Array(field.prefix { $0 != 0 })
            }
            if name == [0x2E] || name == [0x2E, 0x2E] { continue }
            names.append(name)
        }
        return .success(names)
    }
}

/// Turning raw entry names into the `String` paths the rest of spoolbridge uses.
enum EntryName {
    /// The name as a String when it is valid UTF-8 (and can round-trip through a path String).
    static func decode(_ bytes: [UInt8]) -> String? {
        String(validating: bytes, as: UTF8.self)
    }

    /// A valid UTF-8 stand-in for a name that is not: each invalid sequence becomes "_".
    static func repaired(_ bytes: [UInt8]) -> String {
        String(decoding: bytes, as: UTF8.self).replacing("\u{FFFD}", with: "_")
    }

    /// Renames the entry `bytes` in `directory` to a valid UTF-8 name there, never replacing an existing entry
    /// (link + unlink: the new name appears atomically or not at all). Returns the new name.
    static func renameToValidUTF8(_ bytes: [UInt8], in directory: String) -> Result<String, FileStatus.Errno> {
        let oldPath = Array(directory.utf8) + [UInt8(ascii: "/")] + bytes + [0]
        let base = repaired(bytes)
        for attempt in 0..<100 {
            let candidate = attempt == 0 ? base : "\(base)-\(attempt)"
            let result = oldPath.withUnsafeBufferPointer { old in
                old.withMemoryRebound(to: CChar.self) { old in
                    link(old.baseAddress!, "\(directory)/\(candidate)")
                }
            }
            if result == 0 {
                _ = oldPath.withUnsafeBufferPointer { old in
                    old.withMemoryRebound(to: CChar.self) { unlink($0.baseAddress!) }
                }
                return .success(candidate)
            }
            if errno != EEXIST { return .failure(FileStatus.Errno(errno)) }
        }
        return .failure(FileStatus.Errno(EEXIST))
    }
}
