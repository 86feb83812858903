import Glibc
import Testing

@testable import Ingest

@Suite struct InotifyEventTests {
    /// One record as the kernel lays it out: header, then the name NUL-padded to `paddedLength`.
    private func record(watch: Int32, mask: Int32, name: String, paddedLength: Int) -> [UInt8] {
        var header = inotify_event()
        header.wd = watch
        header.mask = UInt32(bitPattern: mask)
        header.cookie = 0
        header.len = UInt32(paddedLength)
        var bytes = withUnsafeBytes(of: header) { Array($0) }
        let nameBytes = Array(name.utf8)
        bytes += nameBytes + [UInt8](repeating: 0, count: paddedLength - nameBytes.count)
        return bytes
    }

    @Test func parsesConsecutiveRecordsWithPaddedNames() {
        let bytes = record(watch: 3, mask: IN_CLOSE_WRITE, name: "a.pdf", paddedLength: 16)
            + record(watch: 4, mask: IN_CREATE | IN_ISDIR, name: "bob", paddedLength: 16)
            + record(watch: -1, mask: IN_Q_OVERFLOW, name: "", paddedLength: 0)
        let events = bytes.withUnsafeBytes { InotifyEvent.parse($0) }
        #expect(events.count == 3)
        #expect(events[0].watch == 3)
        #expect(events[0].name == Array("a.pdf".utf8))
        #expect(events[0].has(IN_CLOSE_WRITE))
        #expect(events[1].isDirectory && events[1].has(IN_CREATE))
        #expect(events[1].name == Array("bob".utf8))
        #expect(events[2].has(IN_Q_OVERFLOW) && events[2].name.isEmpty)
    }

    @Test func dropsATruncatedRecordInsteadOfReadingPastTheBuffer() {
        let whole = record(watch: 3, mask: IN_MOVED_TO, name: "x.pdf", paddedLength: 16)
        let bytes = whole + Array(record(watch: 5, mask: IN_MOVED_TO, name: "long-name.pdf", paddedLength: 32).prefix(20))
        let events = bytes.withUnsafeBytes { InotifyEvent.parse($0) }
        #expect(events.map(\.watch) == [3])
    }

    @Test func keepsNamesThatAreNotUTF8AsBytes() {
        var bytes = record(watch: 1, mask: IN_CLOSE_WRITE, name: "", paddedLength: 16)
        bytes[16] = 0xFF
        bytes[17] = 0x41
        let events = bytes.withUnsafeBytes { InotifyEvent.parse($0) }
        #expect(events.first?.name == [0xFF, 0x41])
    }

    @Test func parsesAtAnUnalignedOffset() {
        let bytes = [0] + record(watch: 9, mask: IN_CLOSE_WRITE, name: "a", paddedLength: 4)
        let events = bytes.withUnsafeBytes { InotifyEvent.parse(UnsafeRawBufferPointer(rebasing: $0[1...])) }
        #expect(events.first?.watch == 9)
    }
}
