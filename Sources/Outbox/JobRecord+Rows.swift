import Foundation
import GRDB
import SpoolbridgeCore

// The delivery loop reads a row for every outcome and claim and writes one per transition. Through
// GRDB's Codable bridge that cost a keyed container per column, a thrown and caught error before
// each JSON column, a new JSONDecoder per JSON column, and (to write a transition) an `Encodable`
// pass over every column, JSON included, before the changed ones were picked. These do the same
// work by hand; the stored format is unchanged (JSON text with sorted keys, like GRDB writes it).
extension JobRecord {
    init(row: Row) throws {
        id = try row.decode(forColumn: "id")
        state = try row.decode(forColumn: "state")
        sourceKind = try row.decode(forColumn: "sourceKind")
        sourceKey = try row.decode(forColumn: "sourceKey")
        source = try Self.json(JobSource.self, row, "source")
        username = try row.decode(forColumn: "username")
        portname = try row.decode(forColumn: "portname")
        title = try row.decode(forColumn: "title")
        options = try Self.json(PrintOptions.self, row, "options", common: (Self.noOptions, PrintOptions()))
        payloadName = try row.decode(forColumn: "payloadName")
        payloadSize = try row.decode(forColumn: "payloadSize")
        attempts = try row.decode(forColumn: "attempts")
        nextAttemptAt = try row.decode(forColumn: "nextAttemptAt")
        lastError = try Self.optionalJSON(DeliveryFailure.self, row, "lastError")
        documentUUID = try row.decode(forColumn: "documentUUID")
        failedPath = try row.decode(forColumn: "failedPath")
        sourcePath = try row.decode(forColumn: "sourcePath")
        createdAt = try row.decode(forColumn: "createdAt")
        updatedAt = try row.decode(forColumn: "updatedAt")
        kind = try row.decode(forColumn: "kind")
        task = try Self.optionalJSON(JobTask.self, row, "task", common: (Self.plainUpload, JobTask.upload))
    }

    /// Persists a transition of this row's job: one cached `UPDATE` of the columns a state change
    /// touches, so the source, options and task (JSON) are neither re-encoded nor rewritten.
    mutating func save(_ job: Job, _ db: Database) throws {
        update(from: job)
        let statement = try db.cachedStatement(sql: """
            UPDATE job SET state = ?, attempts = ?, nextAttemptAt = ?, lastError = ?, documentUUID = ?,
                createdAt = ?, updatedAt = ? WHERE id = ?
            """)
        let lastErrorJSON = try lastError.map { String(decoding: try Self.jsonEncoder.encode($0), as: UTF8.self) }
        try statement.execute(arguments: [
            state, attempts, nextAttemptAt, lastErrorJSON, documentUUID, createdAt, updatedAt, id,
        ])
        // What `update(_:columns:)` did: a row that vanished is an error, not a silent no-op.
        guard db.changesCount > 0 else { throw Self.recordNotFound(db, key: id) }
    }

    /// Inserts the row with one cached `INSERT` and sets its id, as `insert(_:)` does, without
    /// GRDB's `Encodable` pass over every column (a hot-folder burst inserts a row per file).
    mutating func insertRow(_ db: Database) throws {
        let statement = try db.cachedStatement(sql: """
            INSERT INTO job (state, sourceKind, sourceKey, source, username, portname, title, options,
                payloadName, payloadSize, attempts, nextAttemptAt, lastError, documentUUID, failedPath,
                sourcePath, createdAt, updatedAt, kind, task)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        func json<T: Encodable>(_ value: T) throws -> String {
            String(decoding: try Self.jsonEncoder.encode(value), as: UTF8.self)
        }
        let options = options == PrintOptions() ? "{}" : try json(options)
        let task = try task.map { $0 == .upload ? String(decoding: Self.plainUpload, as: UTF8.self) : try json($0) }
        try statement.execute(arguments: [
            state, sourceKind, sourceKey, try json(source), username, portname, title, options,
            payloadName, payloadSize, attempts, nextAttemptAt, try lastError.map(json), documentUUID, failedPath,
            sourcePath, createdAt, updatedAt, kind, task,
        ])
        id = db.lastInsertedRowID
    }

    // GRDB's settings for JSON columns (`databaseJSONEncoder(for:)`), made once instead of per column.
    private static let jsonDecoder: JSONDecoder = databaseJSONDecoder(for: "")
    private static let jsonEncoder: JSONEncoder = databaseJSONEncoder(for: "")

    // What nearly every row holds (no print options; an upload with no follow-up), exactly as the
    // encoder writes it: recognised by its bytes, without a JSONDecoder.
    private static let noOptions = Array("{}".utf8)
    private static let plainUpload = Array(#"{"upload":{"_0":{}}}"#.utf8)

    private static func json<T: Decodable>(
        _ type: T.Type, _ row: Row, _ column: String, common: ([UInt8], T)? = nil
    ) throws -> T {
        guard let value = try optionalJSON(type, row, column, common: common) else {
            throw DecodingError.valueNotFound(type, .init(codingPath: [], debugDescription: "job.\(column) is NULL"))
        }
        return value
    }

    private static func optionalJSON<T: Decodable>(
        _ type: T.Type, _ row: Row, _ column: String, common: ([UInt8], T)? = nil
    ) throws -> T? {
        try row.withUnsafeData(named: column) { data in
            guard let data else { return nil }
            if let (bytes, value) = common, data.elementsEqual(bytes) { return value }
            return try jsonDecoder.decode(type, from: data)
        }
    }
}
