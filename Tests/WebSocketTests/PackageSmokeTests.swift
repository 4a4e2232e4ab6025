import Testing

@Suite struct WebSocketPackageSmokeTests {
    @Test func targetBuilds() { #expect(Bool(true)) }
}
