import Glibc

/// One record read from an inotify descriptor.
struct InotifyEvent: Sendable, Hashable {
    /// The watch the event belongs to; -1 for `IN_Q_OVERFLOW`.
    var watch: Int32
    var mask: UInt32
    var cookie: UInt32
    /// The entry's name inside the watched directory, as raw bytes (file names need not be UTF-8); empty for
    /// events about the watched directory itself.
    var name: [UInt8]

    func has(_ flag: Int32) -> Bool { mask & UInt32(bitPattern: flag) != 0 }

    var isDirectory: Bool { has(IN_ISDIR) }

    /// Splits a buffer filled by `read(2)` on an inotify descriptor into events. Each record is a fixed
    /// `inotify_event` header followed by `len` bytes of name, NUL-padded; a truncated trailing record is dropped
    /// rather than read past the buffer (the kernel never returns one, but the parser must not trust that).
    static func parse(_ bytes: UnsafeRawBufferPointer) -> [InotifyEvent] {
        let headerSize = MemoryLayout<inotify_event>.size
        var events: [InotifyEvent] = []
        var offset = 0
        while bytes.count - offset >= headerSize {
            let header = bytes.loadUnaligned(fromByteOffset: offset, as: inotify_event.self)
            let nameStart = offset + headerSize
            let nameLength = Int(header.len)
            guard nameLength <= bytes.count - nameStart else { break }
            let nameField = bytes[nameStart..<(nameStart + nameLength)]
            let name = Array(nameField.prefix { $0 != 0 })
            events.append(InotifyEvent(watch: header.wd, mask: header.mask, cookie: header.cookie, name: name))
            offset = nameStart + nameLength
        }
        return events
    }
}
