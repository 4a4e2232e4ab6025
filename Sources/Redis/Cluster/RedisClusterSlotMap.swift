// Which master serves each hash slot, decoded once from CLUSTER SLOTS.

/// The cluster's slot map: for each of the 16,384 slots, the master that serves it (or none).
///
/// Built from a `CLUSTER SLOTS` reply, which is Redis input and checked as such: every range must
/// be two integers within 0...16383 in order, no slot may be claimed twice, every master must have
/// a usable address. A reply that fails any check is refused whole (the client keeps its old map).
public struct RedisClusterSlotMap: Sendable, Equatable {
    /// Every master that serves at least one slot, sorted.
    public private(set) var masters: [RedisClusterNode]
    /// Index into `masters` per slot; -1 when no master serves it.
    private var owners: [Int16]
    /// Replicas `CLUSTER SLOTS` listed for each master (it leaves failed ones out): how many a
    /// write can wait for (`WAIT`). 0 for a master learnt from a redirection only.
    public private(set) var replicaCounts: [RedisClusterNode: Int] = [:]

    /// The most masters a reply may name: Redis Cluster is designed for up to 1,000 nodes. A reply
    /// past it (a master per slot) is refused: the map would be built in quadratic time and each
    /// refresh would dial every master in turn.
    public static let maximumMasters = 1_000

    public init() {
        masters = []
        owners = Array(repeating: -1, count: RedisClusterSlot.count)
    }

    /// `ranges`: slot ranges and their masters (tests, and the parser after checking).
    public init(ranges: [(ClosedRange<Int>, RedisClusterNode)]) {
        self.init()
        masters = Array(Set(ranges.map(\.1))).sorted()
        for (range, node) in ranges {
            let index = Int16(masters.firstIndex(of: node)!)
            for slot in range { owners[slot] = index }
        }
    }

    /// The master serving `slot`, nil when none does (or the slot is out of range).
    public func master(forSlot slot: Int) -> RedisClusterNode? {
        guard (0..<RedisClusterSlot.count).contains(slot) else { return nil }
        let index = owners[slot]
        return index < 0 ? nil : masters[Int(index)]
    }

    /// How many slots have a master (16,384 in a healthy cluster).
    public var coveredSlots: Int { owners.count { $0 >= 0 } }

    /// A MOVED redirection: `slot` is served by `node` now.
    public mutating func assign(slot: Int, to node: RedisClusterNode) {
        guard (0..<RedisClusterSlot.count).contains(slot) else { return }
        let index: Int
        if let known = masters.firstIndex(of: node) {
            index = known
        } else {
            masters.append(node)
            index = masters.count - 1
        }
        owners[slot] = Int16(index)
        // A master that lost its last slot is forgotten (it was failed over or emptied).
        let used = Set(owners.filter { $0 >= 0 })
        if used.count != masters.count {
            let counts = replicaCounts
            self = Self(ranges: ranges)
            replicaCounts = counts.filter { masters.contains($0.key) }
        }
    }

    /// The replicas listed for the master of `slot` (0 when none, or no master).
    public func replicaCount(forSlot slot: Int) -> Int {
        master(forSlot: slot).flatMap { replicaCounts[$0] } ?? 0
    }

    /// The map as ranges of consecutive slots with one master each.
    public var ranges: [(ClosedRange<Int>, RedisClusterNode)] {
        var result: [(ClosedRange<Int>, RedisClusterNode)] = []
        var start = 0
        while start < owners.count {
            var end = start
            while end + 1 < owners.count && owners[end + 1] == owners[start] { end += 1 }
            if owners[start] >= 0 { result.append((start...end, masters[Int(owners[start])])) }
            start = end + 1
        }
        return result
    }

    public static func == (a: Self, b: Self) -> Bool {
        a.ranges.map(\.0) == b.ranges.map(\.0) && a.ranges.map(\.1) == b.ranges.map(\.1) && a.replicaCounts == b.replicaCounts
    }

    /// Decodes a `CLUSTER SLOTS` reply: `[[start, end, [host, port, id, ...], replicas...], ...]`.
    /// `replyingHost` stands in for a null or empty host (the node does not know its own address).
    /// Throws ``RedisError/clusterSlotMap(_:)`` naming the first problem.
    public init(clusterSlots reply: RESPValue, replyingHost: String) throws {
        func bad(_ reason: String) -> RedisError { .clusterSlotMap("CLUSTER SLOTS reply refused: \(reason)") }
        guard case .array(let entries) = reply else { throw bad("not an array: \(reply)") }
        guard !entries.isEmpty else { throw bad("no slot is assigned to any node") }
        var ranges: [(ClosedRange<Int>, RedisClusterNode)] = []
        var replicas: [RedisClusterNode: Int] = [:]
        var claimed = [Bool](repeating: false, count: RedisClusterSlot.count)
        for (position, entry) in entries.enumerated() {
            guard case .array(let fields) = entry, fields.count >= 3 else { throw bad("range \(position) is not [start, end, master, ...]") }
            guard case .integer(let start) = fields[0], case .integer(let end) = fields[1],
                  (0..<RedisClusterSlot.count).contains(start), (0..<RedisClusterSlot.count).contains(end), start <= end else {
                throw bad("range \(position) has bad bounds \(fields[0]) ... \(fields[1])")
            }
            guard let master = Self.node(fields[2], replyingHost: replyingHost) else {
                throw bad("range \(start)-\(end) has no usable master address: \(fields[2])")
            }
            if let twice = (start...end).first(where: { claimed[$0] }) { throw bad("slot \(twice) is claimed twice") }
            for slot in start...end { claimed[slot] = true }
            ranges.append((start...end, master))
            replicas[master] = max(replicas[master] ?? 0, fields.count - 3)
            if replicas.count > Self.maximumMasters { throw bad("more than \(Self.maximumMasters) masters") }
        }
        self.init(ranges: ranges)
        replicaCounts = replicas
    }

    /// `[host, port, ...]`: host a non-empty string (null or "" = `replyingHost`; "?" = unknown, refused).
    private static func node(_ value: RESPValue, replyingHost: String) -> RedisClusterNode? {
        guard case .array(let fields) = value, fields.count >= 2, case .integer(let port) = fields[1],
              (1...65535).contains(port) else { return nil }
        let host: String
        switch fields[0] {
        case .null: host = replyingHost
        case .bulkString(let bytes) where bytes.isEmpty: host = replyingHost
        case .bulkString(let bytes) where bytes.count <= 255:
            host = String(decoding: bytes, as: UTF8.self)
            guard host != "?", host.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F }) else { return nil }
        default: return nil
        }
        return RedisClusterNode(host: host, port: port)
    }
}
