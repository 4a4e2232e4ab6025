import RelayProtocol
import Testing

/// Gateway names and per-boot instance ids (`GatewayIdentity`).
@Suite struct GatewayIdentityTests {
    @Test(arguments: [
        ("gw1.3fa9c2d1", "gw1"),
        ("gateway-1.00000000", "gateway-1"),
        ("gw-web1-example-com-7-0a1b.ffffffff", "gw-web1-example-com-7-0a1b"),
        // A gateway from before instance ids: its id is its name.
        ("gw1", "gw1"),
        ("gw1.a.b", "gw1"),
    ])
    func anInstanceNamesItsHeartbeatByThePartBeforeTheBootSuffix(_ instance: String, _ name: String) {
        #expect(GatewayIdentity.name(ofInstance: instance) == name)
        #expect(GatewayIdentity(instance: instance).name == name)
    }

    @Test(arguments: [
        ("web1", Int32(42), UInt64(0xab), "gw-web1-42-00ab"),
        // Dots, colons and other characters a name may not hold become dashes.
        ("web1.example.com", Int32(7), UInt64(0x1234), "gw-web1-example-com-7-1234"),
        ("host:α", Int32(1), UInt64(0xfffff), "gw-host---1-ffff"),
        ("", Int32(1), UInt64(1), "gw-host-1-0001"),
    ])
    func aGeneratedNameIsHostPidAndRandom(_ host: String, _ pid: Int32, _ random: UInt64, _ expected: String) {
        let name = GatewayIdentity.generatedName(hostName: host, pid: pid, random: random)
        #expect(name == expected)
        #expect(GatewayIdentity.isValidName(name))
    }

    @Test func aLongHostNameIsCutSoTheNameFitsItsBound() {
        let name = GatewayIdentity.generatedName(hostName: String(repeating: "h", count: 300), pid: Int32.max, random: .max)
        #expect(name.utf8.count == GatewayIdentity.maximumNameLength)
        #expect(name.hasSuffix("-\(Int32.max)-ffff"))
        #expect(GatewayIdentity.isValidName(name))
    }

    @Test func everyBootDrawsANewInstanceUnderTheSameConfiguredName() {
        let boots = (0..<50).map { _ in GatewayIdentity.forThisBoot(configured: "gw1", hostName: "h", pid: 1) }
        #expect(Set(boots.map(\.name)) == ["gw1"])
        #expect(Set(boots.map(\.instance)).count == 50)
        #expect(boots.allSatisfy { $0.instance.hasPrefix("gw1.") && $0.instance.utf8.count == "gw1.".utf8.count + 8 })
        // Unset: a name of its own every boot too.
        let unnamed = (0..<50).map { _ in GatewayIdentity.forThisBoot(configured: nil, hostName: "h", pid: 1).name }
        #expect(Set(unnamed).count > 1)
    }

    @Test(arguments: [("gw1", true), ("gateway_2-b", true), ("", false), ("gw1.x", false), ("gw 1", false),
                      (String(repeating: "g", count: 64), true), (String(repeating: "g", count: 65), false)])
    func aNameHoldsLettersDigitsDashAndUnderscore(_ name: String, _ valid: Bool) {
        #expect(GatewayIdentity.isValidName(name) == valid)
    }
}
