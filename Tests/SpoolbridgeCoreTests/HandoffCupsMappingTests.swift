import Testing
@testable import SpoolbridgeCore

@Suite("CUPS job → handoff header")
struct HandoffCupsMappingTests {
    func invocation(
        options: [String: String] = ["job-uuid": "urn:uuid:1"], copies: String = "1", hasFile: Bool = true,
        manualCopies: Bool = false, uri: String = "spoolbridge:/Finance", title: String = "report",
        contentType: String? = "application/pdf", finalContentType: String? = nil
    ) -> CupsJobInvocation {
        CupsJobInvocation(
            jobID: "12", user: "alice", title: title, copies: copies, options: CupsJobOptions(options),
            hasFileArgument: hasFile, ppdManualCopies: manualCopies, deviceURI: uri, printer: "FinanceQ",
            contentType: contentType, finalContentType: finalContentType)
    }

    @Test func ippAttributesMapToCloudOptions() throws {
        let options = try CupsJobOptions([
            "sides": "two-sided-long-edge", "print-color-mode": "monochrome", "media": "A4", "orientation-requested": "4",
        ]).printOptions()
        #expect(options == PrintOptions(duplex: .longEdge, grayscale: true, pageSize: "A4", orientation: .landscape))
    }

    @Test func ppdOptionsMapWhenIPPAttributesAreAbsent() throws {
        let options = try CupsJobOptions(["Duplex": "DuplexTumble", "ColorModel": "Gray", "PageSize": "Letter"]).printOptions()
        #expect(options == PrintOptions(duplex: .shortEdge, grayscale: true, pageSize: "Letter"))
        #expect(try CupsJobOptions(["Duplex": "None", "ColorModel": "RGB"]).printOptions() == PrintOptions(duplex: .simplex, grayscale: false))
    }

    @Test(arguments: [
        ("one-sided", PrintOptions.Duplex.simplex), ("two-sided-long-edge", .longEdge), ("two-sided-short-edge", .shortEdge),
    ])
    func sides(value: String, duplex: PrintOptions.Duplex) throws {
        #expect(try CupsJobOptions(["sides": value]).printOptions().duplex == duplex)
    }

    @Test(arguments: [
        ("A3", "A3"), ("a4", "A4"), ("iso_a5_148x210mm", "A5"), ("A6", "A6"), ("na_letter_8.5x11in", "Letter"),
        ("Legal", "Legal"), ("Ledger", "Ledger"), ("Tabloid", "Tabloid"), ("A4,Tray1", "A4"), ("Tray1,Letter", "Letter"),
        ("Custom.210x297mm", "595x842"), ("Custom.8.5x11in", "612x792"),
    ])
    func mediaNames(media: String, cloud: String) throws {
        #expect(try CupsJobOptions(["media": media]).printOptions().pageSize == cloud)
    }

    @Test func unknownMediaLeavesThePortDefault() throws {
        #expect(try CupsJobOptions(["media": "om_photo_100x150mm"]).printOptions().pageSize == nil)
    }

    @Test(arguments: [("3", PrintOptions.Orientation.portrait), ("4", .landscape), ("5", .landscape), ("6", .portrait)])
    func orientation(value: String, orientation: PrintOptions.Orientation) throws {
        #expect(try CupsJobOptions(["orientation-requested": value]).printOptions().orientation == orientation)
    }

    @Test func bareLandscapeOption() throws {
        #expect(try CupsJobOptions(["landscape": ""]).printOptions().orientation == .landscape)
    }

    @Test(arguments: [["sides": "both"], ["orientation-requested": "sideways"], ["orientation-requested": "7"]])
    func corruptIPPValuesCancelTheJob(options: [String: String]) {
        do {
            _ = try CupsJobOptions(options).printOptions()
            Issue.record("accepted \(options)")
        } catch {
            #expect(error.code == .badOption)
            #expect(error.disposition == .cancel)
            #expect(error.message.contains(options.keys.first!))
        }
    }

    @Test func optionNamesAreCaseInsensitive() {
        let options = CupsJobOptions([(name: "Job-UUID", value: "urn:uuid:9"), (name: "SIDES", value: "one-sided")])
        #expect(options.jobUUID == "urn:uuid:9")
        #expect(options["sides"] == "one-sided")
    }

    // MARK: Copies

    @Test func spoolFileMeansTheBackendOwnsTheCopies() throws {
        #expect(try invocation(copies: "3", hasFile: true, manualCopies: true).copiesOwed() == 3)
    }

    @Test func afterFiltersCopiesAreOwedUnlessThePPDMadeThem() throws {
        #expect(try invocation(copies: "3", hasFile: false, manualCopies: false).copiesOwed() == 3)
        #expect(try invocation(copies: "3", hasFile: false, manualCopies: true).copiesOwed() == 1)
    }

    @Test(arguments: ["0", "-1", "two", ""])
    func badCopiesCancel(copies: String) {
        #expect(throws: CupsJobError.self) { try invocation(copies: copies).copiesOwed() }
    }

