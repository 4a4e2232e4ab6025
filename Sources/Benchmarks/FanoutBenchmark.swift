import Foundation
import NIOCore
import NIOPosix

/// `monopoly bench fanout`: one game, K spectators spread over M gateways, two bench-controlled
/// players acting at R commands/s (each command produces one state). For every state, the delay
/// from its command's send (timestamp table keyed by the seq the ack names) to its arrival at each
/// spectator: p50/p99/max, and delivered/expected over the measured window.
public enum FanoutBenchmark {
    public struct Options: Sendable {
        public var load = RelayLoadOptions()
        public var spectators = 2000
        public var rate = 20.0
        /// What spectators receive: `plain` frames, or `deflate` (they offer permessage-deflate);
        /// `patch` and `patch+deflate`: they ask for patches (README, "State patches").
        public var mode = Mode.plain
        public init() {}
    }

    public enum Mode: String, Sendable, Codable, CaseIterable {
        case plain, deflate, patch
        case patchDeflate = "patch+deflate"
    }

    public struct Report: Sendable, Codable {
        public var mode: Mode
        public var spectators: Int
        public var gateways: Int
        public var rate: Double
        public var seconds: Double
        public var states: Int
        public var statesPerSecond: Double
        public var expected: Int
        public var delivered: Int
        public var lost: Int
        /// Command send to the state's arrival in each spectator's socket (kernel receive timestamp).
        public var latencyMilliseconds: Percentiles
        /// Command send to the load generator reading it: adds the load generator's own queueing
        /// (2,000 spectators on its few threads, where each browser would have a CPU of its own).
        public var readLatencyMilliseconds: Percentiles
        /// Over states: the delay to the first spectator that got it, and to the last one.
        public var firstSpectatorMilliseconds: Percentiles
        public var lastSpectatorMilliseconds: Percentiles
        public var spectatorsClosed: Int
        /// Of the measured deliveries, those read without a kernel receive timestamp (then arrival =
        /// read). The kernel turns stamping on for the whole system a little after the first socket
        /// asks (a deferred static key): on a loaded box the warm-up's first reads can miss it, and
        /// they are not deliveries the figures count.
        public var unstampedDeliveries: Int
        /// Spectator reads that found more than one state (the load generator fell behind): the
        /// earlier ones are stamped with the last one's arrival, so their delays are overstated.
        public var sharedStampReads: Int
        /// Patch modes: patches a spectator got that were not made from the state it held, or did
        /// not apply to it (their states count as not delivered). 0 in the other modes.
        public var brokenPatches: Int
        /// States and patches the load generator decoded whole, and frames it recognised as the same
        /// bytes as one of those (a gateway writes the same frame to all of its spectators).
        public var framesDecoded: Int
        public var framesRecognised: Int
        public var errors: [String: Int]
        public var stuck: Bool
        /// CPU cores each process used in the measured window (the stack's only when the benchmark started it).
        public var coresUsed: [String: Double]
        /// Bytes the spectators read after their handshakes (frames as on the wire, pings included)
        /// per state they received, over the whole run.
        public var wireBytesPerDelivery: Double
        /// Who runs on how many threads (2 cores are shared by all of it).
        public var threads: String

