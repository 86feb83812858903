import ArgumentParser
import EmulatorKit
import Foundation

/// Runs the strict cloud emulator until killed. Prints `listening on http://HOST:PORT` once ready.
struct EmulatorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "spoolbridge-emulator",
        abstract: "A strict loopback emulator of the cloud print API, for tests and benchmarks.",
        discussion: """
            Control endpoints (no API key): GET /_emulator/documents, GET /_emulator/stats,
            POST /_emulator/faults {"fault": {"type": "status", "status": 503, "message": "..."}, "count": 1},
            POST /_emulator/faults/clear, POST /_emulator/reset. Fault types: see EmulatorKit's Fault.swift.
            """)

    @Option(help: "TCP port to listen on; 0 picks a free one (printed on the first line).")
    var port: Int

    @Option(help: "Address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "File holding the API key to accept (surrounding whitespace ignored). Without it the key is test-api-key.")
    var apiKeyFile: String?

    @Option(help: "Largest document (data part) accepted, in bytes; larger uploads get 413.")
    var maxDocumentBytes = 200 * 1024 * 1024

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be 0-65535, not \(port)") }
        guard maxDocumentBytes > 0 else { throw ValidationError("--max-document-bytes must be positive") }
    }

    func run() async throws {
        var configuration = CloudEmulator.Configuration(host: host, port: port, maxDocumentBytes: maxDocumentBytes)
        if let apiKeyFile {
            configuration.apiKey = try readAPIKey(path: apiKeyFile)
        }
        let emulator = try await CloudEmulator.start(configuration)
        // Unbuffered, so a parent process reading the pipe sees the line at once.
        FileHandle.standardOutput.write(Data("listening on \(emulator.baseURL)\n".utf8))
        try await emulator.waitUntilClosed()
    }

    private func readAPIKey(path: String) throws -> String {
        let contents: String
        do {
            contents = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ValidationError("cannot read the API key file \(path): \(error.localizedDescription); check the path and its permissions")
        }
        let key = contents.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !key.isEmpty else { throw ValidationError("the API key file \(path) is empty; write the key into it") }
        return key
    }
}

// main.swift cannot carry @main; parse and run the async command by hand.
do {
    let command = try EmulatorCommand.parse()
    try await command.run()
} catch {
    EmulatorCommand.exit(withError: error)
}
