/// A records drop-folder file: JSON Lines, one record per line with the CLI's keys (`type`,
/// `pages`, `color-pages`, …). Pure: bytes in, a verdict out; the outbox does the I/O.
public enum RecordsFile {
    /// Longer lines are refused without being parsed: no record needs this much.
    public static let maxLineBytes = 64 * 1024

    public struct RejectedLine: Sendable, Hashable {
        /// 1-based, counting every line of the file (blank ones included), as an editor shows them.
        public var number: Int
        /// The line as it was, without its line break.
        public var bytes: [UInt8]
        public var reason: String
    }

    public enum Verdict: Sendable, Hashable {
        /// The file as a whole is not a records file (not UTF-8, not JSON Lines, empty).
        case rejected(reason: String)
        /// Valid records with their line numbers, and the lines that are not.
        case parsed(valid: [ValidLine], rejected: [RejectedLine])
    }

    public struct ValidLine: Sendable, Hashable {
        public var number: Int
        public var record: HistoryRecord
    }

    public static func parse(_ bytes: [UInt8]) -> Verdict {
        var lines: [(number: Int, bytes: ArraySlice<UInt8>)] = []
        var number = 0
        for var line in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            number += 1
            if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }  // blank lines are allowed
            lines.append((number, line))
        }
        guard !lines.isEmpty else { return .rejected(reason: "the file is empty: expected one JSON object per line") }
        if let bad = lines.first(where: { String(validating: $0.bytes, as: UTF8.self) == nil }) {
            return .rejected(reason: "the file is not UTF-8 text (line \(bad.number)); save it as UTF-8 JSON Lines")
        }
        var valid: [ValidLine] = []
        var rejected: [RejectedLine] = []
        var anyObject = false
        for (number, line) in lines {
            guard line.count <= maxLineBytes else {
                rejected.append(RejectedLine(number: number, bytes: Array(line), reason: "line longer than \(maxLineBytes) bytes"))
                continue
            }
            do {
                let fields = try HistoryRecord.fields(ofJSONLine: Array(line))
                anyObject = true
                valid.append(ValidLine(number: number, record: try HistoryRecord.validated(fields)))
            } catch {
                rejected.append(RejectedLine(number: number, bytes: Array(line), reason: error.description))
            }
        }
        // Not one JSON object: a CSV, a PDF or a text note dropped in the wrong folder.
        guard anyObject else {
            let first = rejected.first.map { "line \($0.number): \($0.reason)" } ?? ""
            return .rejected(reason: "the file is not JSON Lines (no line is a JSON object; \(first))")
        }
        return .parsed(valid: valid, rejected: rejected)
    }
}
