import Redis
import Testing

/// The sharded subscriptions' decisions: events in, actions out.
@Suite struct RedisShardedSubscriptionsTests {
    static let a = RedisClusterNode(host: "127.0.0.1", port: 7000)
    static let b = RedisClusterNode(host: "127.0.0.1", port: 7001)
    /// Slots below 8192 on a, the rest on b.
    static let map = RedisClusterSlotMap(ranges: [(0...8191, a), (8192...16383, b)])
    static let onA = "monopoly:{ABC123}:state"    // slot 6217
    static let alsoOnA = "monopoly:{ABC123}:other"
    static let onB = "monopoly:{gw1}:x"
    static var slotB: Int { RedisClusterSlot.of(onB) }

    @Test func subscribesEachChannelOnItsMasterOneCommandPerSlot() {
        #expect(Self.slotB >= 8192)
        var core = RedisShardedSubscriptions(map: Self.map)
        #expect(core.handle(.subscribe([Self.onB, Self.onA, Self.alsoOnA])) == [
            .subscribe([Self.alsoOnA, Self.onA], on: Self.a), .subscribe([Self.onB], on: Self.b)])
        #expect(core.handle(.subscribe([Self.onA])) == [])  // in flight already
        #expect(core.handle(.subscribed([Self.alsoOnA, Self.onA], on: Self.a)) == [])
        #expect(core.placed == [Self.onA: Self.a, Self.alsoOnA: Self.a])
        #expect(core.handle(.unsubscribe([Self.onA, "never-subscribed"])) == [.unsubscribe([Self.onA], on: Self.a)])
    }

    @Test func anUnsubscribeWhileSubscribingIsUndoneOnConfirmation() {
        var core = RedisShardedSubscriptions(map: Self.map)
        _ = core.handle(.subscribe([Self.onA]))
        #expect(core.handle(.unsubscribe([Self.onA])) == [])
        #expect(core.handle(.subscribed([Self.onA], on: Self.a)) == [.unsubscribe([Self.onA], on: Self.a)])
        #expect(core.placed.isEmpty)
    }

    @Test func movedOnSubscribeGoesToTheNewMasterAndLearnsTheMap() {
        var core = RedisShardedSubscriptions(map: Self.map)
        _ = core.handle(.subscribe([Self.onA]))
        let redirect = RedisClusterRedirect(kind: .moved, slot: 6217, node: Self.b)
        #expect(core.handle(.subscribeFailed([Self.onA], on: Self.a, redirect)) == [.subscribe([Self.onA], on: Self.b), .learnMap])
        #expect(core.handle(.subscribed([Self.onA], on: Self.b)) == [])
        #expect(core.placed == [Self.onA: Self.b])
    }

    @Test func theServersUnsubscribeNoticeMovesTheChannelOnceTheMapIsLearnt() {
        var core = RedisShardedSubscriptions(map: Self.map)
        _ = core.handle(.subscribe([Self.onA]))
        _ = core.handle(.subscribed([Self.onA], on: Self.a))
        #expect(core.handle(.unsubscribedByServer("other", on: Self.a)) == [])
        #expect(core.handle(.unsubscribedByServer(Self.onA, on: Self.a)) == [.learnMap])
        var moved = Self.map
        moved.assign(slot: 6217, to: Self.b)
        #expect(core.handle(.mapLearnt(moved)) == [.subscribe([Self.onA], on: Self.b)])
    }

    @Test func aLostNodesChannelsComeBackOnTheNewMasterAfterAFailover() {
        var core = RedisShardedSubscriptions(map: Self.map)
        _ = core.handle(.subscribe([Self.onA, Self.onB]))
        _ = core.handle(.subscribed([Self.onA], on: Self.a))
        _ = core.handle(.subscribed([Self.onB], on: Self.b))
        #expect(core.handle(.nodeLost(Self.a)) == [.learnMap])
        #expect(core.placed == [Self.onB: Self.b])
        // Mid-failover the map names no master for a's slots: learn it again later.
        #expect(core.handle(.mapLearnt(RedisClusterSlotMap(ranges: [(8192...16383, Self.b)]))) == [.learnMap])
        let c = RedisClusterNode(host: "127.0.0.1", port: 7002)
        #expect(core.handle(.mapLearnt(RedisClusterSlotMap(ranges: [(0...8191, c), (8192...16383, Self.b)]))) == [.subscribe([Self.onA], on: c)])
    }

    @Test func aFailedSubscribeOnAnUnreachableNodeLearnsTheMap() {
        var core = RedisShardedSubscriptions(map: Self.map)
        _ = core.handle(.subscribe([Self.onA]))
        #expect(core.handle(.subscribeFailed([Self.onA], on: Self.a, nil)) == [.learnMap])
        #expect(core.handle(.mapLearnt(Self.map)) == [.subscribe([Self.onA], on: Self.a)])
        // A late answer from a node the channel is no longer in flight on changes nothing.
        #expect(core.handle(.subscribed([Self.onA], on: Self.b)) == [])
        #expect(core.placed.isEmpty)
    }
}
