import Foundation
import NIOHTTP1

/// The small form-encoded calls, per the cloud reference: recording a copy/scan/fax/print job
/// (`/documents/history`), releasing a document to an output port (`/documents/UUID/PRINTER`)
/// and a card swipe (`/card`). The body is collected whole (it is small) and answered at its end.
enum FormEndpoints {
    static let maxBodyBytes = 64 * 1024
    static let historyPath = "/api/v1/documents/history"

    /// True when `path` is one of these endpoints (any method: a wrong one is answered 405 here).
    static func handles(_ path: String) -> Bool {
        path == historyPath || path == "/api/v1/card" || path == "/api/v1/card/" || releaseTarget(path) != nil
    }

    /// `(uuid, printer)` of `/api/v1/documents/UUID/PRINTER`, both non-empty and percent-decoded.
    static func releaseTarget(_ path: String) -> (uuid: String, printer: String)? {
        let prefix = "/api/v1/documents/"
        guard path.hasPrefix(prefix) else { return nil }
        let segments = path.dropFirst(prefix.count).split(separator: "/", omittingEmptySubsequences: false)
        guard segments.count == 2, !segments[0].isEmpty, !segments[1].isEmpty,
              let uuid = try? FormBody.percentDecoded(segments[0]), let printer = try? FormBody.percentDecoded(segments[1])
        else { return nil }
        return (uuid, printer)
    }

    static func answer(_ head: HTTPRequestHead, path: String, body: [UInt8], state: EmulatorState) -> HTTPAnswer {
        let query = head.uri.firstIndex(of: "?").map { String(head.uri[head.uri.index(after: $0)...]) } ?? ""
        do {
            if path == historyPath {
                switch head.method {
                case .POST: return try record(head, query: query, body: body, state: state)
                case .GET: return try HistoryListing.answer(query: query, records: state.allRecords())
                default: return .methodNotAllowed(path, allow: "GET, POST")
                }
            }
            if path.hasPrefix("/api/v1/card") {
                guard head.method == .POST || head.method == .GET else { return .methodNotAllowed(path, allow: "GET, POST") }
                return try card(head, query: query, body: body, state: state)
            }
            guard let target = releaseTarget(path) else { return .error(404, "no such endpoint \(path)") }
            guard head.method == .POST else { return .methodNotAllowed(path, allow: "POST") }
            return try release(head, target: target, query: query, body: body, state: state)
        } catch {
            return .rejection(error)
        }
    }

    // MARK: - POST /documents/history

    static let historyFields: Set<String> = [
        "jobtype", "totalpages", "colorpages", "papersize", "duplex", "title", "serialnumber", "address", "username",
        "providerid",
    ]
    static let jobTypes = ["PRINT", "COPY", "SCAN", "FAX"]

    private static func record(_ head: HTTPRequestHead, query: String, body: [UInt8], state: EmulatorState) throws(Rejection)
        -> HTTPAnswer
    {
        try requireFormContentType(head)
        guard query.isEmpty else { throw .badRequest("the record's parameters belong in the form body, not the query") }
        let fields = try FormBody(parsing: body, what: "body").fields(what: "body")
        for name in fields.keys.sorted() where !historyFields.contains(name) {
            throw .badRequest("unknown parameter \(name); accepted: \(historyFields.sorted().joined(separator: ", "))")
        }
        guard let jobType = fields["jobtype"] else {
            throw .badRequest("parameter jobtype is required: one of \(jobTypes.joined(separator: ", "))")
        }
        guard jobTypes.contains(jobType) else {
            throw .badRequest("jobtype \"\(jobType.prefix(40))\" is invalid; expected one of \(jobTypes.joined(separator: ", "))")
        }
        for name in ["totalpages", "colorpages", "providerid"] {
            if let value = fields[name], !FieldRules.isNumber(value) {
                throw .badRequest("\(name) \"\(value.prefix(40))\" is invalid; expected a non-negative integer")
            }
        }
        if let color = fields["colorpages"].flatMap({ Int($0) }), let total = fields["totalpages"].flatMap({ Int($0) }),
           color > total {
            throw .badRequest("colorpages \(color) is more than totalpages \(total)")
        }
        if let duplex = fields["duplex"], duplex != "true" && duplex != "false" {
            throw .badRequest("duplex \"\(duplex.prefix(40))\" is invalid; expected true or false")
        }
        for (name, value) in fields where value.isEmpty {
            throw .badRequest("parameter \(name) is empty; leave it out instead")
        }
        // With a device token the user comes from these two: one without the other names nobody.
        if fields["providerid"] != nil && fields["username"] == nil {
            throw .badRequest("providerid needs username: with a device token the job's user is username at providerid")
        }
        state.record(ReceivedRecord(fields: fields, receivedAt: Date()))
        return .json(ErrorBody(code: 0, message: "Success"))
    }

