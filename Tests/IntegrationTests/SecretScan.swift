import Foundation

/// Finds secret values in what spoolbridge wrote. A leak is named by where it was found and the
/// secret's first characters only, so the failure message does not repeat the whole value.
enum SecretScan {
    /// Every token the project's emulator issues starts with one of these (access, refresh, device
    /// code): scanning for the prefix finds every token ever issued, rotated ones included.
    static let emulatorTokenPrefixes = ["emu-at-", "emu-rt-", "emu-dc-"]

    static func leaks(of secrets: [String], in texts: [(name: String, text: String)]) -> [String] {
        var found: [String] = []
        for secret in Set(secrets) where secret.count >= 6 {
            for (name, text) in texts {
                let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
                guard let index = lines.firstIndex(where: { $0.contains(secret) }) else { continue }
                found.append("\"\(secret.prefix(6))…\" in \(name), line \(index + 1)")
            }
        }
        return found.sorted()
    }

    /// The `NAME.error.txt` notes a failed job leaves beside its file, anywhere below `directory`.
    static func errorNotes(below directory: String) -> [(name: String, text: String)] {
        guard let walker = FileManager.default.enumerator(atPath: directory) else { return [] }
        var notes: [(name: String, text: String)] = []
        while let relative = walker.nextObject() as? String {
            guard relative.hasSuffix(".error.txt") else { continue }
            let path = directory + "/" + relative
            notes.append((path, (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""))
        }
        return notes
    }
}
