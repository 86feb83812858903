import CCups
import Glibc

/// Filters may ask the backend questions over the side channel (fd 4) and block until answered.
/// This backend has no printer to ask, so a thread answers every request with NOT_IMPLEMENTED.
enum SideChannel {
    static func startResponder() {
        guard fcntl(CUPS_SC_FD, F_GETFD) != -1 else { return }
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED))
        var thread = pthread_t()
        let created = pthread_create(&thread, &attributes, { _ in
            var data = [CChar](repeating: 0, count: 65540)
            while true {
                var command = CUPS_SC_CMD_NONE
                var status = CUPS_SC_STATUS_NONE
                var length = Int32(data.count)
                // Blocks until a filter asks; -1 when the channel closes.
                guard cupsSideChannelRead(&command, &status, &data, &length, -1.0) == 0 else { break }
                _ = cupsSideChannelWrite(command, CUPS_SC_STATUS_NOT_IMPLEMENTED, nil, 0, 1.0)
            }
            return nil
        }, nil)
        pthread_attr_destroy(&attributes)
        if created != 0 {
            Diagnostics.debug("spoolbridge: side-channel thread not started: \(Diagnostics.describe(errno: created))")
        }
    }
}
