import Foundation
import Logging
import SpoolbridgeCore
import Testing

@testable import SystemIntegration

/// systemd/spoolbridge.catalog: parses, covers every MESSAGE_ID the code sends, and journalctl accepts it.
struct JournalCatalogTests {
    static let catalogPath = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("systemd/spoolbridge.catalog").path

    struct Entry {
        var id: String
        var headers: [String: String]
        var body: [String]
    }

    /// The catalog format (journalctl(1), "--update-catalog"): `-- ID` lines start entries, headers up to the
    /// first blank line, then the text; `#` comments only before the first entry.
    static func parse(_ text: String) throws -> [Entry] {
        var entries: [Entry] = []
        var inHeaders = false
        for line in text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            if line.hasPrefix("-- ") {
                let id = String(line.dropFirst(3))
                guard JournalEntry.isMessageID(id) else { throw CatalogError("not a 128-bit id: \(line)") }
                entries.append(Entry(id: id, headers: [:], body: []))
                inHeaders = true
            } else if entries.isEmpty {
                guard line.isEmpty || line.hasPrefix("#") else { throw CatalogError("text before the first entry: \(line)") }
            } else if inHeaders {
                if line.isEmpty {
                    inHeaders = false
                    continue
                }
                guard let colon = line.firstIndex(of: ":") else { throw CatalogError("not a header: \(line)") }
                entries[entries.count - 1].headers[String(line[..<colon])] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            } else {
                entries[entries.count - 1].body.append(line)
            }
        }
        return entries
    }

    @Test func everyEventTheCodeSendsIsExplainedOnce() throws {
        let entries = try Self.parse(try String(contentsOfFile: Self.catalogPath, encoding: .utf8))
        #expect(Set(entries.map(\.id)) == Set(LogMessageID.all))
        #expect(entries.count == LogMessageID.all.count, "each id once")
        for entry in entries {
            #expect(entry.headers["Subject"]?.isEmpty == false, "\(entry.id)")
            #expect(entry.headers["Defined-By"] == "spoolbridge", "\(entry.id)")
            #expect(entry.body.contains { !$0.isEmpty }, "\(entry.id) explains itself")
        }
    }

    @Test func aCataloguedEventCarriesItsMessageIDAsTheRealField() {
        let entry = JournalEntry(
            level: .error, message: "the cloud is unavailable", label: "l",
            metadata: [LogField.messageID: "\(LogMessageID.cloudUnreachable)", LogField.jobID: "42"], error: nil,
            file: "f", line: 1, function: "g")
        #expect(entry.fields.contains("MESSAGE_ID=\(LogMessageID.cloudUnreachable)"))
        #expect(entry.fields.contains("JOB_ID=42"))
        #expect(!entry.fields.contains { $0.hasPrefix("META_MESSAGE_ID") })
        let bogus = JournalEntry(level: .info, message: "m", label: "l", metadata: [LogField.messageID: "not-an-id"],
                                 error: nil, file: "f", line: 1, function: "g")
        #expect(!bogus.fields.contains { $0.hasPrefix("MESSAGE_ID=") })
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/journalctl"), "needs journalctl"))
    func journalctlBuildsACatalogDatabaseFromIt() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("catalog-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        try FileManager.default.createDirectory(atPath: root + "/usr/lib/systemd/catalog", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: Self.catalogPath, toPath: root + "/usr/lib/systemd/catalog/spoolbridge.catalog")
        #expect(try journalctl(["--root=\(root)", "--update-catalog"]).status == 0)
        let listed = try journalctl(["--root=\(root)", "--list-catalog"])
        for id in LogMessageID.all {
            #expect(listed.output.contains(id), "\(listed.output)")
        }
    }

    private func journalctl(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/journalctl")
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}

struct CatalogError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
