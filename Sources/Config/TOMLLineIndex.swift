/// Finds the line of a key in a TOML text, so errors about values (which the TOML parser accepts)
/// can still point at a line. It understands the shapes this file uses: `[table]`, `[[array]]`,
/// `key = value`; anything fancier just yields no line.
struct TOMLLineIndex {
    private var lines: [String: Int] = [:]

    init(_ text: String) {
        var table = ""
        var arrayCounts: [String: Int] = [:]
        for (offset, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingSpaces()
            let number = offset + 1
            if line.hasPrefix("[[") {
                let name = line.dropFirst(2).prefix { $0 != "]" }.trimmingSpaces()
                let index = arrayCounts[name, default: 0]
                arrayCounts[name] = index + 1
                table = "\(name)[\(index)]"
                lines[table] = number
            } else if line.hasPrefix("[") {
                table = line.dropFirst().prefix { $0 != "]" }.trimmingSpaces()
                lines[table] = number
            } else if let equals = line.firstIndex(of: "="), !line.hasPrefix("#") {
                let key = line[..<equals].trimmingSpaces().trimmingCharacters(in: "\"'")
                lines[table.isEmpty ? key : "\(table).\(key)", default: number] = number
            }
        }
    }

    /// The line of `key` (dotted, arrays as `hotfolder[0].path`), or of its table when the key is absent.
    func line(of key: String) -> Int? {
        if let line = lines[key] { return line }
        guard let dot = key.lastIndex(of: ".") else { return nil }
        return lines[String(key[..<dot])]
    }
}

extension StringProtocol {
    func trimmingSpaces() -> String {
        String(drop { $0 == " " || $0 == "\t" || $0 == "\r" }.reversed().drop { $0 == " " || $0 == "\t" || $0 == "\r" }.reversed())
    }

    func trimmingCharacters(in set: String) -> String {
        String(drop { set.contains($0) }.reversed().drop { set.contains($0) }.reversed())
    }
}
