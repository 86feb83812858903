import Glibc

/// Why hot-folder watching could not start. `code` is stable (for scripts and tests); the description names the
/// path and what to do.
public struct HotFolderError: Error, Sendable, Hashable, CustomStringConvertible {
    public var code: String
    public var description: String

    public init(code: String, description: String) {
        self.code = code
        self.description = description
    }

    static func inotifyUnavailable(errno: Int32) -> HotFolderError {
        HotFolderError(
            code: "hotfolder.inotify-unavailable",
            description: "cannot create an inotify instance: \(errorText(errno))"
                + (errno == EMFILE ? "; raise fs.inotify.max_user_instances (sysctl)" : ""))
    }

    static func watchFailed(path: String, errno: Int32) -> HotFolderError {
        let hint: String
        switch errno {
        case ENOSPC: hint = "; raise fs.inotify.max_user_watches (sysctl)"
        case ENOENT: hint = "; create the folder or fix the [[hotfolder]] path"
        case ENOTDIR: hint = "; a hot folder must be a directory"
        case EACCES: hint = "; spoolbridge's user needs read and execute permission on it"
        default: hint = ""
        }
        return HotFolderError(
            code: "hotfolder.watch-failed",
            description: "cannot watch hot folder \(path): \(errorText(errno))\(hint)")
    }

    static let notRunning = HotFolderError(
        code: "hotfolder.not-running", description: "hot-folder watching has stopped; the change was not made")

    static func missingFolder(path: String) -> HotFolderError {
        HotFolderError(
            code: "hotfolder.missing",
            description: "hot folder \(path) does not exist or is not a directory; "
                + "create it or fix the [[hotfolder]] path")
    }

    static func folderIsOwnTarget(path: String) -> HotFolderError {
        HotFolderError(
            code: "hotfolder.failed-is-hot-folder",
            description: "hot folder \(path) is also a failed or archive directory; files put there would be taken "
                + "again: give [[hotfolder]] failed/archive a directory outside the hot folders")
    }

    static func cannotCreateDirectory(path: String, role: String, errno: Int32) -> HotFolderError {
        HotFolderError(
            code: "hotfolder.directory-create-failed",
            description: "cannot create the \(role) directory \(path): \(errorText(errno)); "
                + "create it (its parent must exist) or fix the [[hotfolder]] \(role) setting")
    }

    static func errorText(_ errno: Int32) -> String {
        guard let text = strerror(errno) else { return "errno \(errno)" }
        return String(cString: text)
    }
}
