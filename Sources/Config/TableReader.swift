import SpoolbridgeCore
import TOMLKit

/// Turns the parsed TOML into a `DaemonConfiguration`, one section at a time.
struct TableReader {
    let file: String
    let lines: TOMLLineIndex

    func configuration(from root: TOMLTable) throws(ConfigError) -> DaemonConfiguration {
        try Section(table: root, path: "", reader: self)
            .refuseUnknown(["cloud", "spool", "delivery", "cups", "log", "http", "auth", "hotfolder", "records", "card_reader"])
        let cloud = try section(root, "cloud", required: true)
        let spool = try section(root, "spool")
        let delivery = try section(root, "delivery")
        let cups = try section(root, "cups")
        let log = try section(root, "log")
        let http = try section(root, "http")
        let auth = try section(root, "auth")
        let cloudValues = try cloudSettings(cloud)
        let spoolValues = try spoolSettings(spool)

        let configuration = DaemonConfiguration(
            cloud: cloudValues,
            spool: spoolValues,
            auth: try authSettings(auth, cloud: cloudValues, spool: spoolValues),
            delivery: try deliverySettings(delivery),
            cups: try cupsSettings(cups, isExplicit: root["cups"] != nil),
            hotFolders: try hotFolders(root) + recordsFolders(root),
            logLevel: try log.string("level", default: "info", oneOf: ["trace", "debug", "info", "notice", "warning", "error", "critical"]))
        var result = configuration
        result.http = try httpSettings(http)
        result.cardReader = try cardReaderSettings(try section(root, "card_reader"))
        try checkDistinctFolders(configuration.hotFolders)
        try checkOutputFolders(configuration.hotFolders)
        return result
    }

    // MARK: Sections

    private func cloudSettings(_ t: Section) throws(ConfigError) -> DaemonConfiguration.Cloud {
        try t.refuseUnknown(["url", "api_key_file", "ca_file", "allow_insecure_http"])
        let url = try t.requiredString("url")
        let allowInsecure = try t.bool("allow_insecure_http", default: false)
        guard let parsed = CloudURL(url) else {
            // Never echo a URL with user information: it may hold a password.
            let shown = url.contains("@") ? "a URL with user:password@ in it (not allowed)" : "\"\(url)\""
            throw t.error(.invalidValue, "url", "expected http(s)://HOST[:PORT], e.g. \"https://print.example.com:7300\"; got \(shown)")
        }
        if parsed.scheme == "http" && !parsed.isLoopback && !allowInsecure {
            throw t.error(.insecure, "url",
                "plain http:// to \(parsed.host) would send the API key and documents unencrypted; use https://, or set cloud.allow_insecure_http = true if you really mean it")
        }
        return .init(
            url: url, apiKeyFile: try t.optionalPath("api_key_file"), caFile: try t.optionalPath("ca_file"),
            allowInsecureHTTP: allowInsecure)
    }

    private func spoolSettings(_ t: Section) throws(ConfigError) -> DaemonConfiguration.Spool {
        try t.refuseUnknown(["directory", "max_document_mb", "min_free_mb", "keep_finished_days"])
        let maxMB = try t.int("max_document_mb", default: 200, in: 1...200, why: "the cloud accepts at most 200 MB")
        let minFreeMB = try t.int("min_free_mb", default: 256, in: 0...1_000_000, why: nil)
        let keepDays = try t.int("keep_finished_days", default: 7, in: 0...36_500, why: "days; 0 keeps finished jobs for ever")
        let directory = try t.optionalPath("directory")
        return .init(
            directory: directory ?? SpoolDirectoryDefault.current,
            maxDocumentBytes: Int64(maxMB) << 20, minFreeBytes: Int64(minFreeMB) << 20,
            keepFinishedDays: keepDays == 0 ? nil : keepDays, directoryIsDefault: directory == nil)
    }

