import Dispatch
import Foundation
import Outbox
import ServiceLifecycle

/// SIGUSR1 (sent by `spoolbridge retry`) wakes delivery, so an admin's retry needs no polling.
struct WakeSignalService: Service {
    let outbox: Outbox

    func run() async throws {
        signal(SIGUSR1, SIG_IGN)  // let Dispatch see it instead of the default action (terminate)
        let source = DispatchSource.makeSignalSource(signal: SIGUSR1, queue: .global())
        source.setEventHandler { [outbox] in outbox.newWork.signal() }
        source.resume()
        defer { source.cancel() }
        try? await gracefulShutdown()
    }
}
