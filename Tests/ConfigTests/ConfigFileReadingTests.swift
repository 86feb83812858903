import Config
import Foundation
import Testing

/// Reading the file itself: every failure is a sentence naming the file and the fix, never a
/// Foundation error domain and number.
@Suite("Configuration: a file that cannot be read says why and what to do")
struct ConfigFileReadingTests {
    private func temporaryPath(_ suffix: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("spoolbridge-\(UInt64.random(in: 0 ... .max))\(suffix)").path
    }

    private func loadError(_ path: String) -> ConfigError? {
        do {
            _ = try ConfigurationLoader.load(path: path)
            Issue.record("loaded \(path)")
            return nil
        } catch {
            return error
        }
    }

    @Test func aDirectoryAsTheConfigurationPathNamesTheFileToPass() throws {
        let directory = temporaryPath("-etc")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false)
        defer { try? FileManager.default.removeItem(atPath: directory) }

        let error = try #require(loadError(directory))

        #expect(error.code == .unreadable)
        #expect(error.description.hasPrefix("\(directory): is a directory"), "\(error)")
        #expect(error.description.contains("--config \(directory)/spoolbridge.toml"), "\(error)")
        // Foundation's "NSCocoaErrorDomain … 256" must not show; the path is left out of the look, since its
        // random digits may hold "256" themselves (they did once in CI).
        let withoutPath = error.description.replacingOccurrences(of: directory, with: "DIR")
        #expect(!withoutPath.contains("NSCocoaErrorDomain") && !withoutPath.contains("256"), "\(error)")
    }

    @Test func aMissingFileSaysHowToFixIt() throws {
        let path = temporaryPath("-missing.toml")
        let error = try #require(loadError(path))
        #expect(error.code == .unreadable)
        #expect(error.description.contains("no such file"), "\(error)")
        #expect(error.description.contains("--config"), "\(error)")
    }

    @Test func aFileThatIsNotUTF8NamesTheLineColumnAndByte() throws {
        // A Latin-1 editor saved "café" as 63 61 66 E9.
        let path = temporaryPath(".toml")
        let bytes = Array("[cloud]\nurl = \"https://print.example.com\"\n# caf".utf8) + [0xE9] + Array("\n".utf8)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let offset = try #require(bytes.firstIndex(of: 0xE9))

        let error = try #require(loadError(path))

        #expect(error.code == .encoding)
        #expect(error.line == 3)
        #expect(error.description.hasPrefix("\(path):3: the file is not UTF-8"), "\(error)")
        #expect(error.description.contains("byte 0xE9 at line 3, column 6 (offset \(offset))"), "\(error)")
        #expect(error.description.contains("iconv"), "\(error)")
        #expect(!error.description.contains("correct format"), "no Foundation text: \(error)")
    }

    @Test func aTruncatedMultibyteSequenceAtTheEndIsFoundToo() throws {
        let path = temporaryPath(".toml")
        // "é" is C3 A9; the file ends after C3.
        let bytes = Array("[cloud]\nurl = \"https://print.example.com\"\n# ".utf8) + [0xC3]
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }

        let error = try #require(loadError(path))

        #expect(error.code == .encoding)
        #expect(error.line == 3)
        #expect(error.description.contains("byte 0xC3 at line 3, column 3 (offset \(bytes.count - 1))"), "\(error)")
    }

    @Test func validUTF8WithNonASCIICommentsIsRead() throws {
        let path = temporaryPath(".toml")
        try Data("[cloud]\nurl = \"https://print.example.com\"  # café, 日本\n".utf8).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(try ConfigurationLoader.load(path: path).cloud.url == "https://print.example.com")
    }
}