    private func deliverySettings(_ t: Section) throws(ConfigError) -> DaemonConfiguration.Delivery {
        try t.refuseUnknown(["concurrency", "max_age_hours", "retry_base_seconds", "retry_max_seconds", "stall_seconds"])
        let maxAge = try t.number("max_age_hours", default: 72, in: 0...100_000)
        let base = try t.number("retry_base_seconds", default: 2, in: 0.01...3600)
        let cap = try t.number("retry_max_seconds", default: 300, in: base...86_400)
        // No "never": a cloud that stops answering must give its upload slot back.
        let stall = try t.positiveNumber("stall_seconds", default: 60, atMost: 86_400)
        return .init(
            concurrency: try t.int("concurrency", default: 4, in: 1...64, why: nil),
            maxAgeHours: maxAge == 0 ? nil : maxAge, retryBaseSeconds: base, retryMaxSeconds: cap, stallSeconds: stall)
    }

    /// `[card_reader]`: listen = "HOST:PORT" and/or device = "/dev/ttyUSB0", reader = "ADDRESS",
    /// debounce_ms, allow_remote.
    private func cardReaderSettings(_ t: Section) throws(ConfigError) -> CardReaderSettings? {
        try t.refuseUnknown(["listen", "device", "reader", "debounce_ms", "allow_remote"])
        let device = try t.optionalPath("device")
        var listen: CardReaderSettings.Listen?
        if let text = try t.optionalString("listen") {
            let address: HTTPListenAddress
            switch HTTPListenAddress.parse(text) {
            case .success(let parsed): address = parsed
            case .failure(let failure): throw t.error(.invalidValue, "listen", "\(failure.reason); e.g. listen = \"127.0.0.1:7310\"")
            }
            let allowRemote = try t.bool("allow_remote", default: false)
            if !address.isLoopback && !allowRemote {
                throw t.error(.insecure, "listen",
                    "\(address) is reachable from other machines, and anyone who can connect releases jobs; listen on 127.0.0.1, or set card_reader.allow_remote = true if you really mean it")
            }
            listen = .init(host: address.bindHost, port: address.port)
        }
        guard listen != nil || device != nil else {
            if try t.optionalString("reader") != nil {
                throw t.error(.missingKey, "listen", "a card reader needs listen = \"127.0.0.1:7310\" or device = \"/dev/ttyUSB0\"")
            }
            return nil
        }
        let reader = try t.requiredString("reader")
        guard DocumentRelease.isPlausiblePrinter(reader) else {
            throw t.error(.invalidValue, "reader", "expected the printer's or reader's address (printable, no spaces or slashes)")
        }
        let debounce = try t.optionalInt("debounce_ms", in: 0...600_000) ?? 2000
        return CardReaderSettings(listen: listen, device: device, reader: reader, debounce: .milliseconds(debounce))
    }

    private func httpSettings(_ t: Section) throws(ConfigError) -> DaemonConfiguration.HTTP {
        try t.refuseUnknown(["listen", "allow_remote", "unhealthy_after_seconds"])
        let allowRemote = try t.bool("allow_remote", default: false)
        let unhealthyAfter = try t.positiveNumber("unhealthy_after_seconds", default: 300, atMost: 86_400 * 7)
        guard let text = try t.optionalString("listen") else {
            return .init(listen: nil, allowRemote: allowRemote, unhealthyAfterSeconds: unhealthyAfter)
        }
        let address: HTTPListenAddress
        switch HTTPListenAddress.parse(text) {
        case .success(let parsed): address = parsed
        case .failure(let failure):
            throw t.error(.invalidValue, "listen", "\(failure.reason); e.g. listen = \"127.0.0.1:9631\"")
        }
        if !address.isLoopback && !allowRemote {
            throw t.error(.insecure, "listen",
                "\(address) is reachable from other machines, and /healthz and /metrics ask for no password; listen on 127.0.0.1, or set http.allow_remote = true if you really mean it")
        }
        return .init(listen: address, allowRemote: allowRemote, unhealthyAfterSeconds: unhealthyAfter)
    }

