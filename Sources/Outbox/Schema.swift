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
        // What `status`, the watchdog's health check and pruning ask must not grow with the table.
        migrator.registerMigration("v2: prune and status indexes") { db in
            // The file a hot-folder job came from, as a column: per-folder counts are an index range.
            try db.execute(sql: "ALTER TABLE job ADD COLUMN sourcePath TEXT")
            try db.execute(sql: """
                UPDATE job SET sourcePath = json_extract(source, '$.hotFolder._0.originalPath')
                WHERE sourceKind = 'hotfolder'
                """)
            // Pruning: finished jobs of one state, oldest first.
            try db.execute(sql: "CREATE INDEX job_state_age ON job(state, updatedAt)")
            // The last failure: only rows that have an error are in it.
            try db.execute(sql: "CREATE INDEX job_last_failure ON job(updatedAt) WHERE lastError IS NOT NULL")
            // Per hot folder, per state: covering, so counting never reads the rows.
            try db.execute(sql: "CREATE INDEX job_source_path ON job(sourcePath, state) WHERE sourcePath IS NOT NULL")
        }
        // Job kinds (issue 10): records, releases and card swipes share the outbox with uploads. Rows
        // from v2 are uploads; their payload shape is nil (an upload with no follow-up).
        migrator.registerMigration("v3: job kinds") { db in
            try db.execute(sql: "ALTER TABLE job ADD COLUMN kind TEXT NOT NULL DEFAULT 'upload'")
            // The kind's payload as JSON (`JobTask`): the record's fields, the release's target, the card.
            try db.execute(sql: "ALTER TABLE job ADD COLUMN task TEXT")
            // `status` counts jobs per kind and state: covering, like job_source_path.
            try db.execute(sql: "CREATE INDEX job_kind_state ON job(kind, state)")
        }
        return migrator
    }
}
