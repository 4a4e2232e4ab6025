import Foundation
import LocalProcesses
import NIOCore
import NIOPosix
import Redis

/// `monopoly bench redis`: pipelined PUBLISH throughput and round-trip latency of our client,
/// printed beside `redis-benchmark` running the same PUBLISH with the same number of connections
/// and the same pipeline depth, against the same redis-server, in the same run.
///
/// Runs alternate (redis-benchmark, ours, redis-benchmark, ours ...) and the best of each is
/// reported, so background load on a shared machine hurts both sides alike.
public enum RedisBenchmark {
    public struct Options: Sendable {
        public var requests = 1_000_000
        public var connections = 50
        public var pipeline = 16
        public var payloadBytes = 64
        public var runs = 3
        public var latencyRequests = 20_000
        public var eventLoopThreads = 1
        /// nil: start a private redis-server on an ephemeral port.
        public var redisURL: String?
        public init() {}
    }

    public struct Figures: Sendable {
        public var requestsPerSecond: Double
        public var p50Milliseconds: Double
        public var p99Milliseconds: Double
        /// CPU (user + system, all threads of the process) per request: unlike req/s, barely moved
        /// by other load on the machine. Measured for redis-benchmark and the pipelineFuture row.
        public var cpuMicrosecondsPerRequest: Double?
    }

    public struct Report: Sendable, CustomStringConvertible {
        public var options: Options
        public var server: String
        public var redisBenchmarkPipelined: Figures
        public var oursPipelinedFutures: Figures
        public var oursPipelinedAsync: Figures
        public var oursAutoBatched: Figures
        public var redisBenchmarkSingle: Figures
        public var oursSingle: Figures
        /// ours (pipelineFuture) / redis-benchmark within each run: back-to-back pairs see about the
        /// same background load, so their median is steadier than the ratio of bests.
        public var pairedRatios: [Double]

        public var cpuRatio: Double? {
            guard let theirs = redisBenchmarkPipelined.cpuMicrosecondsPerRequest,
                  let ours = oursPipelinedFutures.cpuMicrosecondsPerRequest, ours > 0 else { return nil }
            return theirs / ours
        }

        public var medianPairedRatio: Double {
            let sorted = pairedRatios.sorted()
            guard !sorted.isEmpty else { return 0 }
            return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
        }

        public var ratio: Double { oursPipelinedFutures.requestsPerSecond / redisBenchmarkPipelined.requestsPerSecond }

        public var description: String {
            let o = options
            func row(_ name: String, _ f: Figures, _ reference: Figures?) -> String {
                pad(name, 58) + pad(fmt(f.requestsPerSecond), 12, right: true)
                    + pad(fmt3(f.p50Milliseconds), 10, right: true) + pad(fmt3(f.p99Milliseconds), 10, right: true)
                    + pad(reference.map { fmt2(f.requestsPerSecond / $0.requestsPerSecond) + "x" } ?? "", 9, right: true)
                    + pad(f.cpuMicrosecondsPerRequest.map(fmt2) ?? "", 13, right: true)
            }
            return [
                "Redis PUBLISH, \(o.payloadBytes)-byte payload, no subscribers, server \(server); best of \(o.runs) alternating runs",
                "throughput: \(o.requests) requests, \(o.connections) connections, pipeline depth \(o.pipeline); latency = round trip of one pipelined batch",
                "",
                pad("", 58) + pad("req/s", 12, right: true) + pad("p50 ms", 10, right: true) + pad("p99 ms", 10, right: true) + pad("vs r-b", 9, right: true) + pad("CPU µs/req", 13, right: true),
                row("redis-benchmark -c \(o.connections) -P \(o.pipeline)", redisBenchmarkPipelined, nil),
                row("ours: pipelineFuture (event-loop futures)", oursPipelinedFutures, redisBenchmarkPipelined),
                row("ours: await pipeline (async/await)", oursPipelinedAsync, redisBenchmarkPipelined),
                row("ours: await publish() x\(o.connections * o.pipeline) tasks, 1 connection", oursAutoBatched, redisBenchmarkPipelined),
                "",
                "single round trip: \(o.latencyRequests) sequential PUBLISH on 1 connection, nothing pipelined",
                row("redis-benchmark -c 1 -P 1", redisBenchmarkSingle, nil),
                row("ours: await publish()", oursSingle, redisBenchmarkSingle),
                "",
                "ratio (ours pipelineFuture / redis-benchmark, same connections and depth): best \(fmt2(ratio))x, "
                    + "median of per-run pairs \(fmt2(medianPairedRatio))x [\(pairedRatios.map(fmt2).joined(separator: " "))] (goal >= 0.8x)",
                "CPU per request, redis-benchmark / ours (load-independent efficiency): "
                    + (cpuRatio.map { fmt2($0) + "x" } ?? "n/a"),
            ].joined(separator: "\n")
        }
    }

