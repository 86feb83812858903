import EmulatorKit
import Foundation
import Testing

/// `[card_reader]` with a real daemon: card ids over TCP become debounced `/card` calls; bad input
/// and idle clients change nothing.
@Suite(.serialized)
struct CardReaderTests {
    @Test func swipesOverTCPAreDebouncedAndBadInputIsIgnored() async throws {
        let emulator = try await CloudEmulator.start()
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let daemon = try DaemonProcess(in: directory, cloudURL: emulator.baseURL, extraConfig: """
            [[hotfolder]]
            path = "\(try directory.subdirectory("hot"))"
            port = "Finance"
            user = "alice"

            [card_reader]
            listen = "127.0.0.1:0"
            reader = "10.0.0.7"
            debounce_ms = 60000
            """)
        try daemon.start()
        try await daemon.waitUntilRunning()
        let port = try await daemon.cardReaderPort()

        // Clients that connect and never write hold no one up.
        var idle: [TCPClient] = []
        for _ in 0..<1000 { idle.append(try TCPClient(port: port)) }

        let client = try TCPClient(port: port)
        try client.send(Array("CARD-A\n".utf8))
        for _ in 0..<50 { try client.send(Array("CARD-A\n".utf8)) }  // a flood of repeats: one swipe
        try client.send([0xFF, 0x00, 0xC3, 0x28, 0x0A])  // binary garbage
        try client.send(Array(repeating: UInt8(ascii: "x"), count: 1000) + [0x0A])  // overlong
        try client.send(Array("bad card with spaces\n".utf8))
        try client.send(Array("CARD-B\r\n".utf8))
        client.close()

        try await waitUntil("two swipes reach the cloud") { emulator.cardSwipes().count >= 2 }
        let swipes = emulator.cardSwipes()
        #expect(swipes.map(\.cardID).sorted() == ["CARD-A", "CARD-B"])
        #expect(swipes.allSatisfy { $0.mac == "10.0.0.7" && $0.method == "POST" })
        try await waitUntil("both card jobs delivered") {
            try daemon.cli(["jobs"]).output.components(separatedBy: "\tcard\tdelivered").count - 1 == 2
        }
        #expect(daemon.process?.isRunning == true)
        #expect(daemon.log.contains("malformed line"))
        #expect(!daemon.log.contains("CARD-A"), "the log names jobs, not cards")
        for connection in idle { connection.close() }

        // Still listening after all that.
        let late = try TCPClient(port: port)
        try late.send(Array("CARD-C\n".utf8))
        late.close()
        try await waitUntil("a later swipe still arrives") { emulator.cardSwipes().count == 3 }
        daemon.stop()
        try await emulator.shutdown()
    }
}

/// `[card_reader] device`: a pseudo-terminal stands in for a serial reader (the daemon opens its
/// slave side like /dev/ttyUSB0; the test types on the master side).
@Suite(.serialized)
struct SerialCardReaderTests {
    @Test func swipesFromASerialDeviceAreDebouncedAndGarbageIgnored() async throws {
        let (master, device) = try PseudoTerminal.open()
        defer { close(master) }
        let emulator = try await CloudEmulator.start()
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let daemon = try DaemonProcess(in: directory, cloudURL: emulator.baseURL, extraConfig: """
            [[hotfolder]]
            path = "\(try directory.subdirectory("hot"))"
            port = "Finance"
            user = "alice"

            [card_reader]
            device = "\(device)"
            reader = "10.0.0.8"
            debounce_ms = 60000
            """)
        try daemon.start()
        try await daemon.waitUntilRunning()
        try await waitUntil("the daemon reads the device") { daemon.log.contains("reading card swipes from \(device)") }
        var bytes = Array("SERIAL-1\r\n".utf8)
        for _ in 0..<20 { bytes += Array("SERIAL-1\r\n".utf8) }
        bytes += [0xFF, 0x01, 0x02, 0x0A] + Array(repeating: UInt8(ascii: "z"), count: 400) + [0x0A]
        bytes += Array("SERIAL-2\n".utf8)
        let written = bytes.withUnsafeBytes { write(master, $0.baseAddress, $0.count) }
        #expect(written == bytes.count)
        try await waitUntil("two swipes reach the cloud") { emulator.cardSwipes().count >= 2 }
        #expect(emulator.cardSwipes().map(\.cardID).sorted() == ["SERIAL-1", "SERIAL-2"])
        #expect(emulator.cardSwipes().allSatisfy { $0.mac == "10.0.0.8" })
        #expect(daemon.log.contains("malformed line"))
        daemon.stop()
        try await emulator.shutdown()
    }
}

/// posix_openpt and friends, which the Glibc module does not import (they need _XOPEN_SOURCE).
enum PseudoTerminal {
    static func open() throws -> (master: Int32, slavePath: String) {
        typealias OpenPT = @convention(c) (Int32) -> Int32
        typealias FDCall = @convention(c) (Int32) -> Int32
        typealias PTSName = @convention(c) (Int32) -> UnsafeMutablePointer<CChar>?
        func symbol<T>(_ name: String, as type: T.Type) throws -> T {
            guard let pointer = dlsym(UnsafeMutableRawPointer(bitPattern: 0), name) else { throw HarnessError("no \(name)") }
            return unsafeBitCast(pointer, to: type)
        }
        let master = try symbol("posix_openpt", as: OpenPT.self)(O_RDWR | O_NOCTTY)
        guard master >= 0 else { throw HarnessError("posix_openpt: errno \(errno)") }
        guard try symbol("grantpt", as: FDCall.self)(master) == 0, try symbol("unlockpt", as: FDCall.self)(master) == 0,
              let name = try symbol("ptsname", as: PTSName.self)(master)
        else {
            close(master)
            throw HarnessError("cannot set up a pseudo-terminal: errno \(errno)")
        }
        return (master, String(cString: name))
    }
}

extension DaemonProcess {
    /// The card reader's port, from its "listening for card swipes" log line.
    func cardReaderPort() async throws -> Int {
        var port: Int?
        try await waitUntil("the card reader to listen (log: \(logPath))") {
            guard let line = log.split(separator: "\n").first(where: { $0.contains("listening for card swipes") }),
                  let field = line.split(separator: " ").first(where: { $0.hasPrefix("listen=") }),
                  let value = field.split(separator: ":").last.flatMap({ Int($0) })
            else { return false }
            port = value
            return true
        }
        return port!
    }
}

/// A plain TCP connection to loopback.
final class TCPClient {
    private let fd: Int32

    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw HarnessError("socket: errno \(errno)") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else {
            Glibc.close(fd)
            throw HarnessError("connect to 127.0.0.1:\(port): errno \(errno)")
        }
    }

    func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard sent > 0 else { throw HarnessError("send: errno \(errno)") }
            offset += sent
        }
    }

    func close() { Glibc.close(fd) }
}
