import Redis
import Testing

/// The redirection rules: answers in, steps out.
@Suite struct RedisClusterRetryTests {
    static let a = RedisClusterNode(host: "127.0.0.1", port: 7000)
    static let b = RedisClusterNode(host: "127.0.0.1", port: 7001)

    @Test(arguments: [
        (RESPValue.simpleString("OK"), RedisClusterRetry.Action.finish(.simpleString("OK"))),
        (.error("WRONGTYPE Operation against a key"), .finish(.error("WRONGTYPE Operation against a key"))),
        (.error("MOVED 3999 127.0.0.1:7001"), .moved(slot: 3999, node: b)),
        (.error("ASK 3999 127.0.0.1:7001"), .ask(node: b)),
        (.error("MOVED 3999 :7001"), .moved(slot: 3999, node: b)),  // endpoint unknown: the host that answered
        // IPv6 as Redis writes it (7.0.15 on ::1 answered `MOVED 12182 ::1:7602`), and bracketed.
        (.error("MOVED 12182 ::1:7602"), .moved(slot: 12182, node: RedisClusterNode(host: "::1", port: 7602))),
        (.error("ASK 1 fd00::5:6379"), .ask(node: RedisClusterNode(host: "fd00::5", port: 6379))),
        (.error("MOVED 1 [fd00::5]:6379"), .moved(slot: 1, node: RedisClusterNode(host: "fd00::5", port: 6379))),
        (.error("MOVED 1 ::1:"), .finish(.error("MOVED 1 ::1:"))),
        (.error("TRYAGAIN Multiple keys request during rehashing of slot"), .retry(refresh: false, delayMilliseconds: 25)),
        (.error("CLUSTERDOWN The cluster is down"), .retry(refresh: true, delayMilliseconds: 25)),
        (.error("READONLY You can't write against a read only replica."), .retry(refresh: true, delayMilliseconds: 25)),
        // Malformed redirections are plain errors for the caller, never hops to a made-up node.
        (.error("MOVED 16384 127.0.0.1:7001"), .finish(.error("MOVED 16384 127.0.0.1:7001"))),
        (.error("MOVED -1 127.0.0.1:7001"), .finish(.error("MOVED -1 127.0.0.1:7001"))),
        (.error("MOVED 1 127.0.0.1:0"), .finish(.error("MOVED 1 127.0.0.1:0"))),
        (.error("MOVED 1 127.0.0.1"), .finish(.error("MOVED 1 127.0.0.1"))),
        (.error("MOVED 1"), .finish(.error("MOVED 1"))),
        (.error("MOVED 1 a:1 extra"), .finish(.error("MOVED 1 a:1 extra"))),
        (.error("MOVED +1 a:1"), .finish(.error("MOVED +1 a:1"))),
        (.error("MOVED ０ a:1"), .finish(.error("MOVED ０ a:1"))),
        (.error("ASK x 127.0.0.1:7001"), .finish(.error("ASK x 127.0.0.1:7001"))),
        (.error("moved 1 a:1"), .finish(.error("moved 1 a:1"))),
    ])
    func firstAnswer(_ reply: RESPValue, _ action: RedisClusterRetry.Action) {
        var retry = RedisClusterRetry(command: "GET")
        #expect(retry.next(after: .reply(reply, from: Self.a)) == action)
    }

    @Test func unreachableNodesAreRetriedButInFlightFailuresAreNot() {
        var retry = RedisClusterRetry(command: "GET")
        #expect(retry.next(after: .unreachable(.connectionRefused(host: "h", port: 1))) == .retry(refresh: true, delayMilliseconds: 25))
        #expect(retry.next(after: .unreachable(.notConnected(.disconnected))) == .retry(refresh: true, delayMilliseconds: 50))
        // It may have run: not sent twice.
        #expect(retry.next(after: .unreachable(.connectionClosed(reason: "EOF"))) == .fail(.connectionClosed(reason: "EOF")))
        #expect(retry.next(after: .unreachable(.timeout(milliseconds: 5))) == .fail(.timeout(milliseconds: 5)))
        #expect(retry.next(after: .unreachable(.clientClosed)) == .fail(.clientClosed))
    }

    @Test func aRedirectionLoopEndsWithAClearError() {
        var retry = RedisClusterRetry(command: "SET", maximumAttempts: 5)
        var actions: [RedisClusterRetry.Action] = []
        for hop in 0..<10 {
            let (from, to) = hop.isMultiple(of: 2) ? (Self.a, Self.b) : (Self.b, Self.a)
            let action = retry.next(after: .reply(.error("MOVED 7 \(to)"), from: from))
            actions.append(action)
            if case .fail = action { break }
        }
        #expect(actions.count == 5)
        #expect(actions.last == .fail(.clusterRetriesExhausted(command: "SET", attempts: 5, last: "-MOVED 7 127.0.0.1:7001 from 127.0.0.1:7000")))
        #expect(retry.attempts == 5)
    }

    @Test func delaysGrowAndAreCapped() {
        var retry = RedisClusterRetry(command: "GET", maximumAttempts: 12)
        var delays: [Int] = []
        while case .retry(_, let delay) = retry.next(after: .reply(.error("CLUSTERDOWN Hash slot not served"), from: Self.a)) {
            delays.append(delay)
        }
        #expect(delays == [25, 50, 100, 200, 400, 800, 1000, 1000, 1000, 1000, 1000])
    }
}
