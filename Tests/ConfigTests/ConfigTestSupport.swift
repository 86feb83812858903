import Config
import Foundation
import Testing

let configFile = "/etc/spoolbridge/spoolbridge.toml"

/// The example from the configuration contract, with every key set (optional ones included).
let fullExample = """
    [cloud]
    url = "https://print.example.com:7300"   # base; the client appends /api/v1/...
    api_key_file = "/etc/spoolbridge/api-key"
    ca_file = "/etc/spoolbridge/ca.pem"
    allow_insecure_http = false

    [spool]
    directory = "/var/lib/spoolbridge"
    max_document_mb = 150
    min_free_mb = 1024

    [delivery]
    concurrency = 8
    max_age_hours = 48

    [[hotfolder]]
    path = "/srv/print/finance"
    port = "Finance"
    user = "alice"
    copies = 1
    duplex = "simplex"
    grayscale = false
    archive = "/srv/print/finance-done"
    failed = "/srv/print/finance-failed"

    [[hotfolder]]
    path = "/srv/print/team/"
    port = "Team"
    owner = "subfolder"
    copies = 3
    duplex = "long-edge"
    grayscale = true

    [[hotfolder]]
    path = "/srv/print/home"
    port = "Home"
    owner = "file-owner"
    duplex = "short-edge"
    """

/// The smallest valid configuration.
let minimalCloud = """
    [cloud]
    url = "https://print.example.com:7300"
    """

/// `minimalCloud` plus one hot folder whose body is `hotFolderLines`.
func withHotFolder(_ hotFolderLines: String) -> String {
    minimalCloud + "\n\n[[hotfolder]]\n" + hotFolderLines
}

/// The 1-based line of the first line containing `marker`.
func line(of marker: String, in text: String) -> Int? {
    text.split(separator: "\n", omittingEmptySubsequences: false).firstIndex { $0.contains(marker) }.map { $0 + 1 }
}

/// Parses `text`, expecting a refusal; returns the error (nil, with a recorded issue, if it was accepted).
func refusal(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) -> ConfigError? {
    do {
        let configuration = try ConfigurationLoader.parse(text, file: configFile)
        Issue.record("accepted a bad configuration: \(configuration)", sourceLocation: sourceLocation)
        return nil
    } catch {
        return error
    }
}

/// Checks the parts of a refusal an admin relies on: code, key, line, and that the text says it all.
func expectRefusal(
    _ text: String, code: ConfigError.Code, key: String, line expectedLine: Int?, mentioning fragments: [String] = [],
    sourceLocation: SourceLocation = #_sourceLocation
) {
    guard let error = refusal(text, sourceLocation: sourceLocation) else { return }
    #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
    #expect(error.key == key, "\(error)", sourceLocation: sourceLocation)
    #expect(error.line == expectedLine, "\(error)", sourceLocation: sourceLocation)
    #expect(error.file == configFile, sourceLocation: sourceLocation)
    let description = error.description
    #expect(description.contains(key), "the text names the key: \(description)", sourceLocation: sourceLocation)
    if let expectedLine {
        #expect(description.contains("\(configFile):\(expectedLine)"), "the text names the line: \(description)", sourceLocation: sourceLocation)
    }
    for fragment in fragments {
        #expect(description.contains(fragment), "expected \"\(fragment)\" in: \(description)", sourceLocation: sourceLocation)
    }
}
