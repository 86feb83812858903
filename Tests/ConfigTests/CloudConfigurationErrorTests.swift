import Config
import Testing

@Suite("Configuration: refusals of the [cloud] section")
struct CloudConfigurationErrorTests {
    @Test func missingCloudSection() {
        let text = """
            [spool]
            directory = "/var/lib/spoolbridge"
            """
        expectRefusal(text, code: .missingKey, key: "cloud", line: nil, mentioning: ["[cloud]"])
    }

    @Test func missingURL() {
        let text = """
            [cloud]
            api_key_file = "/etc/spoolbridge/api-key"
            """
        expectRefusal(text, code: .missingKey, key: "cloud.url", line: 1)
    }

    @Test func plainHTTPToARemoteHostNamesAllowInsecureHTTP() {
        let text = """
            [cloud]
            url = "http://print.example.com"
            """
        expectRefusal(text, code: .insecure, key: "cloud.url", line: 2, mentioning: ["allow_insecure_http", "https://"])
    }

    @Test func plainHTTPWithAllowInsecureFalseIsStillRefused() {
        let text = """
            [cloud]
            allow_insecure_http = false
            url = "http://10.1.2.3:7300"
            """
        expectRefusal(text, code: .insecure, key: "cloud.url", line: 3, mentioning: ["allow_insecure_http"])
    }

    @Test(arguments: ["ftp://print.example.com", "print.example.com", "https://", "https://[::1"])
    func aURLThatIsNotHTTPIsRefused(url: String) {
        let text = "[cloud]\nurl = \"\(url)\"\n"
        expectRefusal(text, code: .invalidValue, key: "cloud.url", line: 2, mentioning: ["https://"])
    }

    @Test
    func credentialsInTheURLAreRefusedWithoutEchoingThem() {
        let text = """
            [cloud]
            url = "https://admin:hunter2@print.example.com"
            """
        guard let error = refusal(text) else { return }
        #expect(error.key == "cloud.url")
        #expect(!error.description.contains("hunter2"), "a password must not reach the log: \(error)")
    }

    @Test func aRelativeKeyFile() {
        let text = """
            [cloud]
            url = "https://print.example.com"
            api_key_file = "api-key"
            """
        expectRefusal(text, code: .invalidValue, key: "cloud.api_key_file", line: 3, mentioning: ["absolute"])
    }
}
