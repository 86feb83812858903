import SpoolbridgeCore

/// The file format of `state.json` (version 1): snake_case keys, times in ms since 1970, token values
/// in clear (the file is 0600 in a 0700 folder). Decoding fails on a version it does not know.
extension AuthState: Codable {
    enum CodingKeys: String, CodingKey {
        case version, deviceID = "device_id", mode, registrationID = "registration_id", tokens
        case registeredAt = "registered_at", lastRefreshAt = "last_refresh_at"
        case spendingRefreshTokenSince = "spending_refresh_token_since", needsRegistration = "needs_registration"
        case lastError = "last_error", lastErrorAt = "last_error_at", nextAttemptAt = "next_attempt_at", attempts
    }

    static let formatVersion = 1

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let version = try container.decode(Int.self, forKey: .version)
        guard version == Self.formatVersion else {
            throw DecodingError.dataCorruptedError(
                forKey: .version, in: container, debugDescription: "format version \(version) is not known to this spoolbridge")
        }
        self.init(
            deviceID: try container.decode(String.self, forKey: .deviceID),
            mode: try container.decode(DeviceAuth.Mode.self, forKey: .mode),
            registrationID: try container.decode(String.self, forKey: .registrationID))
        tokens = try container.decodeIfPresent(StoredTokens.self, forKey: .tokens)
        registeredAt = try container.decodeIfPresent(Timestamp.self, forKey: .registeredAt)
        lastRefreshAt = try container.decodeIfPresent(Timestamp.self, forKey: .lastRefreshAt)
        spendingRefreshTokenSince = try container.decodeIfPresent(Timestamp.self, forKey: .spendingRefreshTokenSince)
        needsRegistration = try container.decodeIfPresent(String.self, forKey: .needsRegistration)
        lastError = try container.decodeIfPresent(String.self, forKey: .lastError)
        lastErrorAt = try container.decodeIfPresent(Timestamp.self, forKey: .lastErrorAt)
        nextAttemptAt = try container.decodeIfPresent(Timestamp.self, forKey: .nextAttemptAt)
        attempts = try container.decodeIfPresent(Int.self, forKey: .attempts) ?? 0
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(Self.formatVersion, forKey: .version)
        try container.encode(deviceID, forKey: .deviceID)
        try container.encode(mode, forKey: .mode)
        try container.encode(registrationID, forKey: .registrationID)
        try container.encodeIfPresent(tokens, forKey: .tokens)
        try container.encodeIfPresent(registeredAt, forKey: .registeredAt)
        try container.encodeIfPresent(lastRefreshAt, forKey: .lastRefreshAt)
        try container.encodeIfPresent(spendingRefreshTokenSince, forKey: .spendingRefreshTokenSince)
        try container.encodeIfPresent(needsRegistration, forKey: .needsRegistration)
        try container.encodeIfPresent(lastError, forKey: .lastError)
        try container.encodeIfPresent(lastErrorAt, forKey: .lastErrorAt)
        try container.encodeIfPresent(nextAttemptAt, forKey: .nextAttemptAt)
        try container.encode(attempts, forKey: .attempts)
    }
}

extension StoredTokens: Codable {
    enum CodingKeys: String, CodingKey {
        case accessToken = "access_token", refreshToken = "refresh_token"
        case accessTokenExpiresAt = "access_token_expires_at", receivedAt = "received_at"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            accessToken: Secret(try container.decode(String.self, forKey: .accessToken)),
            refreshToken: Secret(try container.decode(String.self, forKey: .refreshToken)),
            accessTokenExpiresAt: try container.decode(Timestamp.self, forKey: .accessTokenExpiresAt),
            receivedAt: try container.decode(Timestamp.self, forKey: .receivedAt))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(accessToken.exposedValue, forKey: .accessToken)
        try container.encode(refreshToken.exposedValue, forKey: .refreshToken)
        try container.encode(accessTokenExpiresAt, forKey: .accessTokenExpiresAt)
        try container.encode(receivedAt, forKey: .receivedAt)
    }
}
