import Foundation

/// A complete response the handler writes: status, extra headers and a body (JSON unless a fault says otherwise).
struct HTTPAnswer: Sendable {
    var status: Int
    var headers: [(String, String)] = []
    var contentType = "application/json; charset=utf-8"
    var body: [UInt8]

    static func json(_ value: some Encodable, status: Int = 200) -> HTTPAnswer {
        let encoder = ReceivedDocument.makeJSONEncoder()
        let body = (try? encoder.encode(value)).map { Array($0) } ?? Array("{}".utf8)
        return HTTPAnswer(status: status, body: body)
    }

    /// The cloud's error shape: `{"code":N,"message":"..."}`.
    static func error(_ status: Int, _ message: String) -> HTTPAnswer {
        json(ErrorBody(code: status, message: message), status: status)
    }

    static func rejection(_ rejection: Rejection) -> HTTPAnswer {
        error(rejection.status, rejection.message)
    }

    /// The `okNotJSON` fault's answer: what a captive portal or a misrouted web server sends.
    static let htmlPage = HTTPAnswer(
        status: 200, contentType: "text/html; charset=utf-8",
        body: Array("<!DOCTYPE html>\n<html><head><title>Welcome</title></head><body><h1>It works!</h1></body></html>\n".utf8))
}

struct ErrorBody: Codable, Sendable {
    var code: Int
    var message: String
}

/// ServerVersionInfo of `GET /api/v1/version`.
struct ServerVersionInfo: Codable, Sendable {
    var version = "emulator-1.0"
    var apiVersion = "1"
}

/// DocumentInfo, the answer to an accepted upload (field names per the cloud reference).
struct DocumentInfo: Codable, Sendable {
    var providerId: Int
    var uuid: String
    var documentName: String
    var documentType: Int
    var userName: String
    var totalPages: Int
    var colorPages: Int
    var duplex: Int
    var copies: Int
    var grayscale: Bool
    var paperSize: String
    var dateTime: Int64
    var storageOnline: Bool
    var secure: Bool
    var tags: [String]
    var collate: Bool
    /// 5 = RECEIVED.
    var status: Int
    var outputPortId: Int
    var outputPortName: String
    var jobType: String

    init(_ document: ReceivedDocument) {
        providerId = document.providerID ?? 0
        uuid = document.uuid
        documentName = document.title
        documentType = 0
        userName = document.username
        totalPages = 0
        colorPages = 0
        duplex = document.duplex ?? 0
        copies = document.copies ?? 1
        grayscale = document.grayscale ?? false
        paperSize = document.outputPageSize ?? "Original"
        dateTime = Int64((document.receivedAt.timeIntervalSince1970 * 1000).rounded())
        storageOnline = true
        secure = false
        tags = []
        collate = false
        status = 5
        outputPortId = 0
        outputPortName = document.portname
        jobType = "PRINT"
    }
}

/// Body of `POST /_emulator/faults`.
struct FaultRequest: Codable, Sendable {
    var fault: Fault
    var count: Int?
    /// `uploads` when absent.
    var target: FaultTarget?
}
