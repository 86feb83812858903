import CloudAPI
import SpoolbridgeCore
import Synchronization
import Testing

@testable import DeviceAuth

struct DeviceRegistrationTests {
    /// A registration whose pauses move a manual clock instead of waiting.
    private func registration(_ service: ScriptedTokenService, directory: String, clock: ManualClock, pauses: Recorder<[Double]>)
        -> DeviceRegistration
    {
        DeviceRegistration(
            configuration: .init(mode: .deviceToken, stateDirectory: directory, oauthURL: "https://cloud.example/oauth/v1"),
            service: service, now: { clock.now() },
            pause: { seconds in
                pauses.change { $0.append(seconds) }
                clock.advance(by: seconds)
            })
    }

    @Test func pendingThenApprovedStoresTheTokensUnderAStableDeviceID() async throws {
        let directory = try temporaryDirectory() + "/auth"
        let service = ScriptedTokenService()
        service.pendingPolls.withLock { $0 = 3 }
        let clock = ManualClock()
        let pauses = Recorder<[Double]>([])
        let steps = Recorder<[DeviceRegistration.Step]>([])
        let state = try await registration(service, directory: directory, clock: clock, pauses: pauses)
            .register { step in steps.change { $0.append(step) } }

        #expect(pauses.value == [5, 5, 5])
        #expect(state.mode == .deviceToken && state.tokens?.accessToken == Secret("access-registered"))
        #expect(state.deviceID.hasPrefix("spoolbridge-"))
        let recorded = steps.value
        #expect(recorded.first == .approve(deviceID: state.deviceID, description: "spoolbridge", expiresAt: t0.adding(seconds: 600)))
        #expect(recorded.count == 5)  // approve, 3 × waiting, approved
        let disk = try #require(try TokenStore(directory: directory).load())
        #expect(disk == state)

        // Registering again keeps the device id and replaces the registration.
        let again = try await registration(service, directory: directory, clock: clock, pauses: pauses).register()
        #expect(again.deviceID == state.deviceID)
        #expect(again.registrationID != state.registrationID)
    }

    @Test func anUnapprovedDeviceCodeExpires() async throws {
        let directory = try temporaryDirectory() + "/auth"
        let service = ScriptedTokenService()
        service.pendingPolls.withLock { $0 = 1_000 }
        let pauses = Recorder<[Double]>([])
        let error = await #expect(throws: RegistrationError.self) {
            _ = try await registration(service, directory: directory, clock: ManualClock(), pauses: pauses).register()
        }
        #expect(error?.code == .expired)
        #expect(error?.message.contains("spoolbridge device register") == true)
        #expect(pauses.value.count < 125, "polls stop at the device code's expiry (600 s)")
        // The device id was kept for the next attempt.
        #expect(try TokenStore(directory: directory).load()?.deviceID.hasPrefix("spoolbridge-") == true)
    }

    @Test func loginStoresAUserTokenPair() async throws {
        let directory = try temporaryDirectory() + "/auth"
        let service = ScriptedTokenService()
        let state = try await DeviceRegistration(
            configuration: .init(mode: .userToken, stateDirectory: directory, oauthURL: "https://cloud.example/oauth/v1"),
            service: service, now: { t0 }
        ).login(user: "alice", password: Secret("pw"))
        #expect(state.mode == .userToken && state.tokens?.refreshToken == Secret("refresh-user-alice"))
        #expect(DeviceAuth.Mode.userToken.refreshClientID(deviceID: state.deviceID) == "api")
    }

    @Test func aRefusedLoginNamesTheUserNotThePassword() async throws {
        let directory = try temporaryDirectory() + "/auth"
        let service = ScriptedTokenService()
        service.loginAnswer.withLock { $0 = .refused(OAuthRefusal(error: "http_401", errorDescription: "bad credentials", httpStatus: 401)) }
        let error = await #expect(throws: RegistrationError.self) {
            _ = try await DeviceRegistration(
                configuration: .init(mode: .userToken, stateDirectory: directory, oauthURL: "https://cloud.example/oauth/v1"),
                service: service, now: { t0 }
            ).login(user: "alice", password: Secret("hunter2-password"))
        }
        #expect(error?.message.contains("alice") == true)
        #expect(error?.message.contains("hunter2") == false)
    }
}
