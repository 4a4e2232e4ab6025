import Testing

@Suite struct RedisPackageSmokeTests {
    @Test func targetBuilds() { #expect(Bool(true)) }
}
