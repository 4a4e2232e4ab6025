import Testing

@Suite struct GatewayPackageSmokeTests {
    @Test func targetBuilds() { #expect(Bool(true)) }
}
