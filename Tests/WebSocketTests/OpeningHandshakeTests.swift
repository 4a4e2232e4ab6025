import Testing
@testable import WebSocket

@Suite struct OpeningHandshakeTests {
    let key = "dGhlIHNhbXBsZSBub25jZQ=="

    func request(_ extra: [(String, String)] = [], dropping: Set<String> = []) -> [HTTPHeaderField] {
        var headers: [(String, String)] = [
            ("Host", "server.example.com"),
            ("Upgrade", "websocket"),
            ("Connection", "Upgrade"),
            ("Sec-WebSocket-Key", key),
            ("Sec-WebSocket-Version", "13"),
        ]
        headers.removeAll { dropping.contains($0.0) }
        return (headers + extra).map { HTTPHeaderField(name: $0.0, value: $0.1) }
    }

    func evaluate(_ headers: [HTTPHeaderField], method: String = "GET", version: (Int, Int) = (1, 1), origins: Set<String>? = nil) -> OpeningHandshakeResult {
        OpeningHandshake.evaluate(method: method, httpVersion: (major: version.0, minor: version.1), headers: headers, originPolicy: origins.map { OriginPolicy(allowed: $0) })
    }

    func status(_ result: OpeningHandshakeResult) -> Int {
        switch result {
        case .accept: return 101
        case .reject(let status, _, _): return status
        }
    }

    @Test func computesTheRFCAcceptExample() {
        #expect(OpeningHandshake.acceptValue(forKey: key) == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
    }

    @Test func acceptsValidRequest() {
        #expect(evaluate(request()) == .accept(responseHeaders: [
            HTTPHeaderField(name: "Upgrade", value: "websocket"),
            HTTPHeaderField(name: "Connection", value: "Upgrade"),
            HTTPHeaderField(name: "Sec-WebSocket-Accept", value: "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="),
        ]))
    }

    @Test func headerNamesAndTokensAreCaseInsensitiveAndCommaSeparated() {
        let headers = [
            HTTPHeaderField(name: "upgrade", value: "WebSocket"),
            HTTPHeaderField(name: "CONNECTION", value: "keep-alive, UPGRADE"),
            HTTPHeaderField(name: "sec-websocket-key", value: " \(key) "),
            HTTPHeaderField(name: "sec-websocket-version", value: "13"),
        ]
        #expect(status(evaluate(headers)) == 101)
    }

    @Test func acceptsHTTP2AndLater() {
        #expect(status(evaluate(request(), version: (2, 0))) == 101)
    }

    @Test func rejectsMethodOtherThanGET() {
        #expect(status(evaluate(request(), method: "POST")) == 405)
    }

    @Test func rejectsHTTP10() {
        #expect(status(evaluate(request(), version: (1, 0))) == 400)
    }

    @Test func rejectsMissingUpgradeToken() {
        #expect(status(evaluate(request(dropping: ["Upgrade"]))) == 400)
        #expect(status(evaluate(request([("Upgrade", "h2c")], dropping: ["Upgrade"]))) == 400)
    }

    @Test func rejectsMissingConnectionUpgradeToken() {
        #expect(status(evaluate(request([("Connection", "keep-alive")], dropping: ["Connection"]))) == 400)
    }

    @Test func rejectsOtherVersionWith426AndSupportedVersion() {
        let result = evaluate(request([("Sec-WebSocket-Version", "8")], dropping: ["Sec-WebSocket-Version"]))
        guard case .reject(426, _, let headers) = result else {
            Issue.record("expected 426, got \(result)")
            return
        }
        #expect(headers == [HTTPHeaderField(name: "Sec-WebSocket-Version", value: "13")])
        #expect(status(evaluate(request(dropping: ["Sec-WebSocket-Version"]))) == 426)
    }

    @Test(arguments: ["", "not base64!", "dGhlIHNhbXBsZSBub25jZQ", "dGhlIHNhbXBsZSBub25j", "dGhlIHNhbXBsZSBub25jZSE=", "dGhl=HNhbXBsZSBub25jZQ=="])
    func rejectsKeyThatIsNotBase64Of16Bytes(badKey: String) {
        #expect(status(evaluate(request([("Sec-WebSocket-Key", badKey)], dropping: ["Sec-WebSocket-Key"]))) == 400)
    }

    @Test func rejectsMissingOrDuplicateKey() {
        #expect(status(evaluate(request(dropping: ["Sec-WebSocket-Key"]))) == 400)
        #expect(status(evaluate(request([("Sec-WebSocket-Key", key)]))) == 400)
    }

    @Test func rejectsOriginNotInAllowList() {
        #expect(status(evaluate(request([("Origin", "https://evil.example")]), origins: ["https://monopoly.example"])) == 403)
    }

    @Test func acceptsAllowedOriginOrNone() {
        let origins: Set<String> = ["https://monopoly.example"]
        #expect(status(evaluate(request([("Origin", "https://monopoly.example")]), origins: origins)) == 101)
        #expect(status(evaluate(request(), origins: origins)) == 101)
        #expect(status(evaluate(request([("Origin", "https://anything.example")]))) == 101)
    }

    @Test func aPageFromTheRequestedHostIsAllowedWithoutAList() {
        #expect(status(evaluate(request([("Origin", "https://server.example.com")]), origins: [])) == 101)
        #expect(status(evaluate(request([("Origin", "https://elsewhere.example")]), origins: [])) == 403)
        #expect(status(evaluate(request([("Origin", "https://a.example"), ("Origin", "https://a.example")]), origins: [])) == 400)
        #expect(status(evaluate(request([("Host", "b.example")]), origins: [])) == 400)
    }
}

