import Foundation
import SpoolbridgeCore
import Testing

@testable import DeviceAuth

struct TokenStoreTests {
    @Test func aWrittenStateReadsBackAndTheFileIs0600InA0700Folder() throws {
        let root = try temporaryDirectory()
        let store = TokenStore(directory: root + "/auth")
        #expect(try store.load() == nil)
        let original = state("a")
        try store.update { $0 = original }
        #expect(try store.load() == original)

        var info = stat()
        #expect(stat(store.file, &info) == 0)
        #expect(info.st_mode & 0o777 == 0o600)
        #expect(stat(store.directory, &info) == 0)
        #expect(info.st_mode & 0o777 == 0o700)
        // No temporary file left behind.
        let names = try FileManager.default.contentsOfDirectory(atPath: store.directory)
        #expect(Set(names) == ["state.json", "state.lock"])
    }

    @Test func theModeIs0600WhateverTheUmask() throws {
        let root = try temporaryDirectory()
        let store = TokenStore(directory: root + "/auth")
        let previous = umask(0o000)
        defer { umask(previous) }
        try store.update { $0 = state("a") }
        var info = stat()
        #expect(stat(store.file, &info) == 0)
        #expect(info.st_mode & 0o777 == 0o600)
    }

    @Test func aFolderOthersCanEnterIsRefused() throws {
        let root = try temporaryDirectory()
        let directory = root + "/auth"
        #expect(mkdir(directory, 0o755) == 0)
        chmod(directory, 0o755)
        let store = TokenStore(directory: directory)
        let error = #expect(throws: TokenStoreError.self) { try store.update { $0 = state("a") } }
        #expect(error?.code == .tooOpen)
        #expect(error?.message.contains("chmod 0700 \(directory)") == true)
    }

    @Test func theSpentMarkerSurvivesAndAReloadedMachineRefusesToResend() throws {
        let root = try temporaryDirectory()
        let store = TokenStore(directory: root + "/auth")
        try store.update { $0 = state("a") }
        try store.update { $0?.spendingRefreshTokenSince = t0.adding(seconds: 2880) }
        // "Crash": a new process reads the file.
        let reloaded = try #require(try store.load())
        #expect(reloaded.spendingRefreshTokenSince == t0.adding(seconds: 2880))
        var machine = RefreshStateMachine()
        let actions = machine.handle(.loaded(reloaded, now: t0.adding(seconds: 2881)))
        #expect(!actions.contains(.recordSpending) && !actions.sendsRefresh)
        #expect(machine.status.state == .needsRegistration)
        #expect(RefreshStatus(stored: reloaded).state == .refreshing)
    }

    @Test func tokensNeverAppearInDescriptionsButAreInTheFile() throws {
        let root = try temporaryDirectory()
        let store = TokenStore(directory: root + "/auth")
        let value = state("secret-value-42")
        try store.update { $0 = value }
        #expect(!"\(value)".contains("secret-value-42"))
        #expect(!String(reflecting: value).contains("secret-value-42"))
        let text = try String(contentsOfFile: store.file, encoding: .utf8)
        #expect(text.contains("access-secret-value-42"))
        let status = RefreshStatus(stored: value)
        let json = String(decoding: try JSONEncoder().encode(status), as: UTF8.self)
        #expect(!json.contains("secret-value-42"))
    }

    @Test func aCorruptFileNamesItselfAndTheFix() throws {
        let root = try temporaryDirectory()
        let store = TokenStore(directory: root + "/auth")
        try store.prepareDirectory()
        try Data("{\"version\": 7}".utf8).write(to: URL(fileURLWithPath: store.file))
        let error = #expect(throws: TokenStoreError.self) { try store.load() }
        #expect(error?.code == .corrupt)
        #expect(error?.message.contains(store.file) == true)
        #expect(error?.message.contains("spoolbridge device register") == true)
    }

    @Test func anUpdateThatChangesNothingDoesNotWrite() throws {
        let root = try temporaryDirectory()
        let store = TokenStore(directory: root + "/auth")
        try store.update { $0 = state("a") }
        var before = stat()
        stat(store.file, &before)
        try store.update { _ in }
        var after = stat()
        stat(store.file, &after)
        #expect(before.st_ino == after.st_ino)
    }
}

struct StoredStatusTests {
    @Test func aFreshRegistrationShowsWhenItWillBeRefreshed() {
        let status = RefreshStatus(stored: state("a"))
        #expect(status.state == .fresh)
        #expect(status.nextAttemptAt == t0.adding(seconds: 2880))
        #expect(status.remedy == nil)
    }

    @Test func aDeadGrantShowsWhyAndWhatToRun() {
        var dead = state("a", mode: .userToken)
        dead.needsRegistration = "invalid_grant"
        let status = RefreshStatus(stored: dead)
        #expect(status.state == .needsRegistration && status.lastError == "invalid_grant")
        #expect(status.remedy?.contains("spoolbridge login") == true)
    }

    @Test(.enabled(if: geteuid() != 0, "root may read any folder"))
    func aFolderWeMayNotEnterIsNotNeverRegistered() throws {
        let root = try temporaryDirectory()
        let store = TokenStore(directory: root + "/auth")
        try store.update { $0 = state("a") }
        chmod(store.directory, 0o000)
        defer { chmod(store.directory, 0o700) }
        #expect(throws: TokenStoreError.self) { try store.load() }
    }
}
