import Testing
@testable import Gateway

/// What a heartbeat renewal does, given who holds the gateway's key.
@Suite struct GatewayHeartbeatTests {
    @Test(arguments: [
        ("gw1.aaaaaaaa" as String?, GatewayHeartbeat.Step.extend),
        // Expired: we were away past the timeout (or Redis lost it), and nobody took the name.
        (nil, .claim),
        // A restart under our name, or a second process with it: it is theirs now.
        ("gw1.bbbbbbbb", .lost(holder: "gw1.bbbbbbbb")),
        ("gw1", .lost(holder: "gw1")),
    ])
    func aRenewalExtendsOnlyItsOwnKey(_ holder: String?, _ step: GatewayHeartbeat.Step) {
        #expect(GatewayHeartbeat.step(holder: holder, instance: "gw1.aaaaaaaa") == step)
    }

    /// A gateway that finds its heartbeat lapsed (SIGSTOPped, or cut off from Redis, past the
    /// timeout) closes its seated clients with 1012: the authority may have disconnected them.
    @Test(arguments: [
        (GatewayHeartbeat.Renewal.extended, Duration.seconds(2), false),  // on time
        (.extended, .milliseconds(5_999), false),
        (.extended, .seconds(6), true),  // as late as the timeout: the key expired meanwhile
        (.extended, .seconds(600), true),  // resumed after a long SIGSTOP, the key taken again by nobody yet
        (.reclaimed, .seconds(1), true),  // the key was gone (Redis lost it, or we were away)
        (.reclaimed, .zero, true),
    ])
    func aRenewalTellsWhetherTheHeartbeatLapsed(_ renewal: GatewayHeartbeat.Renewal, _ since: Duration, _ lapsed: Bool) {
        #expect(GatewayHeartbeat.lapsed(renewal, sinceLastRenewal: since, timeout: .seconds(6)) == lapsed)
    }
}
