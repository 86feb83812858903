/// The options of argv[5] after `cupsParseOptions`, and their mapping to the cloud's print
/// options. Names compare case-insensitively, as `cupsGetOption` does; a later duplicate wins.
public struct CupsJobOptions: Sendable, Hashable {
    private var values: [String: String]

    public init(_ pairs: some Sequence<(name: String, value: String)>) {
        var values: [String: String] = [:]
        for pair in pairs { values[pair.name.lowercased()] = pair.value }
        self.values = values
    }

    public init(_ dictionary: [String: String]) {
        self.init(dictionary.map { (name: $0.key, value: $0.value) })
    }

    public subscript(name: String) -> String? { values[name.lowercased()] }

    /// `job-uuid`, the key that makes a job CUPS runs twice one document.
    public var jobUUID: String? { self["job-uuid"].flatMap { $0.isEmpty ? nil : $0 } }

    /// The cloud options except copies. IPP attributes (`sides`, `print-color-mode`, `media`,
    /// `orientation-requested`) and the PPD options CUPS derives from them (`Duplex`, `ColorModel`,
    /// `PageSize`) are both read; a PPD option only fills what the IPP attribute left open.
    /// Throws for an IPP value CUPS itself would never send: the job's options are corrupt.
    public func printOptions() throws(CupsJobError) -> PrintOptions {
        var options = PrintOptions()
        options.duplex = try duplex()
        options.grayscale = grayscale()
        options.pageSize = pageSize()
        options.orientation = try orientation()
        return options
    }

    private func bad(_ name: String, _ value: String, _ expected: String) -> CupsJobError {
        CupsJobError(code: .badOption, message: "option \(name)=\(value) cannot be mapped (expected \(expected))")
    }

    private func duplex() throws(CupsJobError) -> PrintOptions.Duplex? {
        if let sides = self["sides"] {
            switch sides.lowercased() {
            case "one-sided": return .simplex
            case "two-sided-long-edge": return .longEdge
            case "two-sided-short-edge": return .shortEdge
            default: throw bad("sides", sides, "one-sided, two-sided-long-edge or two-sided-short-edge")
            }
        }
        switch self["duplex"]?.lowercased() {
        case "none"?, "simplex"?, "off"?, "false"?: return .simplex
        case "duplexnotumble"?: return .longEdge
        case "duplextumble"?: return .shortEdge
        default: return nil
        }
    }

    private func grayscale() -> Bool? {
        switch self["print-color-mode"]?.lowercased() {
        case "monochrome"?, "process-monochrome"?, "auto-monochrome"?, "bi-level"?, "process-bi-level"?: return true
        case "color"?, "process-color"?: return false
        default: break
        }
        switch self["colormodel"]?.lowercased() {
        case "gray"?, "grayscale"?, "black"?, "kgray"?, "mono"?, "monochrome"?: return true
        case "rgb"?, "cmyk"?, "cmy"?, "color"?, "rgbk"?, "rgba"?: return false
        default: return nil
        }
    }

    private func pageSize() -> String? {
        for name in ["pagesize", "media", "media-size-name"] {
            guard let value = self[name] else { continue }
            // `media` may list a size and a source, e.g. `A4,Tray1`.
            for item in value.split(separator: ",") {
                if let size = Self.cloudPageSize(String(item)) { return size }
            }
        }
        return nil
    }

    private func orientation() throws(CupsJobError) -> PrintOptions.Orientation? {
        if let requested = self["orientation-requested"] {
            switch requested {
            case "3", "6": return .portrait
            case "4", "5": return .landscape
            default: throw bad("orientation-requested", requested, "3, 4, 5 or 6")
            }
        }
        // `lp -o landscape` arrives as a bare option.
        if let landscape = self["landscape"], ["", "true", "yes", "on"].contains(landscape.lowercased()) {
            return .landscape
        }
        return nil
    }

    /// The cloud's `outputpagesize` for a CUPS size name (PPD `PageSize`, IPP keyword or PWG
    /// self-describing name); a custom size as `<W>x<H>` in points; nil for sizes the cloud has no
    /// name for, which leaves the input port's default.
    static func cloudPageSize(_ raw: String) -> String? {
        let name = raw.lowercased()
        let named: [String: String] = [
            "a3": "A3", "iso_a3_297x420mm": "A3", "iso-a3": "A3",
            "a4": "A4", "iso_a4_210x297mm": "A4", "iso-a4": "A4",
            "a5": "A5", "iso_a5_148x210mm": "A5", "iso-a5": "A5",
            "a6": "A6", "iso_a6_105x148mm": "A6", "iso-a6": "A6",
            "letter": "Letter", "na_letter_8.5x11in": "Letter", "na-letter": "Letter",
            "legal": "Legal", "na_legal_8.5x14in": "Legal", "na-legal": "Legal",
            "ledger": "Ledger", "na_ledger_11x17in": "Ledger",
            "tabloid": "Tabloid", "11x17": "Tabloid",
        ]
        if let size = named[name] { return size }
        if name.hasPrefix("custom.") { return customSize(name.dropFirst("custom.".count)) }
        return nil
    }

    /// `Custom.210x297mm` → `595x842`: the cloud takes custom sizes in points.
    private static func customSize(_ spec: Substring) -> String? {
        let units: [(suffix: String, points: Double)] = [("mm", 72 / 25.4), ("cm", 72 / 2.54), ("in", 72), ("ft", 864), ("m", 72 / 0.0254), ("pt", 1)]
        var body = spec
        var scale = 1.0
        for unit in units where spec.hasSuffix(unit.suffix) {
            body = spec.dropLast(unit.suffix.count)
            scale = unit.points
            break
        }
        let parts = body.split(separator: "x")
        guard parts.count == 2, let width = Double(parts[0]), let height = Double(parts[1]),
              width > 0, height > 0, width * scale < 100_000, height * scale < 100_000
        else { return nil }
        return "\(Int((width * scale).rounded()))x\(Int((height * scale).rounded()))"
    }
}