        public var description: String {
            [
                "fan-out (\(mode.rawValue)): 1 game, \(spectators) spectators over \(gateways) gateways, players at \(rate) commands/s, \(seconds) s measured",
                "bytes on the wire per delivery: \(Int(wireBytesPerDelivery.rounded()))",
                "states \(states) (\(String(format: "%.1f", statesPerSecond))/s); deliveries \(delivered) of \(expected) expected, lost \(lost); spectators closed \(spectatorsClosed)",
                "command send -> state at spectator: p50 \(EchoBenchmark.fmt(latencyMilliseconds.p50)) ms, p99 \(EchoBenchmark.fmt(latencyMilliseconds.p99)) ms, max \(EchoBenchmark.fmt(latencyMilliseconds.max)) ms (goal p99 < 25 ms, nothing lost)",
                (unstampedDeliveries > 0 ? "(\(unstampedDeliveries) deliveries were read without a kernel timestamp: their arrival is the read time)\n" : "")
                    + (brokenPatches > 0 ? "(\(brokenPatches) patches were not made from the state their spectator held, or did not apply to it: not delivered)\n" : "")
                    + (sharedStampReads > 0 ? "(\(sharedStampReads) reads held more than one state, all stamped with the last one's arrival: the load generator fell behind)\n" : "")
                    + "command send -> read by the load generator: p50 \(EchoBenchmark.fmt(readLatencyMilliseconds.p50)) ms, p99 \(EchoBenchmark.fmt(readLatencyMilliseconds.p99)) ms, max \(EchoBenchmark.fmt(readLatencyMilliseconds.max)) ms",
                "per state, first spectator: p50 \(EchoBenchmark.fmt(firstSpectatorMilliseconds.p50)) ms, p99 \(EchoBenchmark.fmt(firstSpectatorMilliseconds.p99)) ms; "
                    + "last spectator: p50 \(EchoBenchmark.fmt(lastSpectatorMilliseconds.p50)) ms, p99 \(EchoBenchmark.fmt(lastSpectatorMilliseconds.p99)) ms",
                "threads: \(threads)",
                "load generator: \(framesDecoded) frames decoded (states and patches), \(framesRecognised) recognised as the same bytes as one of them",
                "CPU cores used: " + coresUsed.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "),
                cpuPerDelivery,
                "errors: \(errors.isEmpty ? "none" : errors.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", "))" + (stuck ? "; the game got stuck" : ""),
            ].joined(separator: "\n")
        }

        /// Microseconds of CPU of all gateways together per state delivered to one spectator.
        public var gatewayMicrosecondsPerDelivery: Double? {
            let gateways = coresUsed.filter { $0.key.hasPrefix("gateway") }.values.reduce(0, +)
            guard delivered > 0, gateways > 0 else { return nil }
            return gateways * seconds * 1e6 / Double(delivered)
        }

        /// One row of the per-mode table `bench fanout --modes` ends with.
        public var row: String {
            let cpu = gatewayMicrosecondsPerDelivery.map { String(format: "%.1f", $0) } ?? "-"
            return "| \(mode.rawValue) | \(Int(wireBytesPerDelivery.rounded())) | \(cpu) | \(EchoBenchmark.fmt(latencyMilliseconds.p99)) | \(lost) |"
        }

        public static let tableHeader = "| mode | bytes on the wire per delivery | gateway CPU per delivery (us) | p99 (ms) | lost |\n|---|---|---|---|---|"

        /// CPU per state delivered to one spectator: all gateways together, and the load generator.
        var cpuPerDelivery: String {
            guard delivered > 0 else { return "CPU per delivery: no deliveries" }
            func microseconds(_ cores: Double) -> String { String(format: "%.1f", cores * seconds * 1e6 / Double(delivered)) }
            let gateways = coresUsed.filter { $0.key.hasPrefix("gateway") }.values.reduce(0, +)
            var parts = ["CPU per delivery:"]
            if gateways > 0 { parts.append("gateways \(microseconds(gateways)) us,") }
            parts.append("load generator \(microseconds(coresUsed["load generator"] ?? 0)) us")
            return parts.joined(separator: " ")
        }
    }