@Suite struct OriginPolicyTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var origin: String?
        var host: String?
        var allowed: Bool
        var testDescription: String { "\(origin ?? "no origin") for \(host ?? "no host")" }
    }

    static let cases: [Case] = [
        Case(origin: nil, host: "monopoly.example", allowed: true),
        Case(origin: nil, host: nil, allowed: true),
        Case(origin: "https://monopoly.example", host: "monopoly.example", allowed: true),
        Case(origin: "https://MONOPOLY.example", host: "monopoly.EXAMPLE", allowed: true),
        Case(origin: "http://localhost:8080", host: "localhost:8080", allowed: true),
        Case(origin: "http://127.0.0.1:8080", host: "127.0.0.1:8080", allowed: true),
        Case(origin: "http://[::1]:8080", host: "[::1]:8080", allowed: true),
        Case(origin: "https://monopoly.example", host: "monopoly.example:443", allowed: true),
        Case(origin: "http://monopoly.example", host: "monopoly.example:80", allowed: true),
        Case(origin: "https://monopoly.example:443", host: "monopoly.example", allowed: true),
        Case(origin: "https://evil.example", host: "monopoly.example", allowed: false),
        Case(origin: "https://monopoly.example.evil.example", host: "monopoly.example", allowed: false),
        Case(origin: "https://evil.example", host: nil, allowed: false),
        Case(origin: "null", host: "monopoly.example", allowed: false),
        Case(origin: "", host: "monopoly.example", allowed: false),
        Case(origin: "http://localhost:8081", host: "localhost:8080", allowed: false),
        Case(origin: "https://monopoly.example", host: "monopoly.example:80", allowed: false),
        Case(origin: "file://", host: "monopoly.example", allowed: false),
        Case(origin: "chrome-extension://monopoly.example", host: "monopoly.example", allowed: false),
        Case(origin: "https://user@monopoly.example", host: "monopoly.example", allowed: false),
        Case(origin: "https://monopoly.example/path", host: "monopoly.example", allowed: false),
    ]

    @Test(arguments: cases)
    func withoutAListThePageOfTheRequestsOwnHostIsAllowed(_ test: Case) {
        #expect(OriginPolicy().allows(origin: test.origin, host: test.host) == test.allowed)
    }

    /// With a list, only listed origins: a DNS-rebinding page sends `Host` and `Origin` of its own
    /// name alike, so matching `Host` no longer suffices.
    static let listedCases: [Case] = [
        Case(origin: nil, host: "monopoly.example", allowed: true),
        Case(origin: "https://listed.example", host: "monopoly.example", allowed: true),
        Case(origin: "https://listed.example/", host: "monopoly.example", allowed: true),
        Case(origin: "HTTPS://LISTED.example", host: nil, allowed: true),
        Case(origin: "https://listed.example", host: "listed.example", allowed: true),
        Case(origin: "http://evil.example", host: "evil.example", allowed: false),
        Case(origin: "https://monopoly.example", host: "monopoly.example", allowed: false),
        Case(origin: "http://127.0.0.1:8080", host: "127.0.0.1:8080", allowed: false),
        Case(origin: "http://listed.example", host: "monopoly.example", allowed: false),
        Case(origin: "https://listed.example:8443", host: "monopoly.example", allowed: false),
        Case(origin: "null", host: "monopoly.example", allowed: false),
    ]

    @Test(arguments: listedCases)
    func withAListOnlyListedOriginsAreAllowed(_ test: Case) {
        let policy = OriginPolicy(allowed: ["HTTPS://Listed.example"])
        #expect(policy.allows(origin: test.origin, host: test.host) == test.allowed)
    }

    @Test func validOrigins() {
        #expect(OriginPolicy.isValidOrigin("https://monopoly.example"))
        #expect(OriginPolicy.isValidOrigin("http://localhost:8080/"))
        for bad in ["monopoly.example", "null", "*", "https://", "ftp://x.example", "https://x.example/app"] {
            #expect(!OriginPolicy.isValidOrigin(bad), "\(bad)")
        }
    }
}

