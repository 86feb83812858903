import Logging
import NIOCore
import NIOPosix
import Outbox
import ServiceLifecycle
import SpoolbridgeCore
import Synchronization

/// `[card_reader]`: a TCP listener; each line a client sends is a card id swiped at the configured
/// reader, queued in the outbox as a `/card` call. Connections are tasks on the NIO event loops (no
/// thread each); bad input (garbage, overlong lines, silence, a flood of connections) is logged and
/// dropped, never allowed to stall or crash the daemon.
public struct CardReaderService: Service {
    /// Connections served at once; more are closed on accept.
    static let maxConnections = 2048
    /// A connection that sends nothing for this long is closed.
    static let idleTimeout: TimeAmount = .seconds(60)
    /// Swipes waiting for the outbox; a flood beyond this drops the oldest (they would be debounced anyway).
    static let queueLimit = 1024

    let settings: CardReaderSettings
    let outbox: Outbox
    let logger: Logger

    public init(settings: CardReaderSettings, outbox: Outbox, logger: Logger) {
        self.settings = settings
        self.outbox = outbox
        self.logger = logger
    }

    public func run() async throws {
        let (swipes, sink) = AsyncStream<String>.makeStream(bufferingPolicy: .bufferingNewest(Self.queueLimit))
        let server = try await settings.listen.asyncMap(bind)
        let logger = self.logger
        await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                group.addTask { await queue(swipes) }
                if let device = settings.device {
                    group.addTask { await CardSerialReader(device: device, logger: logger).run(sink: sink) }
                }
                guard let server else { return }  // the serial reader alone: runs until shutdown
                let active = ConnectionCount()
                try? await server.executeThenClose { inbound in
                    for try await connection in inbound {
                        let admitted = active.count.withLock { count -> Bool in
                            guard count < Self.maxConnections else { return false }
                            count += 1
                            return true
                        }
                        guard admitted else {
                            logger.debug("card reader connection refused: too many at once")
                            try? await connection.channel.close()
                            continue
                        }
                        group.addTask {
                            await Self.serve(connection, sink: sink, logger: logger)
                            active.count.withLock { $0 -= 1 }
                        }
                    }
                }
                sink.finish()
                group.cancelAll()
            }
        }
    }

    private func bind(_ listen: CardReaderSettings.Listen) async throws -> NIOAsyncChannel<NIOAsyncChannel<CardLine, ByteBuffer>, Never> {
        let server: NIOAsyncChannel<NIOAsyncChannel<CardLine, ByteBuffer>, Never>
        do {
            server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .serverChannelOption(.backlog, value: 256)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .bind(host: listen.host, port: listen.port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(IdleStateHandler(readTimeout: Self.idleTimeout))
                        try channel.pipeline.syncOperations.addHandler(CloseWhenSilent())
                        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(CardLineDecoder()))
                        return try NIOAsyncChannel<CardLine, ByteBuffer>(wrappingChannelSynchronously: channel)
                    }
                }
        } catch {
            throw CardReaderError("cannot listen for card swipes on \(listen.host):\(listen.port) ([card_reader] listen): \(error)")
        }
        logger.info("listening for card swipes", metadata: [
            "listen": "\(listen.host):\(server.channel.localAddress?.port ?? listen.port)", "reader": "\(settings.reader)",
        ])
        return server
    }

    /// Reads card ids until the client goes away; each valid one goes to `sink`.
    static func serve(_ connection: NIOAsyncChannel<CardLine, ByteBuffer>, sink: AsyncStream<String>.Continuation, logger: Logger) async {
        var complaints = 0
        func complain(_ reason: String) {
            complaints += 1
            // One warning per connection: a client sending garbage must not flood the journal.
            if complaints == 1 {
                logger.warning("card reader sent a malformed line; ignored: \(reason)")
            } else {
                logger.debug("card reader sent a malformed line; ignored: \(reason)")
            }
        }
        do {
            try await connection.executeThenClose { inbound, _ in
                for try await line in inbound {
                    switch line {
                    case .overlong:
                        complain("longer than \(CardLineDecoder.maxLineBytes) bytes")
                    case .line(let buffer):
                        switch CardReaderLine.cardID(in: Array(buffer.readableBytesView)) {
                        case .card(let id): sink.yield(id)
                        case .blank: continue
                        case .malformed(let reason): complain(reason)
                        }
                    }
                }
            }
        } catch {
            logger.debug("card reader connection ended with an error", metadata: ["error": "\(error)"])
        }
    }

    /// Debounces the swipes and queues each remaining one as a `/card` job.
    private func queue(_ swipes: AsyncStream<String>) async {
        var debounce = CardDebounce(windowMilliseconds: Int64(settings.debounce.components.seconds * 1000
            + settings.debounce.components.attoseconds / 1_000_000_000_000_000))
        let clock = ContinuousClock()
        let start = clock.now
        for await card in swipes {
            let elapsed = start.duration(to: clock.now)
            let now = elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000
            guard debounce.accept(card, now: now) else {
                logger.debug("repeated card swipe within debounce_ms ignored")
                continue
            }
            let submission = RequestSubmission(
                task: .card(CardSwipe(cardID: card, reader: settings.reader)),
                source: .submitted(.init(channel: .cardReader, detail: "card reader at \(settings.reader)")))
            do {
                let id = try outbox.enqueue([submission]).first?.jobID
                // The card id is a credential of sorts: the log names the job, not the card.
                logger.info("card swipe queued", metadata: [LogField.jobID: "\(id.map { "\($0)" } ?? "?")", "reader": "\(settings.reader)"])
            } catch {
                logger.error("cannot queue a card swipe: \(error.message)")
            }
        }
    }
}

extension Optional {
    fileprivate func asyncMap<T>(_ transform: (Wrapped) async throws -> T) async throws -> T? {
        guard let self else { return nil }
        return try await transform(self)
    }
}

/// Connections being served, shared by the accept loop and the connections' tasks.
private final class ConnectionCount: Sendable {
    let count = Mutex(0)
}

/// What one line from a card reader is.
enum CardReaderLine: Equatable {
    case card(String)
    case blank
    case malformed(String)

    static func cardID(in bytes: [UInt8]) -> CardReaderLine {
        guard let text = String(validating: bytes, as: UTF8.self) else { return .malformed("not UTF-8 text") }
        let trimmed = text.trimmingSpaces
        if trimmed.isEmpty { return .blank }
        guard CardSwipe.isPlausibleCardID(trimmed) else {
            return .malformed("not a card id (1 to 64 printable ASCII characters without spaces), \(trimmed.utf8.count) bytes")
        }
        return .card(trimmed)
    }
}

extension String {
    fileprivate var trimmingSpaces: String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\r" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(self[first...last])
    }
}

/// Closes a connection that has sent nothing for the idle timeout (a client that connects and never writes).
private final class CloseWhenSilent: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleStateHandler.IdleStateEvent {
            context.close(promise: nil)
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }
}

public struct CardReaderError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}
