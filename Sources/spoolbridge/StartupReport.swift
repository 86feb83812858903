import Config
import Foundation

/// What `check-config` finds on this machine beyond the file itself: one printed line per thing the
/// daemon needs, and the problems that would stop it from starting.
struct StartupReport {
    private(set) var problems: [String] = []

    /// `folder` is the name the admin sees ("hot folder PATH -> port P", "records folder PATH") and
    /// `section` the table to fix (`[[hotfolder]]`, `[[records]]`).
    mutating func check(folder name: String, path: String, section: String) {
        var info = stat()
        // stat, not lstat: the daemon follows a link to the folder too.
        guard stat(path, &info) == 0 else {
            let reason = String(cString: strerror(errno))
            problem(
                line: "\(name): MISSING (\(reason)); create it (mkdir -p \(path)) or fix the \(section) path; the daemon will refuse to start",
                summary: "\(name) is missing")
            return
        }
        guard info.st_mode & S_IFMT == S_IFDIR else {
            problem(
                line: "\(name): NOT A DIRECTORY (a file is at that path); move it away and create the folder, or fix the \(section) path; the daemon will refuse to start",
                summary: "\(name) is not a directory")
            return
        }
        print("\(name): ok")
    }

    mutating func check(cups: DaemonConfiguration.Cups) {
        switch cups.listenDecision() {
        case .off:
            print("cups: off ([cups] enabled = false)")
        case .listen:
            print("cups: the daemon listens for the CUPS backend on \(cups.socketPath)")
        case .skip:
            print("""
                cups: not listening: there is no [cups] section and \(cups.socketDirectory) does not exist, so the \
                daemon runs with hot folders only (under systemd the unit creates \(cups.socketDirectory) and the \
                daemon listens on \(cups.socketPath); add a [cups] section to require the socket)
                """)
        case .cannotListen(let problem):
            if cups.socketDirectory == DaemonConfiguration.Cups.systemdRuntimeDirectory {
                // Not a problem for the service: systemd creates it just before starting the daemon
                // (and removes it when the service stops, so it is usually missing when this runs).
                print("""
                    cups: \(cups.socketDirectory) does not exist now; the systemd unit creates it when the service \
                    starts (RuntimeDirectory=spoolbridge). `spoolbridge run` from a terminal would refuse to start \
                    until it exists: \(problem)
                    """)
            } else {
                self.problem(line: "cups: \(problem); the daemon will refuse to start",
                             summary: "the CUPS socket's directory \(cups.socketDirectory) is missing")
            }
        }
    }

    private mutating func problem(line: String, summary: String) {
        print(line)
        problems.append(summary)
    }
}
