import Testing

@Suite struct MonopolyPackageSmokeTests {
    @Test func targetBuilds() { #expect(Bool(true)) }
}
