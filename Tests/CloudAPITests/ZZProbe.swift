import EmulatorKit
import SpoolbridgeCore
import Testing
import Foundation
@testable import CloudAPI

func peakRSS() -> String {
    let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
    return status.split(separator: "\n").filter { $0.hasPrefix("VmHWM") || $0.hasPrefix("VmRSS") }.joined(separator: " ")
}

@Test func probeBig() async throws {
    let emulator = try await CloudEmulator.start(CloudEmulator.Configuration(apiKey: "k"))
    let directory = try TemporaryDirectory()
    let path = directory.url.appendingPathComponent("big").path
    _ = FileManager.default.createFile(atPath: path, contents: nil)
    let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
    let block = Data(patternBytes(count: 1 << 20))
    for _ in 0..<1000 { try handle.write(contentsOf: block) }
    try handle.close()
    print("PROBE before", peakRSS())
    let client = try CloudClient(configuration: .init(baseURL: "http://127.0.0.1:35717", apiKey: Secret("k")))
    let started = ContinuousClock.now
    let info = try await client.uploadDocument(DocumentRequest(username: "u", portname: "p", title: "t"), filePath: path, fileName: "a")
    print("PROBE after", peakRSS(), ContinuousClock.now - started, info.uuid)
    try await client.shutdown()
    try await emulator.shutdown()
    directory.remove()
}
