/// An error of the emulator's own API (not an HTTP answer to a client; see `Rejection`).
public struct EmulatorError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Stable identifier, e.g. `emulator.timeout`.
    public var code: String
    public var message: String

    public init(code: String, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }

    static func timeout(waitingFor count: Int, have: Int, after: Duration) -> EmulatorError {
        EmulatorError(
            code: "emulator.timeout",
            message: "waited \(after) for \(count) accepted uploads but only \(have) arrived; "
                + "check the client's deliveries and the emulator's rejected count (GET /_emulator/stats)")
    }
}

/// An HTTP error answer: status plus a readable message, sent as `{"code":N,"message":"..."}`.
struct Rejection: Error, Sendable, Hashable {
    var status: Int
    var message: String

    static func badRequest(_ message: String) -> Rejection { Rejection(status: 400, message: message) }
}
