import Config
import Foundation
import Testing

@Suite("Configuration: spool.keep_finished_days")
struct KeepFinishedDaysTests {
    @Test func finishedJobsAreKeptSevenDaysByDefault() throws {
        let configuration = try ConfigurationLoader.parse(minimalCloud, file: configFile)
        #expect(configuration.spool.keepFinishedDays == 7)
        #expect(configuration.spool.keepFinishedSeconds == 604_800.0)
    }

    @Test func keepFinishedDaysIsRead() throws {
        let configuration = try ConfigurationLoader.parse(minimalCloud + "\n[spool]\nkeep_finished_days = 30\n", file: configFile)
        #expect(configuration.spool.keepFinishedDays == 30)
    }

    @Test func zeroKeepsFinishedJobsForEver() throws {
        let configuration = try ConfigurationLoader.parse(minimalCloud + "\n[spool]\nkeep_finished_days = 0\n", file: configFile)
        #expect(configuration.spool.keepFinishedDays == nil)
        #expect(configuration.spool.keepFinishedSeconds == nil)
    }

    @Test(arguments: ["-1", "36501"])
    func keepFinishedDaysOutOfRangeIsRefused(value: String) {
        let text = minimalCloud + "\n[spool]\nkeep_finished_days = \(value)\n"
        expectRefusal(
            text, code: .invalidValue, key: "spool.keep_finished_days", line: line(of: "keep_finished_days", in: text),
            mentioning: ["0…36500", "0 keeps finished jobs for ever", value])
    }

    @Test(arguments: ["\"7\"", "1.5"])
    func keepFinishedDaysMustBeAWholeNumber(value: String) {
        let text = minimalCloud + "\n[spool]\nkeep_finished_days = \(value)\n"
        expectRefusal(
            text, code: .invalidValue, key: "spool.keep_finished_days", line: line(of: "keep_finished_days", in: text),
            mentioning: ["whole number"])
    }
}
