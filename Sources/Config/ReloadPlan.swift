import SpoolbridgeCore

/// What a reload (SIGHUP) does with a new configuration that validated: a diff of the running one
/// against the new one, with no I/O. The daemon performs the changes that can be made live and logs
/// the keys that need a restart; `running` is what is in force afterwards (the new file's live
/// settings, the old values of everything that waits for a restart).
public struct ReloadPlan: Sendable, Hashable {
    /// The hot folders to watch from now on, when they changed (added, removed or options changed).
    public var hotFolders: [HotFolderSettings]?
    public var addedFolders: [String] = []
    public var removedFolders: [String] = []
    public var changedFolders: [String] = []
    /// `[delivery] concurrency`, when it changed.
    public var concurrency: Int?
    /// `[log] level`, when it changed.
    public var logLevel: String?
    /// `[http] unhealthy_after_seconds`, when it changed.
    public var unhealthyAfterSeconds: Double?
    /// Dotted keys (or sections) that changed but take effect only at the next start.
    public var needsRestart: [String] = []
    /// The configuration in force once the plan is carried out.
    public var running: DaemonConfiguration

    public var changesNothing: Bool {
        hotFolders == nil && concurrency == nil && logLevel == nil && unhealthyAfterSeconds == nil && needsRestart.isEmpty
    }

    public static func plan(from old: DaemonConfiguration, to new: DaemonConfiguration) -> ReloadPlan {
        var plan = ReloadPlan(running: old)
        if old.hotFolders != new.hotFolders {
            plan.hotFolders = new.hotFolders
            let before = Dictionary(old.hotFolders.map { ($0.path, $0) }, uniquingKeysWith: { first, _ in first })
            let after = Dictionary(new.hotFolders.map { ($0.path, $0) }, uniquingKeysWith: { first, _ in first })
            plan.addedFolders = new.hotFolders.map(\.path).filter { before[$0] == nil }
            plan.removedFolders = old.hotFolders.map(\.path).filter { after[$0] == nil }
            plan.changedFolders = new.hotFolders.filter { folder in before[folder.path].map { $0 != folder } ?? false }.map(\.path)
            plan.running.hotFolders = new.hotFolders
        }
        if old.delivery.concurrency != new.delivery.concurrency {
            plan.concurrency = new.delivery.concurrency
            plan.running.delivery.concurrency = new.delivery.concurrency
        }
        if old.logLevel != new.logLevel {
            plan.logLevel = new.logLevel
            plan.running.logLevel = new.logLevel
        }
        if old.http.unhealthyAfterSeconds != new.http.unhealthyAfterSeconds {
            plan.unhealthyAfterSeconds = new.http.unhealthyAfterSeconds
            plan.running.http.unhealthyAfterSeconds = new.http.unhealthyAfterSeconds
        }
        plan.needsRestart = restartOnlyChanges(old, new)
        return plan
    }

    /// Everything else: the outbox, the cloud client and the listeners are built once at start.
    private static func restartOnlyChanges(_ old: DaemonConfiguration, _ new: DaemonConfiguration) -> [String] {
        var keys: [String] = []
        func compare<T: Equatable>(_ key: String, _ value: (DaemonConfiguration) -> T) {
            if value(old) != value(new) { keys.append(key) }
        }
        compare("spool.directory") { $0.spool.directory }
        compare("spool.max_document_mb") { $0.spool.maxDocumentBytes }
        compare("spool.min_free_mb") { $0.spool.minFreeBytes }
        compare("spool.keep_finished_days") { $0.spool.keepFinishedDays }
        compare("cloud.url") { $0.cloud.url }
        compare("card_reader") { $0.cardReader }
        compare("cloud.api_key_file") { $0.cloud.apiKeyFile }
        compare("cloud.ca_file") { $0.cloud.caFile }
        compare("cloud.allow_insecure_http") { $0.cloud.allowInsecureHTTP }
        // The token source and its refresher are built once at start, like the cloud client.
        compare("auth.mode") { $0.auth.mode }
        // Defaults follow cloud.url and spool.directory, which are named themselves when they change.
        compare("auth.oauth_url") { $0.auth.oauthURLIsDefault ? nil : $0.auth.oauthURL }
        compare("auth.state") { $0.auth.stateDirectoryIsDefault ? nil : $0.auth.stateDirectory }
        compare("auth.user") { $0.auth.user }
        compare("auth.password_file") { $0.auth.passwordFile }
        compare("delivery.max_age_hours") { $0.delivery.maxAgeHours }
        compare("delivery.retry_base_seconds") { $0.delivery.retryBaseSeconds }
        compare("delivery.retry_max_seconds") { $0.delivery.retryMaxSeconds }
        compare("delivery.stall_seconds") { $0.delivery.stallSeconds }
        compare("cups.socket") { $0.cups.socketPath }
        compare("cups.enabled") { $0.cups.enabled }
        compare("[cups]") { $0.cups.isExplicit }
        compare("cups.strip_domain") { $0.cups.stripDomain }
        compare("cups.strip_realm") { $0.cups.stripRealm }
        compare("cups.lowercase") { $0.cups.lowercase }
        compare("http.listen") { $0.http.listen }
        compare("http.allow_remote") { $0.http.allowRemote }
        return keys
    }
}
