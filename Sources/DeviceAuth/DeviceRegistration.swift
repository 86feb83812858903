import CloudAPI
import Foundation
import SpoolbridgeCore

/// `spoolbridge device register` and `spoolbridge login`: obtain a token pair and store it.
///
/// Registration: `POST /oauth/v1/register` with the stable device id, then `POST /oauth/v1/token`
/// (`grant_type=device_code`) every `pollIntervalSeconds` while the answer is `authorization_pending`
/// (`slow_down` adds 5 s), until an administrator approves or the device code expires.
public struct DeviceRegistration: Sendable {
    public enum Step: Sendable, Hashable {
        /// Shown to the admin: approve `deviceID` in the cloud's admin UI before `expiresAt`.
        case approve(deviceID: String, description: String, expiresAt: Timestamp)
        /// Still pending after `polls` polls; the next one in `nextInSeconds`.
        case waiting(polls: Int, nextInSeconds: Double)
        case approved(accessTokenExpiresAt: Timestamp)
    }

    public let configuration: DeviceAuth.Configuration
    let service: any TokenGrantService
    let now: @Sendable () -> Timestamp
    let pause: @Sendable (Double) async throws -> Void
    public var pollIntervalSeconds: Double = 5

    public init(
        configuration: DeviceAuth.Configuration, service: any TokenGrantService,
        now: @escaping @Sendable () -> Timestamp = { Timestamp(secondsSince1970: Date().timeIntervalSince1970) },
        pause: @escaping @Sendable (Double) async throws -> Void = { try await Task.sleep(for: .seconds($0)) }
    ) {
        self.configuration = configuration
        self.service = service
        self.now = now
        self.pause = pause
    }

    var store: TokenStore { TokenStore(directory: configuration.stateDirectory) }

    /// Registers the device and stores its tokens; returns the stored state. The device id is
    /// generated (or taken from the configuration) once and kept, even if this registration fails.
    public func register(progress: @Sendable (Step) -> Void = { _ in }) async throws(RegistrationError) -> AuthState {
        let deviceID = try ensureDeviceID()
        let grant: DeviceCodeGrant
        do {
            grant = try await service.register(clientID: deviceID, description: configuration.deviceDescription)
        } catch {
            throw RegistrationError(.refused, error.message)
        }
        let expiresAt = now().adding(seconds: grant.expiresInSeconds)
        progress(.approve(deviceID: deviceID, description: configuration.deviceDescription, expiresAt: expiresAt))
        var interval = pollIntervalSeconds
        var polls = 0
        while true {
            let result = await service.token(clientID: deviceID, deviceCode: grant.deviceCode)
            polls += 1
            switch result {
            case .tokens(let tokens):
                let state = try install(tokens, mode: .deviceToken, deviceID: deviceID)
                progress(.approved(accessTokenExpiresAt: state.tokens!.accessTokenExpiresAt))
                return state
            case .refused(let refusal) where refusal.isPending:
                if refusal.error == "slow_down" { interval += 5 }
            case .refused(let refusal):
                throw RegistrationError(
                    refusal.isInvalidGrant ? .expired : .refused,
                    "the token service refused the device code (\(refusal)); run `spoolbridge device register` again")
            case .noAnswer:
                break  // the server may be restarting: the device code stays valid, keep asking
            }
            guard now().adding(seconds: interval) < expiresAt else {
                throw RegistrationError(
                    .expired, "nobody approved device \(deviceID) before the device code expired; "
                        + "run `spoolbridge device register` again and approve it in the cloud's admin UI")
            }
            progress(.waiting(polls: polls, nextInSeconds: interval))
            do { try await pause(interval) } catch { throw RegistrationError(.cancelled, "registration cancelled") }
        }
    }

    /// `POST /api/v1/login` (authtype 0) and stores the user token pair (refreshed with client_id `api`).
    public func login(user: String, password: Secret) async throws(RegistrationError) -> AuthState {
        let deviceID = try ensureDeviceID()
        switch await service.login(user: user, password: password) {
        case .tokens(let tokens):
            return try install(tokens, mode: .userToken, deviceID: deviceID)
        case .refused(let refusal):
            throw RegistrationError(.refused, "the cloud refused the login of user \(user) (\(refusal)); check the user name and the password file")
        case .noAnswer(let reason, _):
            throw RegistrationError(.unreachable, "no answer to the login: \(reason)")
        }
    }

    /// The stored device id, or a new one stored now (a failed registration keeps it stable).
    func ensureDeviceID() throws(RegistrationError) -> String {
        do {
            return try store.update { (state) throws(TokenStoreError) -> String in
                if case .fixed(let id) = configuration.clientIDSource {
                    if state == nil { state = AuthState(deviceID: id, mode: configuration.mode, registrationID: "") }
                    state?.deviceID = id
                    return id
                }
                if let existing = state?.deviceID { return existing }
                let id = "spoolbridge-" + UUID().uuidString.lowercased()
                state = AuthState(deviceID: id, mode: configuration.mode, registrationID: "")
                return id
            }
        } catch {
            throw RegistrationError(.store, error.description)
        }
    }

    private func install(_ tokens: OAuthTokens, mode: DeviceAuth.Mode, deviceID: String) throws(RegistrationError) -> AuthState {
        let received = now()
        do {
            return try store.update { (state) throws(TokenStoreError) -> AuthState in
                var updated = state ?? AuthState(deviceID: deviceID, mode: mode, registrationID: "")
                updated.install(
                    StoredTokens(tokens, receivedAt: received), mode: mode, registrationID: UUID().uuidString.lowercased(),
                    at: received)
                state = updated
                return updated
            }
        } catch {
            throw RegistrationError(
                .store, "the cloud issued tokens but they could not be stored (\(error)); fix that and register again")
        }
    }
}

/// Registration or login failed: what happened and what to do. Never holds a secret.
public struct RegistrationError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Code: String, Sendable, Hashable {
        case refused = "auth-refused"
        case expired = "auth-device-code-expired"
        case unreachable = "auth-unreachable"
        case store = "auth-state-unwritable"
        case cancelled = "auth-cancelled"
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
