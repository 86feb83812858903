import Foundation

/// `GET /documents/history`, reduced to what the emulator knows: the recorded jobs as
/// DocumentInfo, filtered by `jobtype` and `username`, on one page.
enum HistoryListing {
    struct Page: Encodable {
        var documents: [Entry]
        var recordsOnPage: Int
        var nextPageToken = ""
    }

    struct Entry: Encodable {
        var uuid: String
        var documentName: String
        var userName: String
        var providerId: Int
        var totalPages: Int
        var colorPages: Int
        /// 1 = long edge (`duplex=true`), 2 = short edge (`duplex=false`), 0 when not given.
        var duplex: Int
        var paperSize: String
        var dateTime: Int64
        var jobType: String
        var outputPortName: String
    }

    static func answer(query: String, records: [ReceivedRecord]) throws(Rejection) -> HTTPAnswer {
        let filters = try FormBody(parsing: Array(query.utf8), what: "query").fields(what: "query")
        var entries: [Entry] = []
        for (index, record) in records.enumerated() {
            let fields = record.fields
            if let type = filters["jobtype"], type != fields["jobtype"] { continue }
            if let user = filters["username"], user != fields["username"] { continue }
            entries.append(Entry(
                uuid: "record-\(index + 1)", documentName: fields["title"] ?? "", userName: fields["username"] ?? "",
                providerId: fields["providerid"].flatMap { Int($0) } ?? 0,
                totalPages: fields["totalpages"].flatMap { Int($0) } ?? 0,
                colorPages: fields["colorpages"].flatMap { Int($0) } ?? 0,
                duplex: fields["duplex"].map { $0 == "true" ? 1 : 2 } ?? 0, paperSize: fields["papersize"] ?? "",
                dateTime: Int64((record.receivedAt.timeIntervalSince1970 * 1000).rounded()),
                jobType: fields["jobtype"] ?? "", outputPortName: fields["serialnumber"] ?? fields["address"] ?? ""))
        }
        return .json(Page(documents: entries, recordsOnPage: entries.count))
    }
}
