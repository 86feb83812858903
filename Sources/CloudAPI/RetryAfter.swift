/// `Retry-After`: either delay-seconds or an HTTP-date (RFC 9110 §10.2.3).
enum RetryAfter {
    /// Seconds to wait from `now` (Unix seconds), or nil when the value is not understood.
    /// A date in the past means "now" (0). Values are capped at a day so a confused server cannot park a job for years.
    static func seconds(from value: String, now: Double) -> Double? {
        let trimmed = value.trimmingASCIIWhitespace()
        guard !trimmed.isEmpty else { return nil }
        if trimmed.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) {
            guard let seconds = Double(trimmed) else { return nil }
            return min(seconds, maximum)
        }
        guard let date = parseHTTPDate(trimmed) else { return nil }
        return min(max(0, date - now), maximum)
    }

    static let maximum: Double = 86_400

    /// Unix seconds of an HTTP-date in any of the three forms RFC 9110 asks recipients to accept:
    /// IMF-fixdate "Sun, 06 Nov 1994 08:49:37 GMT", RFC 850 "Sunday, 06-Nov-94 08:49:37 GMT",
    /// asctime "Sun Nov  6 08:49:37 1994".
    static func parseHTTPDate(_ text: String) -> Double? {
        // Split into runs of letters and runs of digits; separators (space, comma, '-', ':') vanish.
        var tokens: [String] = []
        var current = ""
        var currentIsDigit = false
        for scalar in text.unicodeScalars {
            let isDigit = ("0"..."9").contains(scalar)
            let isLetter = scalar.isASCII && scalar.properties.isAlphabetic
            if isDigit || isLetter {
                if !current.isEmpty && isDigit != currentIsDigit {
                    tokens.append(current)
                    current = ""
                }
                current.unicodeScalars.append(scalar)
                currentIsDigit = isDigit
            } else if !current.isEmpty {
                tokens.append(current)
                current = ""
            }
        }
        if !current.isEmpty { tokens.append(current) }

        guard let monthIndex = tokens.firstIndex(where: { monthNumber($0) != nil }),
            let month = monthNumber(tokens[monthIndex])
        else { return nil }
        let numbers = tokens.compactMap { token -> Int? in
            token.first?.isASCII == true && token.first!.isNumber ? Int(token) : nil
        }
        guard numbers.count == 5 else { return nil }
        let firstNumberIndex = tokens.firstIndex(where: { $0.first?.isNumber == true }) ?? tokens.endIndex
        let day, hour, minute, second: Int
        var year: Int
        if monthIndex < firstNumberIndex {
            (day, hour, minute, second, year) = (numbers[0], numbers[1], numbers[2], numbers[3], numbers[4])  // asctime
        } else {
            (day, year, hour, minute, second) = (numbers[0], numbers[1], numbers[2], numbers[3], numbers[4])
        }
        if year < 100 { year += year < 70 ? 2000 : 1900 }  // RFC 850's two-digit years
        guard (1...31).contains(day), (0...23).contains(hour), (0...59).contains(minute), (0...60).contains(second) else {
            return nil
        }
        let days = daysSinceEpoch(year: year, month: month, day: day)
        return Double(days * 86_400 + hour * 3_600 + minute * 60 + second)
    }

    private static func monthNumber(_ token: String) -> Int? {
        let months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
        return months.firstIndex(of: token.lowercased()).map { $0 + 1 }
    }

    /// Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's days_from_civil).
    static func daysSinceEpoch(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }
}

extension String {
    func trimmingASCIIWhitespace() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\r" || $0 == "\n" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else {
            return ""
        }
        return String(self[first...last])
    }
}
