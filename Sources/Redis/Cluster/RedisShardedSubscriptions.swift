// Which node each sharded channel is subscribed on: the pure core of RedisClusterSubscriber.

/// Sharded channels (SSUBSCRIBE) live on the master of their slot. This core keeps what the caller
/// wants, what each node confirmed and what is in flight, and answers each event with the commands
/// to send: events in, actions out, no I/O. A channel whose slot moved (the node's own
/// `sunsubscribe` notice, a MOVED answer to SSUBSCRIBE, a lost node after a failover) is
/// subscribed again on the master the map names, once the map was learnt again.
public struct RedisShardedSubscriptions: Sendable {
    public enum Event: Sendable, Equatable {
        case subscribe([String])
        case unsubscribe([String])
        /// The node confirmed SSUBSCRIBE of these channels.
        case subscribed([String], on: RedisClusterNode)
        /// SSUBSCRIBE was refused or could not be sent (MOVED, CLUSTERDOWN, node unreachable).
        case subscribeFailed([String], on: RedisClusterNode, RedisClusterRedirect?)
        /// The node unsubscribed the channel by itself (its slot moved away).
        case unsubscribedByServer(String, on: RedisClusterNode)
        /// The connection to the node was lost: its subscriptions are gone.
        case nodeLost(RedisClusterNode)
        /// The slot map was learnt (again).
        case mapLearnt(RedisClusterSlotMap)
    }

    public enum Action: Sendable, Equatable {
        /// SSUBSCRIBE these channels (all of one slot) on the node.
        case subscribe([String], on: RedisClusterNode)
        /// SUNSUBSCRIBE these channels on the node.
        case unsubscribe([String], on: RedisClusterNode)
        /// Learn the slot map again, then report it as ``Event/mapLearnt(_:)``.
        case learnMap
    }

    public private(set) var map: RedisClusterSlotMap
    /// Every channel the caller wants.
    public private(set) var wanted: Set<String> = []
    /// Where each channel is confirmed.
    public private(set) var placed: [String: RedisClusterNode] = [:]
    /// SSUBSCRIBEs in flight.
    private var inFlight: [String: RedisClusterNode] = [:]

    public init(map: RedisClusterSlotMap) { self.map = map }

    public mutating func handle(_ event: Event) -> [Action] {
        switch event {
        case .subscribe(let channels):
            wanted.formUnion(channels)
            return place(channels)
        case .unsubscribe(let channels):
            wanted.subtract(channels)
            var byNode: [RedisClusterNode: [String]] = [:]
            for channel in channels {
                if let node = placed.removeValue(forKey: channel) { byNode[node, default: []].append(channel) }
            }
            return byNode.sorted { $0.key < $1.key }.map { .unsubscribe($0.value.sorted(), on: $0.key) }
        case .subscribed(let channels, let node):
            var stale: [String] = []
            for channel in channels where inFlight[channel] == node {
                inFlight[channel] = nil
                if wanted.contains(channel) { placed[channel] = node } else { stale.append(channel) }
            }
            return stale.isEmpty ? [] : [.unsubscribe(stale.sorted(), on: node)]
        case .subscribeFailed(let channels, let node, let redirect):
            let mine = channels.filter { inFlight[$0] == node }
            for channel in mine { inFlight[channel] = nil }
            if let redirect, redirect.kind == .moved {
                map.assign(slot: redirect.slot, to: redirect.node)
                return place(mine) + [.learnMap]
            }
            return [.learnMap]
        case .unsubscribedByServer(let channel, let node):
            guard placed[channel] == node else { return [] }
            placed[channel] = nil
            return [.learnMap]
        case .nodeLost(let node):
            let lost = placed.filter { $0.value == node }.map(\.key)
            for channel in lost { placed[channel] = nil }
            for (channel, target) in inFlight where target == node { inFlight[channel] = nil }
            return wanted.isEmpty ? [] : [.learnMap]
        case .mapLearnt(let learnt):
            map = learnt
            var actions: [Action] = []
            var moved: [RedisClusterNode: [String]] = [:]
            for (channel, node) in placed where map.master(forSlot: RedisClusterSlot.of(channel)) != node {
                placed[channel] = nil
                moved[node, default: []].append(channel)
            }
            actions += moved.sorted { $0.key < $1.key }.map { .unsubscribe($0.value.sorted(), on: $0.key) }
            return actions + place(Array(wanted))
        }
    }

    /// SSUBSCRIBE of every wanted channel not placed nor in flight, one command per node and slot.
    private mutating func place(_ channels: [String]) -> [Action] {
        var groups: [RedisClusterNode: [Int: [String]]] = [:]
        var unowned = false
        for channel in Set(channels) where wanted.contains(channel) && placed[channel] == nil && inFlight[channel] == nil {
            let slot = RedisClusterSlot.of(channel)
            guard let node = map.master(forSlot: slot) else { unowned = true; continue }
            inFlight[channel] = node
            groups[node, default: [:]][slot, default: []].append(channel)
        }
        var actions: [Action] = []
        for (node, slots) in groups.sorted(by: { $0.key < $1.key }) {
            for (_, names) in slots.sorted(by: { $0.key < $1.key }) { actions.append(.subscribe(names.sorted(), on: node)) }
        }
        return unowned ? actions + [.learnMap] : actions
    }
}