    @Test func ppdManualCopiesKeyword() {
        #expect(PPDManualCopies.declared(in: Array("*PPD-Adobe: \"4.3\"\n*cupsManualCopies: True\n".utf8)))
        #expect(PPDManualCopies.declared(in: Array("*cupsManualCopies: \"True\"\r\n".utf8)))
        #expect(!PPDManualCopies.declared(in: Array("*cupsManualCopies: False\n".utf8)))
        #expect(!PPDManualCopies.declared(in: Array("*PPD-Adobe: \"4.3\"\n*%cupsManualCopies: True\n".utf8)))
    }

    // MARK: Title

    @Test(arguments: [
        ("application/pdf", "report.pdf"), ("application/postscript", "report.ps"), ("application/vnd.hp-PCL", "report.pcl"),
        ("text/plain", "report.txt"), ("text/plain;charset=utf-8", "report.txt"), ("image/png", "report"),
    ])
    func titleGetsTheFormatsExtension(format: String, title: String) throws {
        #expect(try invocation(contentType: format).header().title == title)
    }

    @Test func titleWithTheExtensionAlreadyIsKept() throws {
        #expect(try invocation(title: "Report.PDF").header().title == "Report.PDF")
    }

    @Test func filterOutputTypeWinsOverTheSubmittedType() throws {
        let header = try invocation(contentType: "application/pdf", finalContentType: "application/vnd.cups-postscript").header()
        #expect(header.title == "report.ps")
        #expect(header.contentType == "application/vnd.cups-postscript")
        #expect(try invocation(contentType: "text/plain", finalContentType: "printer/FinanceQ").header().title == "report.txt")
    }

    @Test func emptyTitleGetsAName() throws {
        #expect(try invocation(title: "").header().title == "cups-job-12.pdf")
    }

    // MARK: Header

    @Test func headerCarriesEverything() throws {
        let header = try invocation(
            options: ["job-uuid": "urn:uuid:abc", "sides": "two-sided-long-edge", "print-color-mode": "monochrome",
                      "media": "A4", "orientation-requested": "4"],
            copies: "2", uri: "spoolbridge:/Finance?wait=20"
        ).header(declaredSize: 100)
        #expect(header == HandoffHeader(
            jobUUID: "urn:uuid:abc", cupsJobID: 12, printer: "FinanceQ", user: "alice", title: "report.pdf", port: "Finance",
            options: PrintOptions(copies: 2, duplex: .longEdge, grayscale: true, pageSize: "A4", orientation: .landscape),
            contentType: "application/pdf", declaredSize: 100, waitSeconds: 20))
    }

    @Test func missingJobUUIDFallsBackToQueueAndJob() throws {
        #expect(try invocation(options: [:]).header().jobUUID == "urn:spoolbridge:cups:FinanceQ:12")
    }

    @Test func badJobIDCancels() {
        var bad = invocation()
        bad.jobID = "x"
        #expect(throws: CupsJobError.self) { try bad.header() }
    }

    // MARK: Device URI

    @Test(arguments: [
        ("spoolbridge:/Finance", "Finance", 0), ("spoolbridge:///Finance/", "Finance", 0), ("spoolbridge://host/Finance", "Finance", 0),
        ("spoolbridge:/Sales%20EU?wait=30", "Sales EU", 30), ("spoolbridge:/P?wait=100000", "P", HandoffHeader.maxWaitSeconds),
        ("spoolbridge:Finance", "Finance", 0),
    ])
    func deviceURIs(uri: String, port: String, wait: Int) throws {
        let parsed = try SpoolbridgeDeviceURI(parsing: uri)
        #expect(parsed.port == port)
        #expect(parsed.waitSeconds == wait)
    }

    @Test func unknownURIParametersAreReported() throws {
        #expect(try SpoolbridgeDeviceURI(parsing: "spoolbridge:/P?wait=1&colour=red").ignoredParameters == ["colour"])
    }

    @Test(arguments: ["spoolbridge:", "spoolbridge:/", "spoolbridge://host", "noscheme", "spoolbridge:/P?wait=soon", "spoolbridge:/%zz"])
    func badDeviceURIsHoldTheJob(uri: String) {
        do {
            _ = try SpoolbridgeDeviceURI(parsing: uri)
            Issue.record("accepted \(uri)")
        } catch {
            #expect(error.code == .badDeviceURI)
            #expect(error.disposition == .retry, "a queue misconfiguration must not lose jobs")
        }
    }

    // MARK: User names

    @Test(arguments: [
        ("CORP\\Alice", "alice"), ("alice@CORP.EXAMPLE", "alice"), ("CORP\\Alice@corp.example", "alice"), ("bob", "bob"),
        ("@realm", "@realm"), ("CORP\\", "CORP\\"),
    ])
    func fullUserMapping(owner: String, mapped: String) {
        #expect(UserNameMapping(stripDomain: true, stripRealm: true, lowercase: true).map(owner) == mapped)
    }

    @Test func userMappingRulesAreSeparate() {
        #expect(UserNameMapping.identity.map("CORP\\Alice@X") == "CORP\\Alice@X")
        #expect(UserNameMapping(stripDomain: true).map("CORP\\Alice@X") == "Alice@X")
        #expect(UserNameMapping(stripRealm: true).map("CORP\\Alice@X") == "CORP\\Alice")
        #expect(UserNameMapping(lowercase: true).map("CORP\\Alice@X") == "corp\\alice@x")
    }
}
