import SpoolbridgeCore
import Testing

@Suite("CloudURL")
struct CloudURLTests {
    @Test func parsesHTTPSWithPortAndPath() throws {
        let url = try #require(CloudURL("https://print.example.com:7300/base"))
        #expect(url.scheme == "https")
        #expect(url.host == "print.example.com")
        #expect(!url.isLoopback)
    }

    @Test func schemeIsCaseInsensitive() throws {
        let url = try #require(CloudURL("HTTP://Print.Example.com"))
        #expect(url.scheme == "http")
    }

    @Test func parsesABracketedIPv6Literal() throws {
        let url = try #require(CloudURL("https://[2001:db8::7]:7300/"))
        #expect(url.host == "2001:db8::7")
        #expect(!url.isLoopback)
    }

    @Test(arguments: [
        "http://127.0.0.1:7300", "http://127.0.0.1", "http://127.1.2.3/x", "http://localhost:8080",
        "http://LocalHost", "http://[::1]:7300", "http://[::1]/api",
    ])
    func recognisesLoopback(text: String) throws {
        let url = try #require(CloudURL(text))
        #expect(url.isLoopback)
    }

    @Test(arguments: [
        "http://128.0.0.1", "http://10.0.0.1:7300", "http://print.example.com", "http://localhost.example.com",
        "http://127.0.0.1.nip.example", "http://[::2]", "http://[2001:db8::1]",
    ])
    func recognisesNonLoopback(text: String) throws {
        let url = try #require(CloudURL(text))
        #expect(!url.isLoopback)
    }

    /// `127.evil.co.uk` is a DNS name anyone can point anywhere; only a dotted-quad 127.x.y.z is loopback.
    @Test(
        arguments: ["http://127.evil.co.uk", "http://127.a.b.c:7300"])
    func aDNSNameStartingWith127IsNotLoopback(text: String) throws {
        let url = try #require(CloudURL(text))
        #expect(!url.isLoopback)
    }

    @Test(arguments: [
        "https://user:secret@print.example.com", "https://token@print.example.com:7300", "http://admin@127.0.0.1",
    ])
    func refusesCredentialsInTheURL(text: String) {
        #expect(CloudURL(text) == nil)
    }

    @Test func anAtSignInThePathIsNotACredential() throws {
        let url = try #require(CloudURL("https://print.example.com/path@x"))
        #expect(url.host == "print.example.com")
    }

    @Test(arguments: [
        "", "print.example.com", "print.example.com:7300", "://print.example.com", "https://", "https:///path",
        "https:/print.example.com", "ftp://print.example.com", "file:///etc/passwd", "https://[::1", "https://:7300",
        "mailto:someone@example.com",
    ])
    func refusesGarbage(text: String) {
        #expect(CloudURL(text) == nil)
    }
}
