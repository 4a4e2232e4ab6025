import Foundation
import Testing

/// Every numeric flag of `monopoly gateway` and `monopoly authority` has bounds checked before
/// anything starts: a value past them is refused with a message naming the flag and exit code 64
/// (usage), never a trap. Before, `--ack-timeout 1e300` trapped the gateway at startup and `1e10`
/// overflowed the nanoseconds of every command's acknowledgement timer.
@Suite("monopoly flag bounds", .enabled(if: monopolyBinary != nil, "monopoly executable not built"))
struct FlagBoundsTests {
    static let timeoutRange = "a number of seconds, 0 < t <= 3600"
    static let disablingRange = "a number of seconds, 0 <= t <= 3600 (0 disables)"

    static let refused: [([String], [String: String], String)] = [
        (["gateway", "--ack-timeout", "1e300"], [:], "--ack-timeout must be \(timeoutRange)"),
        (["gateway", "--ack-timeout", "1e10"], [:], "--ack-timeout must be \(timeoutRange)"),
        (["gateway", "--ack-timeout", "nan"], [:], "--ack-timeout must be \(timeoutRange)"),
        (["gateway", "--ack-timeout", "0"], [:], "--ack-timeout must be \(timeoutRange)"),
        (["gateway", "--pong-timeout", "inf"], [:], "--pong-timeout must be \(timeoutRange)"),
        (["gateway", "--ping-interval", "1e300"], [:], "--ping-interval must be \(disablingRange)"),
        (["gateway", "--idle-timeout=-1"], [:], "--idle-timeout must be \(disablingRange)"),
        (["gateway"], ["FRAGMENT_TIMEOUT": "1e300"], "--fragment-timeout must be \(disablingRange)"),
        (["gateway"], ["DRAIN_TIMEOUT": "1e10"], "--drain-timeout must be \(disablingRange)"),
        (["gateway", "--handover-timeout", "1e300"], [:], "--handover-timeout must be \(disablingRange)"),
        (["gateway"], ["HANDOVER_TIMEOUT": "nan"], "--handover-timeout must be \(disablingRange)"),
        (["gateway", "--lease-ms", "100"], [:], "--lease-ms must be 300...600000"),
        (["gateway"], ["LEASE_MS": "9223372036854775807"], "--lease-ms must be 300...600000"),
        (["gateway"], ["LEASE_MS": "3s"], "$LEASE_MS=3s is not a valid Int"),
        (["gateway", "--max-held-commands=-1"], [:], "--max-held-commands must be 0...1000000"),
        (["gateway"], ["MAX_HELD_COMMANDS": "9223372036854775807"], "--max-held-commands must be 0...1000000"),
        (["gateway", "--rate-limit", "inf"], [:], "--rate-limit must be a number of messages per second, 0 < r <= 1000000"),
        (["gateway", "--max-message-size", "9223372036854775807"], [:], "--max-message-size must be 1...16777216 bytes"),
        (["gateway", "--max-connections", "9223372036854775807"], [:], "--max-connections must be 1...1000000"),
        (["gateway", "--max-connections-per-client", "0"], [:], "--max-connections-per-client must be 1...1000000"),
        (["gateway", "--threads", "100000"], [:], "--threads must be 1...1024"),
        (["gateway", "--id", String(repeating: "g", count: 65)], [:], "--id takes at most 64 characters"),
        (["gateway", "--id", "gw1.boot"], [:], "--id takes letters, digits, - and _"),
        (["gateway", "--gateway-timeout", "0.5"], [:], "--gateway-timeout must be a number of seconds, 1 <= t <= 3600"),
        (["gateway"], ["GATEWAY_TIMEOUT": "1e300"], "--gateway-timeout must be a number of seconds, 1 <= t <= 3600"),
        (["gateway"], ["GATEWAY_TIMEOUT": "nan"], "--gateway-timeout must be a number of seconds, 1 <= t <= 3600"),
        (["authority", "--bot-delay-ms", "9223372036854775807"], [:], "--bot-delay-ms must be 0...60000"),
        (["authority", "--grace-seconds", "9223372036854775807"], [:], "--grace-seconds must be 0...86400"),
        (["authority", "--lease-ms", "9223372036854775807"], [:], "--lease-ms must be 300...600000"),
        (["authority", "--standby-poll-ms", "0"], [:], "--standby-poll-ms must be 1...60000"),
        (["authority", "--max-games-per-client", "9223372036854775807"], [:], "--max-games-per-client must be 1...1000000"),
        (["authority", "--create-rate-per-minute", "0"], [:], "--create-rate-per-minute must be 1...1000000"),
        (["authority", "--lobby-grace-seconds", "0"], [:], "--lobby-grace-seconds must be 1...3600"),
    ]

    @Test(arguments: refused)
    func aFlagPastItsBoundIsRefusedWithAMessageAndExitCode64(_ arguments: [String], _ environment: [String: String], _ message: String) async throws {
        let process = Process()
        process.executableURL = monopolyBinary
        // Nothing listens there: a process that got past validation must not reach anything.
        process.arguments = arguments + ["--redis", "redis://127.0.0.1:1", "--log-level", "error"]
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let errors = Pipe()
        process.standardOutput = FileHandle.nullDevice
        process.standardError = errors
        try process.run()
        defer { if process.isRunning { process.terminate() } }
        let exited = await eventually(timeout: .seconds(60)) { !process.isRunning }
        try #require(exited, "\(arguments) started instead of being refused")
        let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(process.terminationReason == .exit && process.terminationStatus == 64, "\(text)")
        #expect(text.contains(message), "\(text)")
    }
}
