#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where the spool lives when `[spool] directory` is not set, so the README's minimal configuration
/// runs as it is: under systemd the unit's `StateDirectory=` (`$STATE_DIRECTORY`, /var/lib/spoolbridge
/// in the package), as root /var/lib/spoolbridge, and as an ordinary user in a terminal the XDG state
/// directory (`$XDG_STATE_HOME/spoolbridge`, by default ~/.local/state/spoolbridge), which that user can
/// create. `check-config` and the start-up log say which one applies.
public enum SpoolDirectoryDefault {
    public static let system = "/var/lib/spoolbridge"

    /// A pure function of the environment and the effective uid.
    public static func directory(environment: [String: String], effectiveUID: uid_t) -> String {
        if let state = environment["STATE_DIRECTORY"]?.split(separator: ":").first, state.hasPrefix("/") {
            return String(state)
        }
        if effectiveUID == 0 { return system }
        if let xdg = environment["XDG_STATE_HOME"], xdg.hasPrefix("/") {
            return xdg + "/spoolbridge"
        }
        if let home = environment["HOME"], home.hasPrefix("/"), home != "/" {
            return home + "/.local/state/spoolbridge"
        }
        return system
    }

    /// For this process.
    public static var current: String {
        var environment: [String: String] = [:]
        for name in ["STATE_DIRECTORY", "XDG_STATE_HOME", "HOME"] {
            if let value = getenv(name) { environment[name] = String(cString: value) }
        }
        return directory(environment: environment, effectiveUID: geteuid())
    }
}
