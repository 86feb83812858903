import Glibc
import SpoolbridgeCore

/// What happens to a settled hot-folder entry.
enum IntakeDecision: Sendable, Hashable {
    /// Becomes a job for this cloud user.
    case take(username: String)
    /// Goes to the failed folder with this reason beside it.
    case refuse(reason: String)
    /// Gone before it could be taken: nothing to do.
    case vanished
    /// Not a document and not wrong either (a directory): left where it is.
    case leave
}

/// The rules that turn what is known about an entry into a decision. Pure: the caller does the I/O
/// (`lstat`, the `O_NOFOLLOW` open, the user look-up) and passes the results.
struct IntakeRule: Sendable {
    var owner: HotFolderSettings.Owner
    var maxDocumentBytes: Int64
    var folderPath: String

    /// - Parameters:
    ///   - subfolder: the first-level subfolder the entry lies in, nil when directly in the hot folder.
    ///   - openError: errno of opening the entry read-only with `O_NOFOLLOW`; nil when it opened as a regular file.
    ///   - userName: the user name of a uid, nil when the system has none.
    func decide(
        name: String, subfolder: String?, status: FileStatus, openError: Int32?, userName: (uid_t) -> String?
    ) -> IntakeDecision {
        switch status.kind {
        case .regular: break
        case .directory: return .leave
        case .symbolicLink: return .refuse(reason: Self.symbolicLinkReason(name))
        default:
            return .refuse(reason: "\(name) \(status.kind.refusalPhrase), not a regular file; only regular files are printed")
        }
        if status.size == 0 {
            return .refuse(reason: "\(name) is empty (0 bytes); there is nothing to print")
        }
        if status.size > maxDocumentBytes {
            return .refuse(reason: "\(name) is \(Self.megabytes(status.size)) MB, over spool.max_document_mb = "
                + "\(Self.megabytes(maxDocumentBytes))")
        }
        switch openError {
        case nil: break
        case ENOENT?: return .vanished
        case ELOOP?: return .refuse(reason: Self.symbolicLinkReason(name))
        case let code?:
            return .refuse(reason: "\(name) is not readable by spoolbridge: \(HotFolderError.errorText(code)); "
                + "give spoolbridge's user read permission and drop it again")
        }
        switch owner {
        case .fixed(let user):
            return .take(username: user)
        case .subfolder:
            guard let subfolder else {
                return .refuse(reason: "\(name) lies directly in the hot folder, but owner = \"subfolder\" takes the "
                    + "user from the first-level folder's name: put it in \(folderPath)/<user>/")
            }
            return .take(username: subfolder)
        case .fileOwner:
            guard let user = userName(status.owner) else {
                return .refuse(reason: "\(name) is owned by uid \(status.owner), which has no user name on this "
                    + "system (owner = \"file-owner\"); chown it to a user known to the cloud")
            }
            return .take(username: user)
        }
    }

    static func symbolicLinkReason(_ name: String) -> String {
        "\(name) is a symbolic link; spoolbridge never follows links out of a hot folder: "
            + "copy the document itself into the folder"
    }

    /// Mebibytes with one decimal, rounded up so that anything over the limit never prints as equal to it.
    static func megabytes(_ bytes: Int64) -> String {
        let mebibyte: Int64 = 1 << 20
        // Split so that even Int64.max cannot overflow.
        let tenths = bytes / mebibyte * 10 + ((bytes % mebibyte) * 10 + mebibyte - 1) / mebibyte
        return tenths % 10 == 0 ? "\(tenths / 10)" : "\(tenths / 10).\(tenths % 10)"
    }
}
