import Foundation
import Testing
@testable import Gateway

@Suite("Browser policy: Origin of WebSocket upgrades")
struct BrowserPolicyTests {
    /// The status of an upgrade to /ws with `headers` (TestClient sends `Host: 127.0.0.1`).
    static func upgradeStatus(port: Int, _ headers: [String: String]) throws -> Int {
        let client = try TestClient(port: port)
        try client.send(TestClient.upgradeRequest(path: "/ws", extraHeaders: headers))
        return try client.readHTTPResponse().status
    }

    /// With `allowedOrigins` set, the requested host's own origin gets 403 too: a DNS-rebinding page
    /// sends `Host` and `Origin` of its own name alike.
    @Test func withAListOnlyListedOriginsGetIn() async throws {
        try await withServer(configure: { $0.allowedOrigins = ["https://play.monopoly.example"] }) { server, port in
            let statuses = try await offload {
                try [
                    [:], ["Origin": "http://127.0.0.1"], ["Origin": "https://play.monopoly.example"],
                    ["Origin": "https://evil.example"], ["Origin": "null"], ["Origin": "http://127.0.0.1:9"],
                ].map { try Self.upgradeStatus(port: port, $0) }
            }
            #expect(statuses == [101, 403, 101, 403, 403, 403])
            let metrics = String(decoding: server.metrics.render(), as: UTF8.self)
            #expect(metrics.contains(#"monopoly_gateway_handshake_failures_total{status="403"} 4"#))
        }
    }

    @Test func withoutAListTheRequestedHostGetsInAndOthersGet403() async throws {
        try await withServer { _, port in
            let statuses = try await offload {
                try [["Origin": "http://127.0.0.1"], ["Origin": "https://evil.example"]].map { try Self.upgradeStatus(port: port, $0) }
            }
            #expect(statuses == [101, 403])
        }
    }
}

@Suite("Browser policy: security headers on every response")
struct SecurityHeadersTests {
    @Test(arguments: [
        ("monopoly.example", "monopoly.example"), ("Monopoly.Example:8443", "monopoly.example:8443"),
        ("127.0.0.1:8080", "127.0.0.1:8080"), ("[::1]:8080", "[::1]:8080"), ("[2001:db8::1]", "[2001:db8::1]"),
    ])
    func plainHostsAreNamed(_ host: String, _ expected: String) {
        #expect(SecurityHeaders.plainHost(host) == expected)
        #expect(SecurityHeaders.contentSecurityPolicy(host: host).contains("connect-src 'self' ws://\(expected) wss://\(expected);"))
    }

    @Test(arguments: ["", "a b", "x; script-src *", "evil.example'", "host:", "host:123456", "host:80:80", "[::1", "[zz]:1",
                      "[::1]x", "*.example", "user@host", "host/path"])
    func anythingElseLeavesSelfAlone(_ host: String) {
        #expect(SecurityHeaders.plainHost(host) == nil)
        #expect(SecurityHeaders.contentSecurityPolicy(host: host).contains("connect-src 'self'; "))
    }

    @Test func thePageTheClientAndErrorsCarryThem() async throws {
        try await withServer { _, port in
            let responses = try await offload {
                let client = try TestClient(port: port)
                return try ["/", "/js/main.js", "/styles.css", "/nope", "/healthz"].map { try client.get($0) }
            }
            #expect(responses.map(\.status) == [200, 200, 200, 404, responses[4].status])
            for response in responses {
                let csp = try #require(response.header("content-security-policy"))
                for directive in ["default-src 'self'", "script-src 'self'", "frame-ancestors 'none'",
                                  "connect-src 'self' ws://127.0.0.1 wss://127.0.0.1;"] {
                    #expect(csp.contains(directive))
                }
                #expect(!csp.contains("unsafe"))
                #expect(response.header("x-frame-options") == "DENY")
                #expect(response.header("referrer-policy") == "no-referrer")
                #expect(response.header("x-content-type-options") == "nosniff")
            }
        }
    }

    /// The CSP forbids inline script, inline event handlers and style attributes: the page and the
    /// client's modules must not use them (the browser tests run them under the real policy).
    @Test func theBundledClientUsesNoInlineScriptOrStyle() throws {
        let files = StaticFiles.bundled()
        for path in files.paths where path.hasSuffix(".html") || path.hasSuffix(".js") {
            let file = try #require(files.lookup(target: path))
            let text = String(decoding: file.body.readableBytesView, as: UTF8.self)
            #expect(!text.contains("style=\""), "\(path) has a style attribute")
            #expect(!text.contains("<style"), "\(path) has a <style> element")
            #expect(text.range(of: #"\son[a-z]+\s*=\s*["']"#, options: .regularExpression) == nil, "\(path) has an inline event handler")
            if path.hasSuffix(".html") {
                #expect(text.range(of: #"<script(?![^>]*\bsrc=)"#, options: .regularExpression) == nil, "\(path) has an inline script")
            }
        }
    }
}
