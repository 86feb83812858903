import SpoolbridgeCore

/// A fixed instant so expected times can be written as offsets from it.
let t0 = Timestamp(millisecondsSince1970: 1_700_000_000_000)

/// A job in `state`, as the outbox would hold it; fields the tests do not care about are plausible.
func makeJob(
    _ state: JobState, id: Int64 = 7, attempts: Int = 0, createdAt: Timestamp = t0,
    lastError: DeliveryFailure? = nil
) -> Job {
    Job(
        id: JobID(id), state: state,
        source: .hotFolder(.init(originalPath: "/srv/print/finance/report.pdf", failedDirectory: "/srv/print/finance-failed")),
        request: DocumentRequest(username: "alice", portname: "Finance", title: "report.pdf"),
        payloadName: "abc.pdf", payloadSize: 1234, attempts: attempts,
        nextAttemptAt: state == .queued ? createdAt : nil, lastError: lastError,
        createdAt: createdAt, updatedAt: createdAt)
}

extension Timestamp {
    func plus(_ seconds: Double) -> Timestamp { adding(seconds: seconds) }
}