    public static func run(_ options: Options, log: @escaping @Sendable (String) -> Void = { _ in }) async throws -> Report {
        var server: RedisServerProcess?
        let url: String
        if let given = options.redisURL {
            url = given
        } else {
            let started = try RedisServerProcess()
            server = started
            url = started.url
        }
        defer { server?.stop() }
        var config = try RedisConfiguration(url: url)
        config.healthCheckInterval = nil
        config.commandTimeout = .seconds(30)
        log("redis: \(config.redactedURL)\(server == nil ? "" : " (started for this run)")")

        let group = MultiThreadedEventLoopGroup(numberOfThreads: options.eventLoopThreads)
        do {
            let report = try await measure(options, config, group, log)
            try? await group.shutdownGracefully()
            return report
        } catch {
            try? await group.shutdownGracefully()
            throw error
        }
    }

    static func measure(_ options: Options, _ config: RedisConfiguration, _ group: EventLoopGroup,
                        _ log: @escaping @Sendable (String) -> Void) async throws -> Report {
        var clients: [RedisClient] = []
        for _ in 0..<options.connections {
            clients.append(try await RedisClient.connect(configuration: config, eventLoopGroup: group))
        }
        let payload = RedisArgument([UInt8](repeating: UInt8(ascii: "x"), count: options.payloadBytes))
        let channel = "bench.publish"

        // Warm up both.
        _ = try await pipelinedFutures(clients, requests: options.connections * options.pipeline * 100, depth: options.pipeline,
                                       channel: channel, payload: payload)

        var rb: Figures?, futures: Figures?, asyncFigures: Figures?, auto: Figures?
        var pairedRatios: [Double] = []
        for run in 1...options.runs {
            let r = try redisBenchmark(config, connections: options.connections, requests: options.requests,
                                       pipeline: options.pipeline, channel: channel, payloadBytes: options.payloadBytes)
            log("run \(run): redis-benchmark \(fmt(r.requestsPerSecond)) req/s")
            rb = best(rb, r)
            let f = try await pipelinedFutures(clients, requests: options.requests, depth: options.pipeline,
                                               channel: channel, payload: payload)
            log("run \(run): ours (futures) \(fmt(f.requestsPerSecond)) req/s")
            futures = best(futures, f)
            pairedRatios.append(f.requestsPerSecond / r.requestsPerSecond)
            let a = try await pipelinedAsync(clients, requests: options.requests, depth: options.pipeline,
                                             channel: channel, payload: payload)
            log("run \(run): ours (async) \(fmt(a.requestsPerSecond)) req/s")
            asyncFigures = best(asyncFigures, a)
            let b = try await autoBatched(clients[0], tasks: options.connections * options.pipeline,
                                          requests: options.requests / 2, channel: channel, payload: payload)
            log("run \(run): ours (publish() tasks) \(fmt(b.requestsPerSecond)) req/s")
            auto = best(auto, b)
        }

        var rbSingle: Figures?, oursSingle: Figures?
        for _ in 1...options.runs {
            var single = try redisBenchmark(config, connections: 1, requests: options.latencyRequests, pipeline: 1,
                                            channel: channel, payloadBytes: options.payloadBytes)
            single.cpuMicrosecondsPerRequest = nil  // latency row: CPU not compared
            rbSingle = best(rbSingle, single)
            oursSingle = best(oursSingle, try await sequential(clients[0], requests: options.latencyRequests,
                                                               channel: channel, payload: payload))
        }
        for client in clients { await client.close() }
        return Report(options: options, server: config.redactedURL, redisBenchmarkPipelined: rb!,
                      oursPipelinedFutures: futures!, oursPipelinedAsync: asyncFigures!, oursAutoBatched: auto!,
                      redisBenchmarkSingle: rbSingle!, oursSingle: oursSingle!, pairedRatios: pairedRatios)
    }

