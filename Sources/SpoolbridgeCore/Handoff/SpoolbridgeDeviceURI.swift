/// The queue's device URI, `spoolbridge:/PORT[?wait=SECONDS][&release_to=SERIAL-or-ADDRESS]`: the
/// path names the cloud input port; `wait` and `release_to` (a push queue) are the query parameters. The URI is visible in `ps` and `lpstat -v`, so it
/// carries no secret; the backend reads none.
public struct SpoolbridgeDeviceURI: Sendable, Hashable {
    public var port: String
    /// 0 = answer as soon as the job is queued; otherwise wait up to this long for the upload.
    public var waitSeconds: Int
    /// A push queue: release each document to this output port once uploaded.
    public var releaseTo: String?
    /// Query parameters this version ignores, so the backend can warn about them.
    public var ignoredParameters: [String]

    public init(parsing uri: String) throws(CupsJobError) {
        guard let colon = uri.firstIndex(of: ":") else {
            throw Self.invalid(uri, "it has no scheme")
        }
        var rest = Substring(uri[uri.index(after: colon)...])
        if let hash = rest.firstIndex(of: "#") { rest = rest[..<hash] }
        var query: Substring = ""
        if let question = rest.firstIndex(of: "?") {
            query = rest[rest.index(after: question)...]
            rest = rest[..<question]
        }
        if rest.hasPrefix("//") {
            // An authority part (`spoolbridge://host/Port`) names nothing we use.
            rest = rest.dropFirst(2)
            rest = rest.firstIndex(of: "/").map { rest[$0...] } ?? ""
        }
        let path = rest.drop { $0 == "/" }
        var trimmed = path
        while trimmed.last == "/" { trimmed = trimmed.dropLast() }
        guard let port = Self.percentDecoded(trimmed), !port.isEmpty else {
            throw Self.invalid(uri, "it names no input port (expected spoolbridge:/PORT)")
        }
        self.port = port
        self.waitSeconds = 0
        self.ignoredParameters = []
        for parameter in query.split(separator: "&") where !parameter.isEmpty {
            let name = parameter.prefix { $0 != "=" }
            let value = parameter.dropFirst(name.count + 1)
            if name == "wait" {
                guard let seconds = Int(value), seconds >= 0 else {
                    throw Self.invalid(uri, "wait=\(value) is not a number of seconds")
                }
                waitSeconds = min(seconds, HandoffHeader.maxWaitSeconds)
            } else if name == "release_to" {
                guard let target = Self.percentDecoded(value), DocumentRelease.isPlausiblePrinter(target) else {
                    throw Self.invalid(uri, "release_to=\(value) is not an output port's serial number or address")
                }
                releaseTo = target
            } else {
                ignoredParameters.append(String(name))
            }
        }
    }

    private static func invalid(_ uri: String, _ why: String) -> CupsJobError {
        CupsJobError(code: .badDeviceURI, message: "device URI \"\(uri)\" is invalid: \(why); fix it with lpadmin -p QUEUE -v spoolbridge:/PORT")
    }

    private static func percentDecoded(_ text: Substring) -> String? {
        var bytes: [UInt8] = []
        var utf8 = text.utf8[...]
        while let byte = utf8.popFirst() {
            guard byte == UInt8(ascii: "%") else { bytes.append(byte); continue }
            let hex = utf8.prefix(2)
            guard hex.count == 2, let value = UInt8(String(decoding: hex, as: UTF8.self), radix: 16) else { return nil }
            bytes.append(value)
            utf8 = utf8.dropFirst(2)
        }
        return String(validating: bytes, as: UTF8.self)
    }
}
