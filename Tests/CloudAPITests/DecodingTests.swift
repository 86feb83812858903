import SpoolbridgeCore
import Testing

@testable import CloudAPI

@Suite("Decoding the cloud's answers")
struct DecodingTests {
    @Test("DocumentInfo needs a uuid and tolerates odd optional fields")
    func documentInfo() throws {
        let info = try CloudJSON.decode(
            DocumentInfo.self,
            from: Array(#"{"uuid":"u-1","userName":"bob","status":5,"duplex":"long","copies":2,"tags":[]}"#.utf8))
        #expect(info.uuid == "u-1")
        #expect(info.userName == "bob")
        #expect(info.status == 5)
        #expect(info.duplex == nil)
        #expect(info.copies == 2)
        #expect(throws: (any Error).self) { try CloudJSON.decode(DocumentInfo.self, from: Array(#"{"userName":"bob"}"#.utf8)) }
        #expect(throws: (any Error).self) { try CloudJSON.decode(DocumentInfo.self, from: Array(#"{"uuid":""}"#.utf8)) }
    }

    @Test("ServerVersion keeps scalar fields as text and the raw JSON")
    func serverVersion() throws {
        let raw = #"{"version":"7.2.1","build":1234,"beta":false,"ratio":1.5,"nested":{"a":1},"none":null}"#
        let version = try #require(ServerVersion(json: Array(raw.utf8)))
        #expect(version.version == "7.2.1")
        #expect(version.fields == ["version": "7.2.1", "build": "1234", "beta": "false", "ratio": "1.5"])
        #expect(version.rawJSON == raw)
        #expect(ServerVersion(json: Array(#"{"serverVersion":"9"}"#.utf8))?.version == "9")
        #expect(ServerVersion(json: Array("<html>".utf8)) == nil)
        #expect(ServerVersion(json: Array("[1,2]".utf8)) == nil)
    }
}