    // MARK: Our client

    /// Each connection keeps one batch of `depth` PUBLISHes in flight, driven by futures on its
    /// event loop (the way NIO code such as the gateway uses the client): like redis-benchmark -P.
    static func pipelinedFutures(_ clients: [RedisClient], requests: Int, depth: Int,
                                 channel: String, payload: RedisArgument) async throws -> Figures {
        let batch: [[RedisArgument]] = Array(repeating: ["PUBLISH", RedisArgument(channel), payload], count: depth)
        let batches = split(requests / depth, into: clients.count)
        let clock = ContinuousClock()
        let start = clock.now
        let cpuBefore = cpuSeconds(children: false)
        let latencies = try await withThrowingTaskGroup(of: [UInt64].self) { group in
            for (client, count) in zip(clients, batches) {
                group.addTask { try await FutureDriver(client: client, batch: batch, batches: count).run() }
            }
            var all: [UInt64] = []
            for try await part in group { all += part }
            return all
        }
        let total = batches.reduce(0, +) * depth
        var result = figures(requests: total, elapsed: clock.now - start, latencies: latencies)
        result.cpuMicrosecondsPerRequest = (cpuSeconds(children: false) - cpuBefore) * 1e6 / Double(total)
        return result
    }

    final class FutureDriver: @unchecked Sendable {  // state touched only on client.eventLoop
        let client: RedisClient
        let batch: [[RedisArgument]]
        var remaining: Int
        var latencies: [UInt64] = []
        let promise: EventLoopPromise<[UInt64]>

        init(client: RedisClient, batch: [[RedisArgument]], batches: Int) {
            self.client = client
            self.batch = batch
            self.remaining = batches
            self.latencies.reserveCapacity(batches)
            self.promise = client.eventLoop.makePromise()
        }

        func run() async throws -> [UInt64] {
            client.eventLoop.execute { self.next() }
            return try await promise.futureResult.get()
        }

        private func next() {
            guard remaining > 0 else { promise.succeed(latencies); return }
            remaining -= 1
            let started = DispatchTime.now().uptimeNanoseconds
            client.pipelineFuture(batch).whenComplete { result in
                switch result {
                case .success(let replies):
                    guard replies.count == self.batch.count, case .integer = replies[0] else {
                        self.promise.fail(RedisError.unexpectedReply("PUBLISH batch returned \(replies.first.map { "\($0)" } ?? "nothing")"))
                        return
                    }
                    self.latencies.append(DispatchTime.now().uptimeNanoseconds - started)
                    self.next()
                case .failure(let error):
                    self.promise.fail(error)
                }
            }
        }
    }

    /// Same as above from Swift concurrency: one task per connection awaiting `pipeline(_:)`.
    static func pipelinedAsync(_ clients: [RedisClient], requests: Int, depth: Int,
                               channel: String, payload: RedisArgument) async throws -> Figures {
        let batch: [[RedisArgument]] = Array(repeating: ["PUBLISH", RedisArgument(channel), payload], count: depth)
        return try await timedTasks(split(requests / depth, into: clients.count), requestsPerCall: depth) { task in
            let replies = try await clients[task].pipeline(batch)
            precondition(replies.count == batch.count)
        }
    }

    /// Many tasks each awaiting single `publish` calls on ONE connection: no explicit pipeline, the
    /// client batches their writes itself (one flush per event-loop tick).
    static func autoBatched(_ client: RedisClient, tasks: Int, requests: Int,
                            channel: String, payload: RedisArgument) async throws -> Figures {
        try await timedTasks(split(requests, into: tasks), requestsPerCall: 1) { _ in
            _ = try await client.publish(channel, payload)
        }
    }

    static func sequential(_ client: RedisClient, requests: Int, channel: String, payload: RedisArgument) async throws -> Figures {
        try await timedTasks([requests], requestsPerCall: 1) { _ in
            _ = try await client.publish(channel, payload)
        }
    }