@Suite struct SHA1Tests {
    func hex(_ bytes: [UInt8]) -> String {
        bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }

    @Test(arguments: [
        ("", "da39a3ee5e6b4b0d3255bfef95601890afd80709"),
        ("abc", "a9993e364706816aba3e25717850c26c9cd0d89d"),
        ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "84983e441c3bd26ebaae4aa1f95129e5e54670f1"),
        ("The quick brown fox jumps over the lazy dog", "2fd4e1c67a2d28fced849ee1bb76e7391b93eb12"),
    ])
    func matchesKnownVectors(input: String, digest: String) {
        #expect(hex(SHA1.hash(Array(input.utf8))) == digest)
    }

    @Test func matchesMillionAVector() {
        #expect(hex(SHA1.hash([UInt8](repeating: 0x61, count: 1_000_000))) == "34aa973cd4c4daa4f61eeb2bdbad27316534016f")
    }

    @Test func paddingBoundariesAgreeWithEachOther() {
        // 55, 56 and 64 bytes straddle the one-block/two-block padding boundary.
        #expect(hex(SHA1.hash([UInt8](repeating: 0x61, count: 64))) == "0098ba824b5c16427bd7a1122a5a442a25ec644d")
    }
}

@Suite struct Base64Tests {
    @Test(arguments: [("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foob", "Zm9vYg=="), ("fooba", "Zm9vYmE="), ("foobar", "Zm9vYmFy")])
    func roundTripsRFC4648Vectors(plain: String, encoded: String) {
        #expect(Base64.encode(Array(plain.utf8)) == encoded)
        #expect(Base64.decode(encoded) == Array(plain.utf8))
    }

    @Test(arguments: ["Zg=", "Z===", "Zh==", "Zm9=", "Zg==Zg==", "Zm9v\n", "Zm 9", "Zm9v===="])
    func rejectsMalformedInput(text: String) {
        #expect(Base64.decode(text) == nil)
    }
}
