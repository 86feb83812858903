import Foundation

/// A process started with posix_spawn: stdout/stderr go to files, stdin is a pipe or /dev/null,
/// and an extra socket can be placed at a chosen descriptor (CUPS's side channel is fd 4).
final class ChildProcess: @unchecked Sendable {
    let pid: pid_t
    let stdoutPath: String
    let stderrPath: String
    /// Our end of the child's stdin pipe, when asked for; -1 otherwise.
    private(set) var stdinFD: Int32
    private var status: Int32?

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// - Parameters:
    ///   - arguments: argv, argv[0] included (CUPS puts the device URI there).
    ///   - pipeStdin: give the child a pipe whose write end `stdinFD` we keep.
    ///   - extraFD: (our descriptor, the child's descriptor) to dup into the child.
    /// Writing to a child that already exited must fail with EPIPE, not kill the test process.
    private static let ignoreSIGPIPE: Void = { signal(SIGPIPE, SIG_IGN) }()

    init(
        executable: String, arguments: [String], environment: [String: String], outputDirectory: String,
        pipeStdin: Bool = false, extraFD: (Int32, Int32)? = nil, name: String = UUID().uuidString
    ) throws {
        Self.ignoreSIGPIPE
        stdoutPath = outputDirectory + "/\(name).out"
        stderrPath = outputDirectory + "/\(name).err"
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        var pipeFDs: [Int32] = [-1, -1]
        if pipeStdin {
            guard pipe(&pipeFDs) == 0 else { throw Failure(description: "pipe failed") }
            posix_spawn_file_actions_adddup2(&actions, pipeFDs[0], 0)
            posix_spawn_file_actions_addclose(&actions, pipeFDs[1])
        } else {
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        }
        posix_spawn_file_actions_addopen(&actions, 1, stdoutPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, stderrPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        if let (ours, theirs) = extraFD {
            posix_spawn_file_actions_adddup2(&actions, ours, theirs)
        }
        let argv = arguments.map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        // Start the child as cupsd would: no blocked signals, default dispositions.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t()
        sigemptyset(&empty)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGTERM, SIGPIPE, SIGINT, SIGCHLD] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var child: pid_t = 0
        let result = posix_spawn(&child, executable, &actions, &attributes, argv, envp)
        if pipeStdin { close(pipeFDs[0]) }
        guard result == 0 else {
            if pipeStdin { close(pipeFDs[1]) }
            throw Failure(description: "cannot start \(executable): \(String(cString: strerror(result)))")
        }
        pid = child
        stdinFD = pipeStdin ? pipeFDs[1] : -1
    }

    deinit {
        if stdinFD >= 0 { close(stdinFD) }
        if status == nil {
            kill(pid, SIGKILL)
            var ignored: Int32 = 0
            waitpid(pid, &ignored, 0)
        }
    }

    func writeStdin(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = write(stdinFD, buffer.baseAddress! + offset, buffer.count - offset)
                guard written > 0 else { throw Failure(description: "writing the child's stdin failed: \(String(cString: strerror(errno)))") }
                offset += written
            }
        }
    }

    func closeStdin() {
        if stdinFD >= 0 { close(stdinFD) }
        stdinFD = -1
    }

    /// The exit status (or 128 + signal), waiting at most `timeout`.
    func wait(timeout: Duration = .seconds(30)) async throws -> Int32 {
        if let status { return status }
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while true {
            var raw: Int32 = 0
            let result = waitpid(pid, &raw, WNOHANG)
            if result == pid {
                let low = raw & 0x7F
                let exit = low == 0 ? (raw >> 8) & 0xFF : 128 + low
                status = exit
                return exit
            }
            guard clock.now < deadline else { throw Failure(description: "process \(pid) did not exit within \(timeout)") }
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    var standardOutput: String { (try? String(contentsOfFile: stdoutPath, encoding: .utf8)) ?? "" }
    var standardError: String { (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "" }

    /// Runs to completion and returns (status, stdout, stderr).
    static func run(
        _ executable: String, _ arguments: [String], environment: [String: String] = [:], in directory: String,
        stdin: [UInt8]? = nil, timeout: Duration = .seconds(30)
    ) async throws -> (status: Int32, stdout: String, stderr: String) {
        var environment = environment
        if environment["PATH"] == nil { environment["PATH"] = "/usr/sbin:/usr/bin:/sbin:/bin" }
        let child = try ChildProcess(
            executable: executable, arguments: arguments, environment: environment, outputDirectory: directory, pipeStdin: stdin != nil)
        if let stdin {
            // The child may stop reading early (a refused job): that is its answer, not a test failure.
            try? child.writeStdin(stdin)
            child.closeStdin()
        }
        let status = try await child.wait(timeout: timeout)
        return (status, child.standardOutput, child.standardError)
    }
}