    /// Runs one task per entry of `calls`, task i awaiting `call(i)` calls[i] times in a row; times
    /// each call and the whole.
    static func timedTasks(_ calls: [Int], requestsPerCall: Int,
                           _ call: @escaping @Sendable (Int) async throws -> Void) async throws -> Figures {
        let clock = ContinuousClock()
        let start = clock.now
        let latencies = try await withThrowingTaskGroup(of: [UInt64].self) { group in
            for (task, count) in calls.enumerated() {
                group.addTask {
                    var latencies: [UInt64] = []
                    latencies.reserveCapacity(count)
                    for _ in 0..<count {
                        let started = DispatchTime.now().uptimeNanoseconds
                        try await call(task)
                        latencies.append(DispatchTime.now().uptimeNanoseconds - started)
                    }
                    return latencies
                }
            }
            var all: [UInt64] = []
            for try await part in group { all += part }
            return all
        }
        return figures(requests: calls.reduce(0, +) * requestsPerCall, elapsed: clock.now - start, latencies: latencies)
    }

    // MARK: redis-benchmark

    static func redisBenchmark(_ config: RedisConfiguration, connections: Int, requests: Int, pipeline: Int,
                               channel: String, payloadBytes: Int) throws -> Figures {
        var arguments = ["redis-benchmark", "-h", config.host, "-p", String(config.port),
                         "-c", String(connections), "-n", String(requests), "-P", String(pipeline), "--csv"]
        if let password = config.password { arguments += ["-a", password] }
        if let username = config.username { arguments += ["--user", username] }
        if config.database != 0 { arguments += ["--dbnum", String(config.database)] }
        arguments += ["PUBLISH", channel, String(repeating: "x", count: payloadBytes)]
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        let cpuBefore = cpuSeconds(children: true)
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        let cpu = cpuSeconds(children: true) - cpuBefore
        // "test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"
        guard let line = output.split(separator: "\n").last(where: { $0.hasPrefix("\"PUBLISH") }) else {
            throw RedisError.unexpectedReply("redis-benchmark printed no PUBLISH line (is redis-benchmark installed?): \(output)")
        }
        let fields = line.split(separator: ",").map { Double($0.trimmingCharacters(in: CharacterSet(charactersIn: "\""))) }
        guard fields.count >= 7, let rps = fields[1], let p50 = fields[4], let p99 = fields[6] else {
            throw RedisError.unexpectedReply("cannot parse redis-benchmark output: \(line)")
        }
        return Figures(requestsPerSecond: rps, p50Milliseconds: p50, p99Milliseconds: p99,
                       cpuMicrosecondsPerRequest: cpu > 0 ? cpu * 1e6 / Double(requests) : nil)
    }

    /// User + system CPU seconds of this process (RUSAGE_SELF) or its reaped children (RUSAGE_CHILDREN).
    static func cpuSeconds(children: Bool) -> Double {
        var usage = rusage()
        #if canImport(Glibc)
        getrusage(__rusage_who_t((children ? RUSAGE_CHILDREN : RUSAGE_SELF).rawValue), &usage)
        #else
        getrusage(children ? RUSAGE_CHILDREN : RUSAGE_SELF, &usage)
        #endif
        return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
            + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
    }

    // MARK: Helpers

    static func split(_ total: Int, into parts: Int) -> [Int] {
        (0..<parts).map { total / parts + ($0 < total % parts ? 1 : 0) }
    }

    static func figures(requests: Int, elapsed: Duration, latencies: [UInt64]) -> Figures {
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let sorted = latencies.sorted()
        func percentile(_ p: Double) -> Double {
            guard !sorted.isEmpty else { return 0 }
            return Double(sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]) / 1e6
        }
        return Figures(requestsPerSecond: Double(requests) / seconds, p50Milliseconds: percentile(0.50),
                       p99Milliseconds: percentile(0.99))
    }

    static func best(_ a: Figures?, _ b: Figures) -> Figures {
        guard let a else { return b }
        return a.requestsPerSecond >= b.requestsPerSecond ? a : b
    }

    static func pad(_ text: String, _ width: Int, right: Bool = false) -> String { CodecBenchmark.pad(text, width, right: right) }
    static func fmt(_ value: Double) -> String { String(Int(value.rounded())) }
    static func fmt2(_ value: Double) -> String { String(format: "%.2f", value) }
    static func fmt3(_ value: Double) -> String { String(format: "%.3f", value) }
}