    private func cupsSettings(_ t: Section, isExplicit: Bool) throws(ConfigError) -> DaemonConfiguration.Cups {
        try t.refuseUnknown(["socket", "enabled", "strip_domain", "strip_realm", "lowercase"])
        return .init(
            socketPath: try t.path("socket", default: "/run/spoolbridge/backend.sock"),
            enabled: try t.bool("enabled", default: true),
            isExplicit: isExplicit,
            stripDomain: try t.bool("strip_domain", default: true),
            stripRealm: try t.bool("strip_realm", default: true),
            lowercase: try t.bool("lowercase", default: true))
    }

    private func hotFolders(_ root: TOMLTable) throws(ConfigError) -> [HotFolderSettings] {
        guard let value = root["hotfolder"] else { return [] }
        guard let array = value.array else {
            throw ConfigError(.invalidValue, file: file, key: "hotfolder", line: lines.line(of: "hotfolder"),
                              "write each hot folder as a [[hotfolder]] table")
        }
        var folders: [HotFolderSettings] = []
        for index in 0..<array.count {
            guard let table = array[index].table else {
                throw ConfigError(.invalidValue, file: file, key: "hotfolder[\(index)]", "expected a [[hotfolder]] table")
            }
            folders.append(try hotFolder(Section(table: table, path: "hotfolder[\(index)]", reader: self)))
        }
        return folders
    }

    /// `[[records]]`: drop folders of JSON Lines records files. They are watched and settled like hot
    /// folders (same rules), so they are hot folders whose intake is records.
    private func recordsFolders(_ root: TOMLTable) throws(ConfigError) -> [HotFolderSettings] {
        guard let value = root["records"] else { return [] }
        guard let array = value.array else {
            throw ConfigError(.invalidValue, file: file, key: "records", line: lines.line(of: "records"),
                              "write each records folder as a [[records]] table")
        }
        var folders: [HotFolderSettings] = []
        for index in 0..<array.count {
            guard let table = array[index].table else {
                throw ConfigError(.invalidValue, file: file, key: "records[\(index)]", "expected a [[records]] table")
            }
            let t = Section(table: table, path: "records[\(index)]", reader: self)
            try t.refuseUnknown(["path", "failed", "settle_ms"])
            let path = try t.path("path", default: nil)
            var folder = HotFolderSettings(
                path: path, port: "records", owner: .fixed("records"), failedDirectory: try t.path("failed", default: path + "-failed"),
                settleTime: try settleTime(t, folder: path))
            folder.intake = .records
            folders.append(folder)
        }
        return folders
    }

    private func hotFolder(_ t: Section) throws(ConfigError) -> HotFolderSettings {
        try t.refuseUnknown(["path", "port", "user", "owner", "copies", "duplex", "grayscale", "page_size",
                             "orientation", "provider_id", "archive", "failed", "settle_ms", "release_to"])
        let path = try t.path("path", default: nil)
        let owner: HotFolderSettings.Owner
        switch (try t.optionalString("user"), try t.optionalString("owner")) {
        case (let user?, nil):
            guard !user.isEmpty else { throw t.error(.invalidValue, "user", "must not be empty") }
            owner = .fixed(user)
        case (nil, "subfolder"?): owner = .subfolder
        case (nil, "file-owner"?): owner = .fileOwner
        case (nil, let other?):
            throw t.error(.invalidValue, "owner", "expected \"subfolder\" or \"file-owner\", got \"\(other)\"")
        case (nil, nil):
            throw t.error(.missingKey, "user", "say who owns the documents: user = \"NAME\", or owner = \"subfolder\" or \"file-owner\"")
        case (_?, _?):
            throw t.error(.invalidValue, "owner", "set either user or owner, not both")
        }
        var options = PrintOptions()
        options.copies = try t.optionalInt("copies", in: 1...999)
        if let duplex = try t.optionalString("duplex") {
            guard let value = PrintOptions.Duplex(configName: duplex) else {
                throw t.error(.invalidValue, "duplex", "expected \"simplex\", \"long-edge\" or \"short-edge\", got \"\(duplex)\"")
            }
            options.duplex = value
        }
        options.grayscale = try t.optionalBool("grayscale")
        options.pageSize = try t.optionalString("page_size")
        if let orientation = try t.optionalString("orientation") {
            switch orientation {
            case "portrait": options.orientation = .portrait
            case "landscape": options.orientation = .landscape
            default: throw t.error(.invalidValue, "orientation", "expected \"portrait\" or \"landscape\", got \"\(orientation)\"")
            }
        }
        options.providerID = try t.optionalInt("provider_id", in: 0...Int(Int32.max))
        let port = try t.requiredString("port")
        let failed = try t.path("failed", default: path + "-failed")
        let archive = try t.optionalPath("archive")
        let releaseTo = try t.optionalString("release_to")
        if let releaseTo, !DocumentRelease.isPlausiblePrinter(releaseTo) {
            throw t.error(.invalidValue, "release_to",
                          "expected the output port's serial number or address (printable, no spaces or slashes), got \"\(releaseTo.prefix(80))\"")
        }
        return HotFolderSettings(path: path, port: port, owner: owner, options: options,
                                 archiveDirectory: archive, failedDirectory: failed,
                                 settleTime: try settleTime(t, folder: path), releaseTo: releaseTo)
    }

