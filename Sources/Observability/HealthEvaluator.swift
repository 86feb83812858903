import SpoolbridgeCore

/// Decides whether the daemon can do its job, from `HealthInputs` alone: no I/O, no clock. `/healthz`
/// answers 200 or 503 by `HealthDocument.httpStatus`; `spoolbridge status --json` prints the same document.
///
/// Unhealthy (503) when:
/// - the daemon is not running (only the CLI can say so);
/// - the outbox cannot be written (results cannot be recorded) or read;
/// - the spool's free space is below `spool.min_free_mb` (new jobs are held back);
/// - the cloud has been unreachable for longer than `http.unhealthy_after_seconds`;
/// - the device must be registered again (no refresh can help), or the cloud has refused our token
///   for longer than `http.unhealthy_after_seconds`.
/// A short outage is reported (`cloud.state = unreachable`) but stays 200: jobs wait safely in the outbox.
public enum HealthEvaluator {
    public static func evaluate(_ inputs: HealthInputs) -> HealthDocument {
        var problems: [String] = []
        if !inputs.daemonRunning {
            problems.append("the daemon is not running (systemctl start spoolbridge)")
        }
        var outbox = "ok"
        switch inputs.outbox {
        case .ok: break
        case .unwritable(let reason):
            outbox = "unwritable"
            problems.append("the outbox cannot record delivery results: \(reason)")
        case .unreadable(let reason):
            outbox = "unreadable"
            problems.append("the outbox cannot be read: \(reason)")
        }
        if let free = inputs.freeBytes, inputs.minFreeBytes > 0, free < inputs.minFreeBytes {
            problems.append("the spool has \(free >> 20) MB free, below spool.min_free_mb (\(inputs.minFreeBytes >> 20) MB): new jobs are held back")
        }
        let cloud: HealthDocument.Cloud
        switch inputs.cloud {
        case .reachable(let since):
            cloud = .init(state: "reachable", since: since, lastError: nil)
        case .unreachable(let since, let error):
            cloud = .init(state: "unreachable", since: since, lastError: error)
            let seconds = inputs.now.seconds(since: since)
            if seconds > inputs.unhealthyAfterSeconds {
                problems.append("the cloud has been unreachable for \(Int(seconds)) s, longer than http.unhealthy_after_seconds (\(Int(inputs.unhealthyAfterSeconds)) s): \(error)")
            }
        case .unknown:
            cloud = .init(state: "unknown", since: nil, lastError: nil)
        }
        let (auth, authDetail) = evaluateAuth(inputs, &problems)
        let waitingStates: [JobState] = [.receiving, .queued, .uploading]
        let queued = waitingStates.reduce(0) { $0 + (inputs.counts[$1] ?? 0) }
        var jobs: [String: Int] = [:]
        for state in JobState.allCases { jobs[state.rawValue] = inputs.counts[state] ?? 0 }
        return HealthDocument(
            status: problems.isEmpty ? .ok : .unhealthy, problems: problems,
            daemon: inputs.daemonRunning ? "running" : "not running",
            queued: queued,
            oldestQueuedSeconds: inputs.oldestWaitingSince.map { max(0, inputs.now.seconds(since: $0)) },
            jobs: jobs, cloud: cloud, lastDelivery: inputs.lastDelivery,
            spoolFreeBytes: inputs.freeBytes, spoolMinFreeBytes: inputs.minFreeBytes,
            outbox: outbox, auth: auth, authDetail: authDetail)
    }

    private static func evaluateAuth(_ inputs: HealthInputs, _ problems: inout [String]) -> (String, HealthDocument.Auth) {
        let health = inputs.auth
        var detail = HealthDocument.Auth(
            mode: health.mode.rawValue, refusedSince: inputs.authRefusal?.since, lastError: health.lastError,
            accessTokenExpires: health.accessTokenExpiresAt, lastRefresh: health.lastRefreshAt)
        if case .retrying(let next, let attempts, _) = health.state {
            detail.nextRetry = next
            detail.attempts = attempts
        }
        if case .needsRegistration(let reason) = health.state {
            problems.append("the cloud no longer accepts this device's token and every job waits: \(reason)")
            return (health.summary, detail)
        }
        guard let refusal = inputs.authRefusal else { return (health.summary, detail) }
        detail.lastError = detail.lastError ?? refusal.lastError
        let seconds = inputs.now.seconds(since: refusal.since)
        if seconds > inputs.unhealthyAfterSeconds {
            problems.append("the cloud has refused the device token for \(Int(seconds)) s, longer than http.unhealthy_after_seconds (\(Int(inputs.unhealthyAfterSeconds)) s); every job waits; run `spoolbridge device status`: \(refusal.lastError)")
        }
        return ("refused", detail)
    }
}
