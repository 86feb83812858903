import CloudAPI
import SpoolbridgeCore

/// The part of the token service the refresher needs. `OAuthClient` is the real one; tests use
/// a scripted one, so refresh logic is tested without a server.
public protocol TokenRefreshService: Sendable {
    func refresh(clientID: String, refreshToken: Secret) async -> TokenGrantResult
}

/// What registration and login need on top.
public protocol TokenGrantService: TokenRefreshService {
    func register(clientID: String, description: String) async throws(OAuthError) -> DeviceCodeGrant
    func token(clientID: String, deviceCode: Secret) async -> TokenGrantResult
    func login(user: String, password: Secret) async -> TokenGrantResult
}

extension OAuthClient: TokenGrantService {}
