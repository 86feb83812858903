import Config
import Foundation
import Testing

@Suite("Configuration: [http]")
struct HTTPConfigTests {
    @Test func offWhenAbsent() throws {
        let configuration = try ConfigurationLoader.parse(minimalCloud, file: configFile)
        #expect(configuration.http.listen == nil)
        #expect(configuration.http.unhealthyAfterSeconds == 300)
    }

    @Test(arguments: [
        ("127.0.0.1:9631", "127.0.0.1", 9631), ("[::1]:9631", "::1", 9631), ("localhost:80", "localhost", 80),
        ("127.0.0.2:0", "127.0.0.2", 0),
    ])
    func loopbackAddressesAreAccepted(text: String, host: String, port: Int) throws {
        let configuration = try ConfigurationLoader.parse(minimalCloud + "\n[http]\nlisten = \"\(text)\"\n", file: configFile)
        #expect(configuration.http.listen == HTTPListenAddress(host: host, port: port))
        #expect(configuration.http.listen?.isLoopback == true)
    }

    @Test(arguments: ["0.0.0.0:9631", "[::]:9631", "192.0.2.7:9631"])
    func aRemoteAddressNeedsAllowRemote(text: String) throws {
        let refused = minimalCloud + "\n[http]\nlisten = \"\(text)\"\n"
        expectRefusal(refused, code: .insecure, key: "http.listen", line: line(of: "listen", in: refused),
                      mentioning: ["allow_remote = true", "other machines"])
        let allowed = try ConfigurationLoader.parse(refused + "allow_remote = true\nunhealthy_after_seconds = 60\n", file: configFile)
        #expect(allowed.http.listen?.isLoopback == false)
        #expect(allowed.http.allowRemote)
        #expect(allowed.http.unhealthyAfterSeconds == 60)
    }

    @Test(arguments: [
        ("9631", "HOST:PORT"), ("127.0.0.1:99999", "0…65535"), ("print.example.com:9631", "IP address or localhost"),
        ("::1:9631", "brackets"), ("[::1]9631", ":PORT"),
    ])
    func badAddressesAreRefusedWithTheReason(text: String, reason: String) {
        let refused = minimalCloud + "\n\n[http]\nlisten = \"\(text)\"\n"
        expectRefusal(refused, code: .invalidValue, key: "http.listen", line: line(of: "listen", in: refused),
                      mentioning: [reason, "127.0.0.1:9631"])
    }

    @Test func unknownKeysAreRefused() {
        let refused = minimalCloud + "\n[http]\nport = 9631\n"
        expectRefusal(refused, code: .unknownKey, key: "http.port", line: line(of: "port", in: refused))
    }
}
