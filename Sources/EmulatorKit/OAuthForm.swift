/// The fields of a form posted to `/oauth/v1` or `/login`, parsed by the emulator's one strict form
/// reader (Requests/FormBody.swift): each name once, so a client that repeats one is refused.
struct OAuthForm: Sendable, Hashable {
    let fields: [String: String]

    /// `what` names the request in error messages (e.g. "POST /oauth/v1/token").
    init(parsing bytes: [UInt8], what: String) throws(Rejection) {
        fields = try FormBody(parsing: bytes, what: what).fields(what: what)
    }

    subscript(name: String) -> String? { fields[name] }

    /// Names present but not in `allowed`, sorted: a strict server refuses fields it does not know.
    func unknownFields(allowed: Set<String>) -> [String] {
        fields.keys.filter { !allowed.contains($0) }.sorted()
    }
}