    public static func run(_ options: Options, progress: @escaping @Sendable (String) -> Void) async throws -> Report {
        let (stack, urls, processes) = try options.load.targets(maxConnections: options.spectators + 100, progress: progress)
        defer { stack?.stop() }
        // The players get a loop of their own: their commands go out on time however busy the
        // spectators' threads are.
        return try await LoadSupport.withEventLoopGroup(threads: 1) { playersGroup in
            let playersLoop = playersGroup.next()
            let host = try await GameClient.connect(to: urls[0], on: playersLoop).get()
            let guest = try await GameClient.connect(to: urls[1 % urls.count], on: playersLoop).get()
            let driver = try await GameDriver.setUp(host: host, guest: guest, interval: .nanoseconds(Int64(1e9 / options.rate)))
            let game = driver.game
            progress("game \(game) created; connecting \(options.spectators) spectators")

            let swarm = try SpectatorSwarm(game: game, threads: options.load.threads, deflate: options.mode == .deflate || options.mode == .patchDeflate,
                                           patches: options.mode == .patch || options.mode == .patchDeflate,
                                           stateInterval: UInt64(1e9 / max(options.rate, 0.001)))
            // Also on the way out through an error: the readers are threads of their own.
            defer { _ = swarm.finish() }
            try await swarm.connect(count: options.spectators, to: urls, progress: progress)
            try await driver.startPlaying()
            let (window, cores) = try await LoadSupport.measuredWindow(
                warmup: options.load.warmup, duration: options.load.duration, processes: processes, progress: progress
            ) {
                "\(try await driver.eventLoop.submit { driver.commands }.get()) commands"
            }
            let (sent, errors, stuck) = try await driver.eventLoop.submit { () -> ([Int: UInt64], [String: Int], Bool) in
                driver.stop()
                return (driver.sentAtSeq, driver.errors, driver.stuck)
            }.get()
            // Let the last states reach everyone.
            try await Task.sleep(for: .seconds(1))
            let measured = sent.filter { window.contains($0.value) }
            var arrivalSamples = LatencySamples(), readSamples = LatencySamples()
            var delivered = 0
            var closed = 0
            var unstamped = 0
            var sharedStamps = 0
            var brokenPatches = 0
            // Per state: the first spectator's delay (the pipeline: player, gateway, Redis, authority,
            // Redis, gateway, first client) and the last one's (plus the whole fan-out).
            var firstArrival: [Int: UInt64] = [:], lastArrival: [Int: UInt64] = [:]
            let outcomes = swarm.finish()
            let frames = swarm.frames
            let wireBytes = outcomes.reduce(0) { $0 + $1.wireBytes }
            let statesReceived = outcomes.reduce(0) { $0 + $1.states }
            for outcome in outcomes {
                if outcome.closedReason != nil { closed += 1 }
                sharedStamps += outcome.sharedStampReads
                brokenPatches += outcome.brokenPatches
                var seen = Set<Int>()
                for arrival in outcome.arrivals where seen.insert(arrival.seq).inserted {
                    guard let sentAt = measured[arrival.seq], arrival.arrived >= sentAt else { continue }
                    delivered += 1
                    if !arrival.stamped { unstamped += 1 }
                    let delay = arrival.arrived - sentAt
                    arrivalSamples.add(nanoseconds: delay)
                    readSamples.add(nanoseconds: arrival.read - sentAt)
                    firstArrival[arrival.seq] = min(firstArrival[arrival.seq] ?? .max, delay)
                    lastArrival[arrival.seq] = max(lastArrival[arrival.seq] ?? 0, delay)
                }
            }
            for client in [host, guest] { client.eventLoop.execute { client.client.close() } }
            try await Task.sleep(for: .milliseconds(500))
            let expected = measured.count * outcomes.count
            let gatewayThreads = options.load.urls.isEmpty
                ? "\(options.load.threadsPerGateway) event loop(s) per gateway"
                : "gateways as started"
            let threads = "\(gatewayThreads); load generator: players on 1 event loop, spectators on \(max(1, options.load.threads)) reader thread(s) at \(swarm.readerPriority), on \(System.coreCount) cores"
            return Report(
                mode: options.mode,
                spectators: outcomes.count, gateways: urls.count, rate: options.rate, seconds: options.load.duration,
                states: measured.count, statesPerSecond: Double(measured.count) / options.load.duration,
                expected: expected, delivered: delivered, lost: expected - delivered,
                latencyMilliseconds: arrivalSamples.percentiles(),
                readLatencyMilliseconds: readSamples.percentiles(),
                firstSpectatorMilliseconds: LatencySamples(nanoseconds: Array(firstArrival.values)).percentiles(),
                lastSpectatorMilliseconds: LatencySamples(nanoseconds: Array(lastArrival.values)).percentiles(),
                spectatorsClosed: closed, unstampedDeliveries: unstamped, sharedStampReads: sharedStamps,
                brokenPatches: brokenPatches, framesDecoded: frames.decoded, framesRecognised: frames.recognised, errors: errors, stuck: stuck,
                coresUsed: cores,
                wireBytesPerDelivery: statesReceived > 0 ? Double(wireBytes) / Double(statesReceived) : 0,
                threads: threads)
        }
    }
}
