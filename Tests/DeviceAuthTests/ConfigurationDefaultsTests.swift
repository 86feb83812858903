import Testing

@testable import DeviceAuth

struct ConfigurationDefaultsTests {
    @Test(arguments: [
        ("https://print.example.com:7300", "https://print.example.com/oauth/v1"),
        ("https://print.example.com:7300/api/v1", "https://print.example.com/oauth/v1"),
        ("https://print.example.com", "https://print.example.com/oauth/v1"),
        ("https://[2001:db8::1]:7300", "https://[2001:db8::1]/oauth/v1"),
        ("http://127.0.0.1:18080", "http://127.0.0.1:18080/oauth/v1"),
    ])
    func theOAuthServiceDefaultsToTheCloudHostOnPort443(cloud: String, oauth: String) {
        #expect(DeviceAuth.Configuration.defaultOAuthURL(cloudURL: cloud) == oauth)
    }

    @Test func theStateLivesUnderTheSpool() {
        #expect(DeviceAuth.Configuration.defaultStateDirectory(spool: "/var/spool/spoolbridge/") == "/var/spool/spoolbridge/auth")
        #expect(DeviceAuth.Configuration.defaultStateDirectory(spool: "/srv/spool") == "/srv/spool/auth")
    }
}
