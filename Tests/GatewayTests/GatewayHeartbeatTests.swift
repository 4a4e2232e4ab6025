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
}