    /// `settle_ms`: whole milliseconds, 0 up to 10 minutes (a longer wait is a misconfiguration, and the cap keeps
    /// the value far from overflowing a nanosecond count). The error names the folder: the key alone only says
    /// `hotfolder[3]`.
    private func settleTime(_ t: Section, folder path: String) throws(ConfigError) -> Duration {
        let key = "settle_ms"
        let limit = 600_000
        guard let value = t.table[key] else { return HotFolderSettings.defaultSettleTime }
        guard let milliseconds = value.int else {
            throw t.error(.invalidValue, key,
                "expected a whole number of milliseconds (unquoted), e.g. settle_ms = 2000, for hot folder \(path)")
        }
        guard (0...limit).contains(milliseconds) else {
            throw t.error(.invalidValue, key,
                "expected 0…\(limit) milliseconds (at most 10 minutes) for hot folder \(path), got \(milliseconds)")
        }
        return .milliseconds(milliseconds)
    }

    private func checkDistinctFolders(_ folders: [HotFolderSettings]) throws(ConfigError) {
        var seen = Set<String>()
        for (index, folder) in folders.enumerated() where !seen.insert(folder.path).inserted {
            throw ConfigError(.invalidValue, file: file, key: "hotfolder[\(index)].path",
                              line: lines.line(of: "hotfolder[\(index)].path"), "\(folder.path) is configured twice")
        }
    }

    /// A failed or archive folder that is (inside) a watched folder would feed its files back in,
    /// possibly to another port and user.
    private func checkOutputFolders(_ folders: [HotFolderSettings]) throws(ConfigError) {
        for (index, folder) in folders.enumerated() {
            for (key, output) in [("failed", folder.failedDirectory), ("archive", folder.archiveDirectory)] {
                guard let output else { continue }
                for watched in folders {
                    let inside = watched.owner == .subfolder && output.hasPrefix(watched.path + "/")
                    guard output == watched.path || inside else { continue }
                    let dotted = "hotfolder[\(index)].\(key)"
                    throw ConfigError(.invalidValue, file: file, key: dotted, line: lines.line(of: dotted),
                        "\(output) is watched as the hot folder \(watched.path): its files would be taken again; choose a folder outside every hot folder")
                }
            }
        }
    }

    // MARK: Helpers

    private func section(_ root: TOMLTable, _ name: String, required: Bool = false) throws(ConfigError) -> Section {
        guard let value = root[name] else {
            if required {
                throw ConfigError(.missingKey, file: file, key: name, "the [\(name)] section is required")
            }
            return Section(table: TOMLTable(), path: name, reader: self)
        }
        guard let table = value.table else {
            throw ConfigError(.invalidValue, file: file, key: name, line: lines.line(of: name), "expected a [\(name)] table")
        }
        return Section(table: table, path: name, reader: self)
    }
}