    // MARK: - POST /documents/UUID/PRINTER

    static let releaseFields: Set<String> = ["copies", "grayscale", "retain", "duplex"]

    private static func release(
        _ head: HTTPRequestHead, target: (uuid: String, printer: String), query: String, body: [UInt8], state: EmulatorState
    ) throws(Rejection) -> HTTPAnswer {
        // The reference: the form content type is required even when the body is empty.
        try requireFormContentType(head)
        guard query.isEmpty else { throw .badRequest("the release's parameters belong in the form body, not the query") }
        let fields = try FormBody(parsing: body, what: "body").fields(what: "body")
        for name in fields.keys.sorted() where !releaseFields.contains(name) {
            throw .badRequest("unknown parameter \(name); accepted: \(releaseFields.sorted().joined(separator: ", "))")
        }
        for (name, value) in fields {
            switch name {
            case "grayscale", "retain":
                guard value == "true" || value == "false" else {
                    throw .badRequest("\(name) \"\(value.prefix(40))\" is invalid; expected true or false")
                }
            default:
                do {
                    try FieldRules.validate(name: name, value: value)
                } catch {
                    throw (error as? Rejection) ?? .badRequest("\(error)")
                }
            }
        }
        guard state.hasDocument(uuid: target.uuid) else {
            throw Rejection(status: 404, message: "document \(target.uuid.prefix(80)) not found")
        }
        state.record(ReceivedRelease(documentUUID: target.uuid, printer: target.printer, fields: fields, receivedAt: Date()))
        return .json(ErrorBody(code: 0, message: "Success"))
    }

    // MARK: - /card

    private static func card(_ head: HTTPRequestHead, query: String, body: [UInt8], state: EmulatorState) throws(Rejection)
        -> HTTPAnswer
    {
        guard body.isEmpty else {
            throw .badRequest("cd and Mac must be sent as query parameters, not in the body; send an empty body")
        }
        let fields = try FormBody(parsing: Array(query.utf8), what: "query").fields(what: "query")
        for name in fields.keys.sorted() where name != "cd" && name != "Mac" {
            throw .badRequest("unknown query parameter \(name); accepted: cd, Mac")
        }
        guard let card = fields["cd"], !card.isEmpty else { throw .badRequest("query parameter cd (the card id) is required") }
        guard let mac = fields["Mac"], !mac.isEmpty else {
            throw .badRequest("query parameter Mac (the printer or card reader address) is required")
        }
        state.record(ReceivedCardSwipe(cardID: card, mac: mac, method: head.method.rawValue, receivedAt: Date()))
        return .json(ErrorBody(code: 0, message: "Success"))
    }

    private static func requireFormContentType(_ head: HTTPRequestHead) throws(Rejection) {
        let values = head.headers["Content-Type"]
        let expected = "application/x-www-form-urlencoded"
        guard values.count == 1 else {
            throw .badRequest(values.isEmpty
                ? "missing Content-Type; this endpoint requires \(expected), even with an empty body"
                : "more than one Content-Type header")
        }
        let media: ParameterizedHeaderValue
        do {
            media = try ParameterizedHeaderValue(parsing: values[0], what: "Content-Type", mediaType: true)
        } catch {
            throw (error as? Rejection) ?? .badRequest("\(error)")
        }
        guard media.type == expected else {
            throw .badRequest("Content-Type is \(values[0].prefix(80)); this endpoint requires \(expected)")
        }
    }
}
