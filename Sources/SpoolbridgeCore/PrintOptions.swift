/// How a document should be printed: the optional fields of `PUT /documents`.
/// `nil` means "not sent": the cloud then applies the input port's defaults.
public struct PrintOptions: Sendable, Hashable, Codable {
    public var copies: Int?
    public var duplex: Duplex?
    public var grayscale: Bool?
    /// `outputpagesize`: "A4", "Letter", … or "<W>x<H>" in points.
    public var pageSize: String?
    public var orientation: Orientation?
    /// `providerid`: the authentication provider of the user; nil lets the server guess.
    public var providerID: Int?

    public init(
        copies: Int? = nil, duplex: Duplex? = nil, grayscale: Bool? = nil,
        pageSize: String? = nil, orientation: Orientation? = nil, providerID: Int? = nil
    ) {
        self.copies = copies
        self.duplex = duplex
        self.grayscale = grayscale
        self.pageSize = pageSize
        self.orientation = orientation
        self.providerID = providerID
    }

    /// The cloud's duplex flag: 0 = simplex, 1 = long edge, 2 = short edge.
    public enum Duplex: Int, Sendable, Hashable, Codable, CaseIterable {
        case simplex = 0
        case longEdge = 1
        case shortEdge = 2

        /// The names admins write in the config file.
        public init?(configName: String) {
            switch configName {
            case "simplex": self = .simplex
            case "long-edge": self = .longEdge
            case "short-edge": self = .shortEdge
            default: return nil
            }
        }
    }

    /// The cloud's page orientation: 0 = portrait, 1 = landscape.
    public enum Orientation: Int, Sendable, Hashable, Codable {
        case portrait = 0
        case landscape = 1
    }
}
