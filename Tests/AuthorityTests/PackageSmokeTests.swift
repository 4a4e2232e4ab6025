import Testing

@Suite struct AuthorityPackageSmokeTests {
    @Test func targetBuilds() { #expect(Bool(true)) }
}
