import SpoolbridgeCore
import Testing

@Suite("Small domain values")
struct ValueTypeTests {
    @Test func timestampArithmeticIsInMilliseconds() {
        let start = Timestamp(millisecondsSince1970: 1_000)
        #expect(start.adding(seconds: 1.5).millisecondsSince1970 == 2_500)
        #expect(start.adding(seconds: 0.0004).millisecondsSince1970 == 1_000)
        #expect(start.adding(seconds: -1).millisecondsSince1970 == 0)
        #expect(Timestamp(millisecondsSince1970: 4_250).seconds(since: start) == 3.25)
        #expect(Timestamp(secondsSince1970: 1.2345).millisecondsSince1970 == 1_235)
        #expect(Timestamp(millisecondsSince1970: 1_500).secondsSince1970 == 1.5)
        #expect(start < start.adding(seconds: 0.001))
    }

    @Test func onlyDeliveredFailedAndCancelledAreFinal() {
        #expect(JobState.allCases.filter(\.isFinal) == [.delivered, .failed, .cancelled])
    }

    @Test(arguments: [429, 408, 500, 502, 503, 504, 599])
    func retryableStatusesAreTransient(status: Int) {
        #expect(DeliveryFailure.kind(forHTTPStatus: status) == .transient)
    }

    @Test(arguments: [400, 401, 403, 404, 409, 413, 415])
    func clientErrorsArePermanent(status: Int) {
        #expect(DeliveryFailure.kind(forHTTPStatus: status) == .permanent)
    }

    @Test func failureDescriptionShowsStatusAndMessage() {
        #expect(DeliveryFailure(kind: .permanent, httpStatus: 413, message: "too big").description == "HTTP 413: too big")
        #expect(DeliveryFailure(kind: .transient, message: "connection reset").description == "connection reset")
    }

    @Test func duplexConfigNamesMapToTheCloudFlags() {
        #expect(PrintOptions.Duplex(configName: "simplex")?.rawValue == 0)
        #expect(PrintOptions.Duplex(configName: "long-edge")?.rawValue == 1)
        #expect(PrintOptions.Duplex(configName: "short-edge")?.rawValue == 2)
        #expect(PrintOptions.Duplex(configName: "duplex") == nil)
        #expect(PrintOptions.Duplex(configName: "Simplex") == nil)
    }

    @Test func secretsNeverPrint() {
        let secret = Secret("sk-live-123")
        #expect("\(secret)" == "<redacted>")
        #expect(String(reflecting: secret) == "<redacted>")
        #expect(!"\([secret])".contains("sk-live"))
        var dumped = ""
        dump(["key": secret], to: &dumped)
        #expect(!dumped.contains("sk-live"), "dump walks the mirror: \(dumped)")
        #expect(secret.exposedValue == "sk-live-123")
    }
}
