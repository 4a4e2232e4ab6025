// A real Redis Cluster for tests: N masters with R replicas each, every node a redis-server of its own.
import Foundation

/// `redis-server --cluster-enabled yes` on free ports (the cluster bus on a second free port, via
/// `cluster-port`), joined with `redis-cli --cluster create ... --cluster-replicas R --cluster-yes`.
/// `init` returns once every node says `cluster_state:ok` and every replica's link is up.
/// `cluster-node-timeout` is 5 s unless a test kills a master (then 1000 ms, so its replica takes
/// over quickly): a node starved on a loaded CI machine must not be failed over under a test that
/// did not ask for it. Tests wait by condition (``waitUntil(_:timeout:_:)``), never by a fixed sleep.
public final class RedisClusterProcesses: @unchecked Sendable {
    public let nodes: [RedisServerProcess]
    public let password: String?

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
        public init(description: String) { self.description = description }
    }

    public init(masters: Int = 3, replicasPerMaster: Int = 1, password: String? = nil, nodeTimeoutMilliseconds: Int = 5000) throws {
        self.password = password
        var nodes: [RedisServerProcess] = []
        for _ in 0..<(masters * (1 + replicasPerMaster)) {
            var arguments = ["--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
                             "--cluster-node-timeout", String(nodeTimeoutMilliseconds),
                             "--cluster-port", String(RedisServerProcess.freePort())]
            if let password { arguments += ["--masterauth", password] }
            nodes.append(try RedisServerProcess(password: password, extraArguments: arguments))
        }
        self.nodes = nodes
        var create = ["--cluster", "create"] + nodes.map { "\($0.host):\($0.port)" }
        create += ["--cluster-replicas", String(replicasPerMaster), "--cluster-yes"]
        let output = try nodes[0].cli(create)
        guard output.contains("[OK] All 16384 slots covered") else { throw Failure(description: "cluster create failed:\n\(output)") }
        try waitUntil("cluster_state:ok on every node and every replica linked") { try self.isHealthy() }
    }

    deinit { for node in nodes { node.stop() } }

    /// `127.0.0.1:P1,127.0.0.1:P2,...` of the nodes given (all by default), for `REDIS_CLUSTER`.
    public func seeds(_ of: [RedisServerProcess]? = nil) -> String {
        (of ?? nodes).map { "\($0.host):\($0.port)" }.joined(separator: ",")
    }

    /// One line of `CLUSTER NODES`, as this node sees it.
    public struct NodeInfo: Sendable, Equatable {
        public var id: String
        public var port: Int
        public var flags: Set<String>
        public var masterID: String?
        public var slots: [ClosedRange<Int>]
        public var isMaster: Bool { flags.contains("master") && !flags.contains("fail") }
    }

    /// `CLUSTER NODES` asked of `node` (importing/migrating markers are left out of `slots`).
    public func clusterNodes(askedOf node: RedisServerProcess) throws -> [NodeInfo] {
        try node.cli(["CLUSTER", "NODES"]).split(whereSeparator: \.isNewline).map { line in
            let fields = line.split(separator: " ").map(String.init)
            guard fields.count >= 8, let port = Int(fields[1].split(separator: "@")[0].split(separator: ":").last ?? "") else {
                throw Failure(description: "unexpected CLUSTER NODES line: \(line)")
            }
            let slots = fields.dropFirst(8).filter { !$0.hasPrefix("[") }.compactMap { text -> ClosedRange<Int>? in
                let bounds = text.split(separator: "-").compactMap { Int($0) }
                return bounds.count == 2 ? bounds[0]...bounds[1] : bounds.first.map { $0...$0 }
            }
            return NodeInfo(id: fields[0], port: port, flags: Set(fields[2].split(separator: ",").map(String.init)),
                            masterID: fields[3] == "-" ? nil : fields[3], slots: slots)
        }
    }

    public func node(port: Int) -> RedisServerProcess? { nodes.first { $0.port == port } }

    /// The running nodes that serve slots, as a running node sees them.
    public func masters() throws -> [RedisServerProcess] {
        guard let asked = nodes.first(where: \.isRunning) else { return [] }
        return try clusterNodes(askedOf: asked).filter { $0.isMaster && !$0.slots.isEmpty }.compactMap { node(port: $0.port) }
            .filter(\.isRunning)
    }

    /// The master serving `slot`, as `askedOf` (or the first running node) sees it.
    public func master(ofSlot slot: Int, askedOf: RedisServerProcess? = nil) throws -> RedisServerProcess? {
        guard let asked = askedOf ?? nodes.first(where: \.isRunning) else { return nil }
        let info = try clusterNodes(askedOf: asked).first { $0.isMaster && $0.slots.contains { $0.contains(slot) } }
        return info.flatMap { node(port: $0.port) }
    }

    public func id(of node: RedisServerProcess) throws -> String {
        try node.cli(["CLUSTER", "MYID"])
    }

    /// Every running node agrees the cluster is ok, and every running replica's link to its master is up.
    public func isHealthy() throws -> Bool {
        for node in nodes where node.isRunning {
            guard try node.cli(["CLUSTER", "INFO"]).contains("cluster_state:ok") else { return false }
            let replication = try node.cli(["INFO", "replication"])
            if replication.contains("role:slave") && !replication.contains("master_link_status:up") { return false }
        }
        return true
    }

    /// True once every replica of `master` has received everything the master wrote so far.
    public func replicasCaughtUp(_ master: RedisServerProcess) throws -> Bool {
        let info = try master.cli(["INFO", "replication"])
        guard let offset = Self.field("master_repl_offset", info) else { return false }
        let replicas = info.split(whereSeparator: \.isNewline).filter { $0.hasPrefix("slave") && $0.contains("offset=") }
        guard !replicas.isEmpty else { return false }
        return replicas.allSatisfy { line in
            line.split(separator: ",").first { $0.hasPrefix("offset=") }.flatMap { Int($0.dropFirst("offset=".count)) } == offset
        }
    }

    private static func field(_ name: String, _ info: String) -> Int? {
        info.split(whereSeparator: \.isNewline).first { $0.hasPrefix(name + ":") }
            .flatMap { Int($0.dropFirst(name.count + 1).trimmingCharacters(in: .whitespacesAndNewlines)) }
    }

    /// Polls `condition` every 50 ms until it holds or `timeout` passes (then checks once more: a
    /// starved test thread is not the condition failing).
    public func waitUntil(_ what: String, timeout: TimeInterval = 60, _ condition: () throws -> Bool) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if (try? condition()) == true { return }
            Thread.sleep(forTimeInterval: 0.05)
        }
        if try condition() { return }
        throw Failure(description: "timed out after \(Int(timeout)) s waiting for \(what)")
    }
}
