import Logging
import Testing

@testable import SystemIntegration

@Suite struct JournalFieldNameTests {
    @Test(arguments: [
        ("job-id", "JOB_ID"),
        ("jobID", "JOBID"),
        ("hot.folder", "HOT_FOLDER"),
        ("_private", "PRIVATE"),
        ("__x", "X"),
        ("2fa", "F_2FA"),
        ("-9lives", "F_9LIVES"),
        ("größe", "GR__E"),
        ("déjà vu", "D_J__VU"),
    ])
    func sanitises(key: String, expected: String) {
        #expect(JournalFieldName.sanitised(key) == expected)
    }

    @Test func nothingUsableGivesNil() {
        #expect(JournalFieldName.sanitised("") == nil)
        #expect(JournalFieldName.sanitised("---") == nil)
        #expect(JournalFieldName.sanitised("_") == nil)
    }

    @Test func truncatesTo64Characters() throws {
        let name = try #require(JournalFieldName.sanitised(String(repeating: "a", count: 100)))
        #expect(name == String(repeating: "A", count: 64))
    }

    @Test func resultsAreValidJournalFieldNames() throws {
        for key in ["job-id", "2fa", "ÄÖÜ-x", "a b c", "x\ny", "x" + String(repeating: "é", count: 80)] {
            let name = try #require(JournalFieldName.sanitised(key))
            #expect(name.count <= 64)
            #expect(name.first?.isLetter == true)
            #expect(name.utf8.allSatisfy { ($0 >= 65 && $0 <= 90) || ($0 >= 48 && $0 <= 57) || $0 == 95 })
        }
    }
}

@Suite struct JournalEntryTests {
    struct Boom: Error, CustomStringConvertible { var description: String { "disk full" } }

    @Test func buildsTheStandardFieldsThenSortedMetadata() {
        let entry = JournalEntry(
            level: .warning, message: "upload failed\nretrying", label: "spoolbridge.delivery",
            metadata: ["job-id": "42", "attempt": .stringConvertible(3), "api_key": "k-123"], error: Boom(),
            file: "Delivery/Sender.swift", line: 17, function: "send(_:)"
        )
        #expect(entry.fields == [
            "MESSAGE=upload failed\nretrying",
            "PRIORITY=4",
            "SYSLOG_IDENTIFIER=spoolbridge",
            "LOGGER=spoolbridge.delivery",
            "CODE_FILE=Delivery/Sender.swift",
            "CODE_LINE=17",
            "CODE_FUNC=send(_:)",
            "API_KEY=<redacted>",
            "ATTEMPT=3",
            "ERROR=disk full",
            "JOB_ID=42",
        ])
    }

    @Test func metadataErrorWinsOverTheEventError() {
        let entry = JournalEntry(
            level: .error, message: "m", label: "l", metadata: ["error": "upload refused: 413"], error: Boom(),
            file: "f", line: 1, function: "g"
        )
        #expect(entry.fields.filter { $0.hasPrefix("ERROR=") } == ["ERROR=upload refused: 413"])
    }

    @Test func metadataCannotOverrideStandardFields() {
        let entry = JournalEntry(
            level: .info, message: "real", label: "l", metadata: ["message": "fake", "priority": "0", "---": "dropped"],
            error: nil, file: "f", line: 1, function: "g"
        )
        #expect(entry.fields.filter { $0.hasPrefix("MESSAGE=") } == ["MESSAGE=real"])
        #expect(entry.fields.filter { $0.hasPrefix("PRIORITY=") } == ["PRIORITY=6"])
        #expect(entry.fields.contains("META_MESSAGE=fake"))
        #expect(entry.fields.contains("META_PRIORITY=0"))
        #expect(!entry.fields.contains { $0.hasSuffix("=dropped") })
    }

    @Test(arguments: [
        (Logger.Level.trace, 7), (.debug, 7), (.info, 6), (.notice, 5), (.warning, 4), (.error, 3), (.critical, 2),
    ])
    func priorities(level: Logger.Level, priority: Int) {
        #expect(JournalEntry.priority(for: level) == priority)
    }
}

@Suite struct MetadataRedactionTests {
    @Test(arguments: [
        "api_key", "apiKey", "X-Api-Key", "APIKEY", "token", "refresh_token", "accessToken", "password",
        "client_secret", "Authorization", "credentials",
    ])
    func redactsCredentialKeys(key: String) {
        #expect(MetadataRedaction.isSensitive(key: key))
        #expect(MetadataRedaction.redact([key: "s3cr3t"]) == [key: "<redacted>"])
    }

    @Test(arguments: ["job-id", "api_key_file", "token_type", "path", "keyboard", "api", "monkey", "tokenizer"])
    func keepsOrdinaryKeys(key: String) {
        #expect(!MetadataRedaction.isSensitive(key: key))
    }

    @Test func redactsInsideNestedDictionaries() {
        let redacted = MetadataRedaction.redact(["request": ["url": "https://x", "password": "p"]])
        #expect(redacted == ["request": ["url": "https://x", "password": "<redacted>"]])
    }
}
