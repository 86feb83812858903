import NIOCore

/// Paces the reading of one upload for the `throttle` fault: reads of at most one piece, each
/// only once the bytes read so far have taken their time at the rate (measured from the start,
/// so timer overhead does not add up). Unread bytes stay in the kernel, so the client's sending
/// slows down the way a slow link would slow it.
/// Runs on the connection's event loop, driven by the handler.
final class ReadThrottle {
    static let pieceBytes = 64 * 1024

    private let bytesPerSecond: Int
    private var started = NIODeadline.now()
    private var bytesRead = 0
    private var nextRead: Scheduled<Void>?
    private var savedOptions: (allocator: any RecvByteBufferAllocator, maxMessagesPerRead: UInt)?

    init(bytesPerSecond: Int) {
        self.bytesPerSecond = bytesPerSecond
    }

    /// Takes reading over from the channel: no automatic reads, one piece per read.
    func start(context: ChannelHandlerContext) {
        started = .now()
        guard let options = context.channel.syncOptions else { return }
        if let allocator = try? options.getOption(.recvAllocator),
            let maxMessagesPerRead = try? options.getOption(.maxMessagesPerRead)
        {
            savedOptions = (allocator, maxMessagesPerRead)
        }
        try? options.setOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: Self.pieceBytes))
        try? options.setOption(.maxMessagesPerRead, value: 1)
        try? options.setOption(.autoRead, value: false)
    }

    func received(_ byteCount: Int) {
        bytesRead += byteCount
    }

    /// After a read: schedules the next one for when all bytes read so far are paid for at the rate.
    func readCompleted(context: ChannelHandlerContext) {
        let seconds = min(Double(bytesRead) / Double(bytesPerSecond), 86_400)
        nextRead?.cancel()
        nextRead = context.eventLoop.assumeIsolated().scheduleTask(deadline: started + .nanoseconds(Int64(seconds * 1e9))) {
            context.read()
        }
    }

    /// Gives reading back to the channel as it was.
    func stop(context: ChannelHandlerContext) {
        nextRead?.cancel()
        nextRead = nil
        guard let options = context.channel.syncOptions else { return }
        if let savedOptions {
            try? options.setOption(.recvAllocator, value: savedOptions.allocator)
            try? options.setOption(.maxMessagesPerRead, value: savedOptions.maxMessagesPerRead)
        }
        try? options.setOption(.autoRead, value: true)
    }
}
