import GRDB

/// The outbox schema, migrated in code. Add a new migration; never edit a shipped one.
enum Schema {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: jobs") { db in
            try db.create(table: "job") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("state", .text).notNull()
                t.column("sourceKind", .text).notNull()
                // CUPS job-uuid: the same CUPS job handed over twice must make one job.
                t.column("sourceKey", .text).unique()
                t.column("source", .text).notNull()
                t.column("username", .text).notNull()
                t.column("portname", .text).notNull()
                t.column("title", .text).notNull()
                t.column("options", .text).notNull()
                t.column("payloadName", .text).notNull().unique()
                t.column("payloadSize", .integer).notNull()
                t.column("attempts", .integer).notNull().defaults(to: 0)
                t.column("nextAttemptAt", .integer)
                t.column("lastError", .text)
                t.column("documentUUID", .text)
                // Where a failed job's payload was put, for `retry` and for the admin.
                t.column("failedPath", .text)
                t.column("createdAt", .integer).notNull()
                t.column("updatedAt", .integer).notNull()
            }
            try db.create(index: "job_due", on: "job", columns: ["state", "nextAttemptAt"])
        }
        return migrator
    }
}
