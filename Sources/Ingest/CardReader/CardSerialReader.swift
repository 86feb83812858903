import Glibc
import Logging
import NIOCore
import NIOPosix

/// A serial card reader (`[card_reader] device`): the tty is put in raw mode and read as a NIO pipe
/// channel on the event loops, through the same line decoder as the TCP listener. When the device
/// goes away (a USB reader unplugged) it is opened again, waiting longer each time, up to a minute.
struct CardSerialReader: Sendable {
    let device: String
    let logger: Logger

    func run(sink: AsyncStream<String>.Continuation) async {
        var wait: Duration = .seconds(1)
        var reported = false
        while !Task.isCancelled {
            switch open() {
            case .success(let fd):
                do {
                    let channel = try await NIOPipeBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                        .takingOwnershipOfDescriptor(input: fd) { channel in
                            channel.eventLoop.makeCompletedFuture {
                                try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(CardLineDecoder()))
                                return try NIOAsyncChannel<CardLine, ByteBuffer>(wrappingChannelSynchronously: channel)
                            }
                        }
                    logger.info("reading card swipes from \(device)")
                    reported = false
                    wait = .seconds(1)
                    await withTaskCancellationHandler {
                        await CardReaderService.serve(channel, sink: sink, logger: logger)
                    } onCancel: {
                        channel.channel.close(promise: nil)
                    }
                    if !Task.isCancelled { logger.warning("the card reader \(device) went away; opening it again") }
                } catch {
                    Glibc.close(fd)  // not taken over: still ours to close
                    if !reported { logger.error("cannot read card swipes from \(device): \(error)") }
                    reported = true
                }
            case .failure(let reason):
                // Said once per outage, not once per attempt.
                if !reported { logger.error("cannot open the card reader \(device): \(reason); trying again") }
                reported = true
            }
            // A reader that is unplugged comes back on its own time; there is no event to wait on for a
            // device node here, so the next attempt is a backoff, not a busy loop.
            try? await Task.sleep(for: wait)
            wait = min(wait * 2, .seconds(60))
        }
    }

    private func open() -> Result<CInt, OpenFailure> {
        let fd = Glibc.open(device, O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { return .failure(OpenFailure(String(cString: strerror(errno)))) }
        if isatty(fd) == 1 {
            // Raw: no echo, no line editing, bytes as the reader sends them (the decoder splits lines).
            var modes = termios()
            if tcgetattr(fd, &modes) == 0 {
                cfmakeraw(&modes)
                _ = tcsetattr(fd, TCSANOW, &modes)
            }
        }
        return .success(fd)
    }

    struct OpenFailure: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }
}
