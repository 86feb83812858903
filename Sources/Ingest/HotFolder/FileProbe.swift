import Glibc

/// The I/O half of intake: the checks `IntakeRule` needs answered about a real file.
enum FileProbe {
    /// Opens `path` read-only the way a hostile folder demands (`O_NOFOLLOW`: a link swapped in after `lstat` is not
    /// followed; `O_NONBLOCK`: a FIFO swapped in does not hang us) and checks it is still the regular file `lstat`
    /// saw. Returns nil when it is, the errno otherwise (ENOENT when it was replaced or removed).
    static func openError(path: String, expected: FileStatus) -> Int32? {
        let descriptor = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY)
        guard descriptor >= 0 else { return errno }
        defer { close(descriptor) }
        var raw = stat()
        guard fstat(descriptor, &raw) == 0 else { return errno }
        let opened = FileStatus(raw)
        guard opened.kind == .regular, opened.stamp.inode == expected.stamp.inode,
            opened.stamp.device == expected.stamp.device
        else { return ENOENT }
        return nil
    }

    /// The user name of `uid` from the system's user database (files, LDAP, … through NSS); nil when it has none.
    static func userName(of uid: uid_t) -> String? {
        var size = max(1024, sysconf(Int32(_SC_GETPW_R_SIZE_MAX)))
        while size <= 1 << 20 {
            let buffer = UnsafeMutablePointer<CChar>.allocate(capacity: size)
            defer { buffer.deallocate() }
            var entry = passwd()
            var result: UnsafeMutablePointer<passwd>?
            let status = getpwuid_r(uid, &entry, buffer, size, &result)
            if status == ERANGE {
                size *= 2
                continue
            }
            // pw_name points into `buffer`: copy it out before the buffer goes.
            guard status == 0, result != nil, let name = entry.pw_name else { return nil }
            return String(cString: name)
        }
        return nil
    }
}
