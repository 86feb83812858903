import SpoolbridgeCore

/// A new job as a source describes it.
public struct JobSubmission: Sendable, Hashable {
    public var request: DocumentRequest
    public var source: JobSource
    /// `.upload` with a push queue's `releaseTo`, when the source has one.
    public var task: JobTask

    public init(request: DocumentRequest, source: JobSource, task: JobTask = .upload) {
        self.request = request
        self.source = source
        self.task = task
    }
}

/// The answer to handing a job over.
public enum EnqueueResult: Sendable, Hashable {
    case created(JobID)
    /// The same source (CUPS job-uuid) was handed over before: no second job.
    case duplicate(JobID)

    public var jobID: JobID {
        switch self {
        case .created(let id), .duplicate(let id): id
        }
    }
}

/// A settled file in a hot folder, ready to be claimed.
public struct HotFolderFile: Sendable, Hashable {
    public var path: String
    public var request: DocumentRequest
    public var origin: JobSource.HotFolderOrigin
    /// `.upload` with the folder's `release_to`, when it is a push queue.
    public var task: JobTask

    public init(path: String, request: DocumentRequest, origin: JobSource.HotFolderOrigin, task: JobTask = .upload) {
        self.path = path
        self.request = request
        self.origin = origin
        self.task = task
    }
}

public enum HotFolderClaimOutcome: Sendable, Hashable {
    case claimed(JobID, path: String)
    /// The file disappeared before it could be moved: nothing was accepted.
    case vanished(path: String)
    /// The file stays where it is; `reason` says why.
    case failed(path: String, reason: String)
    /// Taking the file would bring the spool below `spool.min_free_mb`: it stays where it is until
    /// space is freed (delivered payloads are deleted or archived, which frees it).
    case noSpace(path: String)
}
