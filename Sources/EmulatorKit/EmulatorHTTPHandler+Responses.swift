import NIOCore
import NIOHTTP1

/// Writing answers: whole ones, the `okHugeBody` stream, and the head both share.
extension EmulatorHTTPHandler {
    /// Records an accepted upload and answers it: DocumentInfo, or what an `ok…` fault asks for.
    func answerUpload(_ upload: UploadExchange, context: ChannelHandlerContext, closeWhenWritten: Bool) {
        switch upload.finish() {
        case .success(let document):
            state.record(document)
            switch acceptance {
            case .documentInfo:
                respond(.json(DocumentInfo(document)), context: context, closeWhenWritten: closeWhenWritten)
            case .htmlPage:
                respond(.htmlPage, context: context, closeWhenWritten: closeWhenWritten)
            case .hugeBody(let bytes):
                respondHuge(bytes: bytes, context: context, closeWhenWritten: closeWhenWritten)
            }
        case .failure(let rejection):
            respond(.rejection(rejection), context: context, closeWhenWritten: closeWhenWritten)
        }
    }

    func respond(_ answer: HTTPAnswer, context: ChannelHandlerContext, closeWhenWritten: Bool) {
        if dropAnswer {
            dropWithoutAnswer(context: context)
            return
        }
        if !isControl && answer.status >= 400 { state.countRejection() }
        let head = responseHead(
            status: answer.status, contentType: answer.contentType, length: answer.body.count, extraHeaders: answer.headers,
            closeWhenWritten: closeWhenWritten)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        var body = context.channel.allocator.buffer(capacity: answer.body.count)
        body.writeBytes(answer.body)
        context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        let written = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        lastResponseWritten = written
        if closeWhenWritten {
            let channel = context.channel
            written.whenComplete { _ in channel.close(promise: nil) }
        }
    }

    /// The `okHugeBody` answer: a 200 whose body is streamed as the client takes it.
    func respondHuge(bytes: Int, context: ChannelHandlerContext, closeWhenWritten: Bool) {
        if dropAnswer {
            dropWithoutAnswer(context: context)
            return
        }
        let head = responseHead(
            status: 200, contentType: "text/plain; charset=utf-8", length: bytes, extraHeaders: [],
            closeWhenWritten: closeWhenWritten)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        let writer = HugeBodyWriter(
            bytes: bytes, closeWhenDone: closeAfterResponse || closeWhenWritten, allocator: context.channel.allocator)
        // Set before the first pump, so a writability change during it finds the writer.
        hugeBody = writer
        if writer.pump(context: context) { hugeBody = nil }
    }

    /// The `dropAnswer` fault: the request was processed; the client never learns how.
    private func dropWithoutAnswer(context: ChannelHandlerContext) {
        state.countRejection()
        context.close(promise: nil)
    }

    func responseHead(
        status: Int, contentType: String, length: Int, extraHeaders: [(String, String)], closeWhenWritten: Bool
    ) -> HTTPResponseHead {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: contentType)
        headers.add(name: "Content-Length", value: String(length))
        for (name, value) in extraHeaders { headers.add(name: name, value: value) }
        if closeAfterResponse || closeWhenWritten {
            headers.add(name: "Connection", value: "close")
        } else if version == .http1_0 {
            headers.add(name: "Connection", value: "keep-alive")
        }
        return HTTPResponseHead(version: version, status: HTTPResponseStatus(statusCode: status), headers: headers)
    }
}
