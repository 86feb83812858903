import CloudAPI
import Dispatch
import Foundation
import SpoolbridgeCore
import Synchronization
import Testing

@testable import DeviceAuth

let t0 = Timestamp(secondsSince1970: 1_800_000_000)

func tokens(_ name: String, lifetime: Double = 3600) -> OAuthTokens {
    OAuthTokens(accessToken: Secret("access-\(name)"), refreshToken: Secret("refresh-\(name)"), expiresInSeconds: lifetime)
}

func stored(_ name: String, at time: Timestamp = t0, lifetime: Double = 3600) -> StoredTokens {
    StoredTokens(tokens(name, lifetime: lifetime), receivedAt: time)
}

func state(_ name: String? = "a", at time: Timestamp = t0, lifetime: Double = 3600, mode: DeviceAuth.Mode = .deviceToken) -> AuthState {
    var state = AuthState(deviceID: "device-1", mode: mode, registrationID: "reg-1")
    if let name { state.install(stored(name, at: time, lifetime: lifetime), mode: mode, registrationID: "reg-1", at: time) }
    return state
}

/// A fresh 0700 folder under the system's temporary directory.
func temporaryDirectory() throws -> String {
    var template = Array((NSTemporaryDirectory() + "/deviceauth-XXXXXX").utf8CString)
    guard let made = mkdtemp(&template) else { throw TestFailure("mkdtemp failed: errno \(errno)") }
    return String(cString: made)
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Waits until `condition` holds, checking after every state change reported and at least every
/// 10 ms, for at most `seconds`. Fails the test with `what` when the deadline passes.
func waitUntil(_ what: String, seconds: Double = 10, _ condition: () -> Bool) async throws {
    let deadline = ContinuousClock.now + .seconds(seconds)
    while !condition() {
        guard ContinuousClock.now < deadline else { throw TestFailure("timed out waiting until \(what)") }
        try await Task.sleep(for: .milliseconds(5))
    }
}

/// A clock the test moves by hand: timers fire (on their queue) only when `advance` passes them.
final class ManualClock: RefreshClock {
    final class Timer: RefreshTimer {
        let queue: DispatchQueue
        let handler: @Sendable () -> Void
        let clock: ManualClock
        let deadline = Mutex<Timestamp?>(nil)
        init(queue: DispatchQueue, clock: ManualClock, handler: @escaping @Sendable () -> Void) {
            self.queue = queue
            self.clock = clock
            self.handler = handler
        }
        /// Like a Dispatch timer: an instant already past fires at once.
        func arm(at instant: Timestamp) {
            if instant <= clock.now() {
                deadline.withLock { $0 = nil }
                queue.async(execute: handler)
            } else {
                deadline.withLock { $0 = instant }
            }
        }
        func disarm() { deadline.withLock { $0 = nil } }
        func cancel() { disarm() }
    }

    private let state: Mutex<(now: Timestamp, timers: [Timer])>

    init(now: Timestamp = t0) {
        state = Mutex((now, []))
    }

    func now() -> Timestamp { state.withLock { $0.now } }

    func makeTimer(queue: DispatchQueue, handler: @escaping @Sendable () -> Void) -> any RefreshTimer {
        let timer = Timer(queue: queue, clock: self, handler: handler)
        state.withLock { $0.timers.append(timer) }
        return timer
    }

    /// Moves time forward and fires every timer now due (once each).
    func advance(by seconds: Double) {
        let due = state.withLock { state -> [Timer] in
            state.now = state.now.adding(seconds: seconds)
            let now = state.now
            return state.timers.filter { timer in
                timer.deadline.withLock { deadline in
                    guard let at = deadline, at <= now else { return false }
                    deadline = nil
                    return true
                }
            }
        }
        for timer in due { timer.queue.async(execute: timer.handler) }
    }

    /// The earliest armed timer's instant.
    var nextDeadline: Timestamp? {
        state.withLock { $0.timers.compactMap { $0.deadline.withLock { $0 } }.min() }
    }
}

/// A token service the test answers by hand: each refresh waits until the test answers it.
final class ScriptedTokenService: TokenGrantService {
    struct Sent: Sendable, Hashable {
        var clientID: String
        var refreshToken: String
    }

    private let state = Mutex<(sent: [Sent], pending: [CheckedContinuation<TokenGrantResult, Never>], registered: Int)>(([], [], 0))
    /// Pending device-code polls before approval, and the answers to give.
    let pendingPolls = Mutex(0)
    let loginAnswer = Mutex<TokenGrantResult?>(nil)

    func refresh(clientID: String, refreshToken: Secret) async -> TokenGrantResult {
        await withCheckedContinuation { continuation in
            state.withLock {
                $0.sent.append(Sent(clientID: clientID, refreshToken: refreshToken.exposedValue))
                $0.pending.append(continuation)
            }
        }
    }

    var sent: [Sent] { state.withLock { $0.sent } }
    var pendingCount: Int { state.withLock { $0.pending.count } }

    /// Answers the oldest refresh waiting for an answer.
    func answer(_ result: TokenGrantResult) throws {
        let continuation = state.withLock { $0.pending.isEmpty ? nil : $0.pending.removeFirst() }
        guard let continuation else { throw TestFailure("no refresh is waiting for an answer") }
        continuation.resume(returning: result)
    }

    func register(clientID: String, description: String) async throws(OAuthError) -> DeviceCodeGrant {
        state.withLock { $0.registered += 1 }
        return DeviceCodeGrant(deviceCode: Secret("device-code-\(clientID)"), state: "s", expiresInSeconds: 600)
    }

    var registrations: Int { state.withLock { $0.registered } }

    func token(clientID: String, deviceCode: Secret) async -> TokenGrantResult {
        let pending = pendingPolls.withLock { count -> Bool in
            defer { count = max(0, count - 1) }
            return count > 0
        }
        if pending { return .refused(OAuthRefusal(error: "authorization_pending", httpStatus: 400)) }
        return .tokens(tokens("registered"))
    }

    func login(user: String, password: Secret) async -> TokenGrantResult {
        loginAnswer.withLock { $0 } ?? .tokens(tokens("user-\(user)"))
    }
}

extension Array where Element == RefreshStateMachine.Action {
    var armed: [Timestamp] {
        compactMap { if case .armTimer(let at) = $0 { at } else { nil } }
    }
    var sendsRefresh: Bool {
        contains { if case .sendRefresh = $0 { true } else { false } }
    }
    var announcements: [RefreshStateMachine.Announcement] {
        compactMap { if case .announce(let announcement) = $0 { announcement } else { nil } }
    }
}

/// A shared, lockable value for closures the test hands out.
final class Recorder<Value: Sendable>: Sendable {
    private let storage: Mutex<Value>
    init(_ value: Value) { storage = Mutex(value) }
    var value: Value { storage.withLock { $0 } }
    func change(_ body: (inout Value) -> Void) { storage.withLock { body(&$0) } }
}
