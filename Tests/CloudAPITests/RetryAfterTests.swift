import Testing

@testable import CloudAPI

@Suite("Retry-After")
struct RetryAfterTests {
    // 1994-11-06 08:49:37 UTC
    let exampleDate = 784_111_777.0

    @Test("delay-seconds")
    func delaySeconds() {
        #expect(RetryAfter.seconds(from: "7", now: 0) == 7)
        #expect(RetryAfter.seconds(from: " 120 ", now: 0) == 120)
        #expect(RetryAfter.seconds(from: "0", now: 0) == 0)
        #expect(RetryAfter.seconds(from: "99999999", now: 0) == RetryAfter.maximum)
    }

    @Test("the three HTTP-date forms", arguments: [
        "Sun, 06 Nov 1994 08:49:37 GMT", "Sunday, 06-Nov-94 08:49:37 GMT", "Sun Nov  6 08:49:37 1994",
    ])
    func httpDates(text: String) {
        #expect(RetryAfter.parseHTTPDate(text) == exampleDate)
        #expect(RetryAfter.seconds(from: text, now: exampleDate - 30) == 30)
    }

    @Test("a date in the past means now")
    func pastDate() {
        #expect(RetryAfter.seconds(from: "Sun, 06 Nov 1994 08:49:37 GMT", now: exampleDate + 1_000) == 0)
    }

    @Test("garbage is ignored", arguments: ["", "soon", "-5", "1.5", "Sun, 32 Nov 1994 08:49:37 GMT", "Sun, 06 Foo 1994 08:49:37 GMT"])
    func garbage(text: String) {
        #expect(RetryAfter.seconds(from: text, now: 0) == nil)
    }

    @Test("civil dates to days since the epoch")
    func days() {
        #expect(RetryAfter.daysSinceEpoch(year: 1970, month: 1, day: 1) == 0)
        #expect(RetryAfter.daysSinceEpoch(year: 2000, month: 3, day: 1) == 11_017)
        #expect(RetryAfter.daysSinceEpoch(year: 2024, month: 2, day: 29) == 19_782)
    }
}
