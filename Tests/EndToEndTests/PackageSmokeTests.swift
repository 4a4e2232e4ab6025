import Testing

@Suite struct EndToEndPackageSmokeTests {
    @Test func targetBuilds() { #expect(Bool(true)) }
}
