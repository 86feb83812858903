import Config
import Foundation
import Testing

/// Without `[cups]` the listener runs only where its socket can be; with it, a missing directory stops the daemon.
@Suite("Configuration: when the CUPS socket is required")
struct CupsListenPolicyTests {
    @Test func withoutACupsSectionTheSocketIsOptional() throws {
        let cups = try ConfigurationLoader.parse(minimalCloud, file: configFile).cups
        #expect(!cups.isExplicit)
        #expect(cups.listenPolicy == .whereSocketDirectoryExists)
        #expect(cups.socketDirectory == "/run/spoolbridge")
        #expect(cups.listenDecision(socketDirectoryExists: true) == .listen)
        #expect(cups.listenDecision(socketDirectoryExists: false)
            == .skip(notice: "CUPS backend socket not available (no /run/spoolbridge); hot folders only"))
    }

    @Test(arguments: ["[cups]\n", "[cups]\nsocket = \"/srv/sb/backend.sock\"\n", "[cups]\nlowercase = false\n"])
    func aCupsSectionMakesTheSocketRequired(section: String) throws {
        let cups = try ConfigurationLoader.parse(minimalCloud + "\n" + section, file: configFile).cups
        #expect(cups.isExplicit)
        #expect(cups.listenPolicy == .required)
        #expect(cups.listenDecision(socketDirectoryExists: true) == .listen)
        guard case .cannotListen(let problem) = cups.listenDecision(socketDirectoryExists: false) else {
            Issue.record("a required socket without its directory must be a start-up error")
            return
        }
        #expect(problem.contains(cups.socketDirectory), "\(problem)")
        #expect(problem.contains("[cups] socket"), "\(problem)")
        #expect(problem.contains("RuntimeDirectory"), "\(problem)")
    }

    @Test(arguments: [true, false])
    func enabledFalseTurnsTheListenerOff(directoryExists: Bool) throws {
        let cups = try ConfigurationLoader.parse(minimalCloud + "\n[cups]\nenabled = false\n", file: configFile).cups
        #expect(cups.listenPolicy == .off)
        #expect(cups.listenDecision(socketDirectoryExists: directoryExists) == .off)
    }

    @Test func theDecisionLooksAtTheRealDirectory() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("spoolbridge-run-\(UInt64.random(in: 0 ... .max))").path
        let text = minimalCloud + "\n[cups]\nsocket = \"\(directory)/backend.sock\"\n"
        let cups = try ConfigurationLoader.parse(text, file: configFile).cups
        guard case .cannotListen = cups.listenDecision() else {
            Issue.record("\(directory) does not exist yet")
            return
        }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        #expect(cups.listenDecision() == .listen)
    }
}
