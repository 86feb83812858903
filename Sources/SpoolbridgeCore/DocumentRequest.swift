/// What the cloud needs to create a document: the `PUT /documents` fields other than the data.
public struct DocumentRequest: Sendable, Hashable, Codable {
    public var username: String
    public var portname: String
    /// The document title: the original file name, extension included (the cloud needs it for non-PDFs).
    public var title: String
    public var options: PrintOptions

    public init(username: String, portname: String, title: String, options: PrintOptions = PrintOptions()) {
        self.username = username
        self.portname = portname
        self.title = title
        self.options = options
    }
}
