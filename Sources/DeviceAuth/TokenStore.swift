import Foundation
import SpoolbridgeCore

/// `state.json` in the auth state folder. Every write is durable before it returns: a temporary file
/// (0600), fsync, atomic rename over the old one, fsync of the folder. Read-modify-write cycles hold
/// an exclusive `flock` on `state.lock`, so `spoolbridge device register` and a running daemon never
/// overwrite each other's pair.
public struct TokenStore: Sendable {
    public let directory: String
    public var file: String { directory + "/state.json" }
    var lockFile: String { directory + "/state.lock" }

    public init(directory: String) {
        self.directory = directory
    }

    /// The stored state; nil when there is none yet (never registered).
    public func load() throws(TokenStoreError) -> AuthState? {
        guard let data = FileManager.default.contents(atPath: file) else {
            var info = stat()
            if stat(file, &info) != 0 && errno == ENOENT { return nil }
            // Present, or hidden behind a folder we may not enter: not "never registered".
            throw TokenStoreError(
                .unreadable, "cannot read \(file): run this as the user that runs the daemon (the file is 0600 "
                    + "in a 0700 folder), e.g. runuser -u spoolbridge -- spoolbridge device status")
        }
        do {
            return try JSONDecoder().decode(AuthState.self, from: data)
        } catch {
            // The decoder's message names keys and positions, never values: safe to show.
            throw TokenStoreError(
                .corrupt, "\(file) is not a spoolbridge auth state (\(Self.describe(error))); "
                    + "move it away and run `spoolbridge device register` again")
        }
    }

    /// Reads the state, lets `body` change it, and writes it back durably when it changed, all under
    /// the lock. Returns what `body` returned.
    public func update<T>(_ body: (inout AuthState?) throws(TokenStoreError) -> T) throws(TokenStoreError) -> T {
        try prepareDirectory()
        let lock = open(lockFile, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard lock >= 0 else { throw TokenStoreError.system("cannot open \(lockFile)", errno) }
        defer { close(lock) }
        while flock(lock, LOCK_EX) != 0 {
            guard errno == EINTR else { throw TokenStoreError.system("cannot lock \(lockFile)", errno) }
        }
        let before = try load()
        var state = before
        let result = try body(&state)
        if state != before, let state { try write(state) }
        return result
    }

    /// Writes `state`: temp file → fsync → rename → fsync folder.
    func write(_ state: AuthState) throws(TokenStoreError) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let data: Data
        do { data = try encoder.encode(state) } catch {
            throw TokenStoreError(.unwritable, "cannot encode the auth state: \(Self.describe(error))")
        }
        let temporary = directory + "/.state.json.\(getpid()).tmp"
        unlink(temporary)
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw TokenStoreError.system("cannot create \(temporary)", errno) }
        var ok = fchmod(fd, 0o600) == 0  // whatever the umask
        ok = ok && data.withUnsafeBytes { Self.writeAll(fd, $0) }
        ok = ok && fsync(fd) == 0
        let failure = errno
        close(fd)
        guard ok else {
            unlink(temporary)
            throw TokenStoreError.system("cannot write \(temporary) (the old state is untouched)", failure)
        }
        guard rename(temporary, file) == 0 else {
            let failure = errno
            unlink(temporary)
            throw TokenStoreError.system("cannot rename \(temporary) to \(file)", failure)
        }
        let folder = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard folder >= 0 else { throw TokenStoreError.system("cannot open \(directory) to sync it", errno) }
        defer { close(folder) }
        guard fsync(folder) == 0 else { throw TokenStoreError.system("cannot sync \(directory)", errno) }
    }

    /// Creates the folder 0700 when missing; refuses one that others can enter.
    func prepareDirectory() throws(TokenStoreError) {
        if mkdir(directory, 0o700) != 0 && errno != EEXIST {
            if errno == ENOENT {
                do {
                    try FileManager.default.createDirectory(
                        atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
                } catch {
                    throw TokenStoreError(.unwritable, "cannot create \(directory): \(Self.describe(error))")
                }
            } else {
                throw TokenStoreError.system("cannot create \(directory)", errno)
            }
        }
        var info = stat()
        guard stat(directory, &info) == 0 else { throw TokenStoreError.system("cannot examine \(directory)", errno) }
        guard info.st_mode & S_IFMT == S_IFDIR else {
            throw TokenStoreError(.unwritable, "\(directory) is not a directory; remove it so spoolbridge can create its auth folder there")
        }
        if info.st_mode & 0o077 != 0 {
            throw TokenStoreError(
                .tooOpen, "\(directory) has mode \(String(info.st_mode & 0o777, radix: 8)) and would let other users near the tokens; "
                    + "run chmod 0700 \(directory)")
        }
    }

    private static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let written = Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                return false
            }
            offset += written
        }
        return true
    }

    static func describe(_ error: any Error) -> String {
        if let decoding = error as? DecodingError {
            switch decoding {
            case .dataCorrupted(let context), .keyNotFound(_, let context), .typeMismatch(_, let context),
                .valueNotFound(_, let context):
                let path = context.codingPath.map(\.stringValue).joined(separator: ".")
                return path.isEmpty ? context.debugDescription : "\(path): \(context.debugDescription)"
            @unknown default: return "undecodable"
            }
        }
        return "\(error)"
    }
}

/// A failure of the token store: what and where, and what to do about it. Never holds a token.
public struct TokenStoreError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Code: String, Sendable, Hashable {
        case unreadable = "auth-state-unreadable"
        case corrupt = "auth-state-corrupt"
        case unwritable = "auth-state-unwritable"
        case tooOpen = "auth-state-too-open"
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    static func system(_ what: String, _ number: Int32) -> TokenStoreError {
        TokenStoreError(.unwritable, "\(what): \(String(cString: strerror(number)))")
    }

    public var description: String { "\(message) [\(code.rawValue)]" }
}
