import Foundation
import Testing
import NIOConcurrencyHelpers
import NIOCore
@testable import Gateway

@Suite("HTTP: static files, /healthz, /metrics, hostile requests")
struct HTTPTests {
    @Test func servesIndexAtRootWithTypeAndETag() async throws {
        try await withServer { _, port in
            try await offload {
                let client = try TestClient(port: port)
                let response = try client.get("/")
                #expect(response.status == 200)
                #expect(response.header("content-type") == "text/html; charset=utf-8")
                #expect(response.text.contains("MonopolyRelay"))
                let etag = try #require(response.header("etag"))
                #expect(response.header("cache-control") != nil)
                // Keep-alive: the same connection answers a conditional request with 304.
                let again = try client.get("/index.html", headers: ["If-None-Match": etag])
                #expect(again.status == 304)
                let head = try client.get("/", method: "HEAD")
                #expect(head.status == 200)
                #expect(head.body.isEmpty)
            }
        }
    }

    /// The files' URLs carry no version: a module or board.json cached for minutes outlived a
    /// deploy (`max-age=300`) and a fresh page ran with the old modules beside the new ones.
    @Test func everyFileIsRevalidatedAtEachLoadSoADeployIsSeenAtOnce() async throws {
        var files = StaticFiles.bundled()
        files.add(path: "/board.json", contents: Array("{}".utf8))
        let paths = files.paths
        #expect(paths.contains("/js/main.js") && paths.contains("/styles.css"))
        try await withServer { _, port in
            try await offload {
                let client = try TestClient(port: port)
                for path in StaticFiles.bundled().paths {
                    let response = try client.get(path)
                    #expect(response.status == 200, "\(path)")
                    #expect(response.header("cache-control") == "no-cache", "\(path)")
                    #expect(response.header("etag") != nil, "\(path)")
                }
            }
        }
        #expect(files.lookup(target: "/board.json")?.cacheControl == "no-cache")
    }

    @Test func contentTypesByExtension() {
        #expect(StaticFiles.contentType(forPath: "/app.js") == "text/javascript; charset=utf-8")
        #expect(StaticFiles.contentType(forPath: "/style.css") == "text/css; charset=utf-8")
        #expect(StaticFiles.contentType(forPath: "/board.svg") == "image/svg+xml")
        #expect(StaticFiles.contentType(forPath: "/x.bin") == "application/octet-stream")
    }

    @Test(arguments: [
        "/../Package.swift", "/%2e%2e/Package.swift", "/..%2fPackage.swift", "/%2e%2e%2f%2e%2e%2fetc/passwd",
        "/./index.html", "//etc/passwd", "/index.html%00.txt", "/..\\Package.swift", "/nope.html",
    ])
    func pathTraversalAndUnknownPathsAre404(target: String) async throws {
        try await withServer { _, port in
            try await offload {
                let client = try TestClient(port: port)
                let response = try client.get(target)
                #expect(response.status == 404 || response.status == 400, "\(target) -> \(response.status)")
                #expect(!response.text.contains("swift-tools-version"))
                #expect(!response.text.contains("root:"))
            }
        }
    }

    @Test func staticFilesComeOnlyFromTheTable() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("gw-static-\(UUID())")
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("js"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try Data("<p>hi</p>".utf8).write(to: dir.appendingPathComponent("index.html"))
        try Data("x()".utf8).write(to: dir.appendingPathComponent("js/app.js"))
        let files = try StaticFiles(directory: dir)
        #expect(files.paths == ["/index.html", "/js/app.js"])
        #expect(files.lookup(target: "/")?.contentType == "text/html; charset=utf-8")
        #expect(files.lookup(target: "/js/app.js?v=3") != nil)
        #expect(files.lookup(target: "/js/../index.html") == nil)
        #expect(StaticFiles.normalise(target: "/a/%2e%2e/b") == nil)
    }

    @Test func otherMethodsOnStaticPathsAre405() async throws {
        try await withServer { _, port in
            try await offload {
                let client = try TestClient(port: port)
                let response = try client.get("/", method: "DELETE")
                #expect(response.status == 405)
                #expect(response.header("allow") == "GET, HEAD")
            }
        }
    }

    @Test func healthzReportsChecks() async throws {
        let checks = HealthChecks(timeout: .milliseconds(300))
        try await withServer(healthChecks: checks) { _, port in
            let ok = try await offload { try TestClient(port: port).get("/healthz") }
            #expect(ok.status == 200)
            #expect(ok.header("content-type") == "application/json")
            let json = try #require(try JSONSerialization.jsonObject(with: Data(ok.body)) as? [String: Any])
            #expect(json["status"] as? String == "ok")

            checks.register(name: "redis") { .failing("connection refused") }
            checks.register(name: "slow") {
                try? await Task.sleep(for: .seconds(5))
                return .ok
            }
            let bad = try await offload { try TestClient(port: port).get("/healthz") }
            #expect(bad.status == 503)
            let badJSON = try #require(try JSONSerialization.jsonObject(with: Data(bad.body)) as? [String: Any])
            #expect(badJSON["status"] as? String == "unhealthy")
            let detail = (badJSON["checks"] as? [String: Any])?["redis"] as? [String: Any]
            #expect(detail?["status"] as? String == "failing")
            #expect(detail?["detail"] as? String == "connection refused")
            let slow = (badJSON["checks"] as? [String: Any])?["slow"] as? [String: Any]
            #expect(slow?["status"] as? String == "failing")
        }
    }

    @Test func metricsExposePrometheusText() async throws {
        try await withServer { _, port in
            try await offload {
                let ws = try TestClient(port: port)
                try ws.upgrade(path: "/echo")
                try ws.sendText("count me")
                _ = try ws.readDataOrClose()
                let response = try TestClient(port: port).get("/metrics")
                #expect(response.status == 200)
                #expect(response.header("content-type")?.hasPrefix("text/plain") == true)
                let text = response.text
                #expect(metricValue(text, "monopoly_gateway_connections_open") == 1)
                #expect(metricValue(text, "monopoly_gateway_connections_accepted_total") == 1)
                #expect(metricValue(text, "monopoly_gateway_messages_in_total") == 1)
                #expect(metricValue(text, "monopoly_gateway_messages_out_total") == 1)
                #expect((metricValue(text, "monopoly_gateway_bytes_in_total") ?? 0) > 0)
                #expect(text.contains("# TYPE monopoly_gateway_handshake_failures_total counter"))
                #expect(text.contains(#"monopoly_gateway_close_codes_sent_total{code="1009"}"#))
            }
        }
    }

    @Test(arguments: [
        "GARBAGE\u{1}\u{2} / HTTP/9.9\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: x\r\nBad Header Name: y\r\n\r\n",
        "GET / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello",
    ])
    func malformedRequestGets400(request: String) async throws {
        try await withServer { _, port in
            try await offload {
                let client = try TestClient(port: port)
                try client.send(request)
                let response = try client.readHTTPResponse()
                #expect(response.status == 400)
                #expect(try client.waitForEOF())
            }
        }
    }

    @Test func slowlorisIsCutOffByTheHandshakeTimeout() async throws {
        try await withServer(configure: { $0.handshakeTimeout = .milliseconds(300) }) { server, port in
            try await offload {
                let client = try TestClient(port: port)
                try client.send("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
                Thread.sleep(forTimeInterval: 0.1)
                try client.send("a")  // still trickling, never finishes the head
                #expect(try client.waitForEOF())
            }
            // No wall-clock bound (it failed under load): the EOF and the counter show the
            // handshake timeout, not the client, ended the connection.
            let metrics = String(decoding: server.metrics.render(), as: UTF8.self)
            #expect(metricValue(metrics, "monopoly_gateway_handshake_timeouts_total") == 1)
        }
    }

    @Test func idleKeepAliveConnectionIsClosed() async throws {
        try await withServer(configure: { $0.handshakeTimeout = .milliseconds(300) }) { _, port in
            try await offload {
                let client = try TestClient(port: port)
                #expect(try client.get("/healthz").status == 200)
                #expect(try client.waitForEOF())
            }
        }
    }

    /// A response the client does not read (a command log of megabytes) was held, with its
    /// connection, for as long as the client kept it open when the request said
    /// `Connection: close`: no deadline ran once the request was in. It is dropped at the
    /// handshake timeout now, and its route is told it is no longer held (`written`), which is what
    /// bounds the logs a gateway holds at once (`GameLogRoute`).
    @Test func aResponseTheClientDoesNotReadIsDroppedAtTheDeadlineAndItsRouteIsTold() async throws {
        let written = NIOLockedValueBox(0)
        let route = AsyncRoute(prefix: "/big/") { _ in
            AsyncRoute.Response(status: .ok, body: ByteBuffer(repeating: 0x61, count: 16 << 20),
                                written: { written.withLockedValue { $0 += 1 } })
        }
        try await withServer(configure: { $0.handshakeTimeout = .milliseconds(300) }, asyncRoutes: [route]) { server, port in
            let client = try TestClient(port: port, receiveBufferSize: 4096)
            try client.send("GET /big/log HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            // The client reads nothing: only the deadline can end the connection.
            let dropped = await eventually {
                let metrics = String(decoding: server.metrics.render(), as: UTF8.self)
                return metricValue(metrics, "monopoly_gateway_handshake_timeouts_total") == 1 && written.withLockedValue { $0 } == 1
            }
            #expect(dropped)
            #expect(written.withLockedValue { $0 } == 1)
            let closed = try await offload { try client.waitForEOF() }
            #expect(closed)
        }
    }

    @Test func oversizedBodyGets413() async throws {
        try await withServer { _, port in
            try await offload {
                let client = try TestClient(port: port)
                try client.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 200000\r\n\r\n")
                try? client.send([UInt8](repeating: 0x41, count: 70_000))
                // The server answers 413 and closes; unread bytes may make the kernel reset the
                // connection before the answer is read, so only a received answer is checked.
                if let response = try? client.readHTTPResponse() {
                    #expect(response.status == 413)
                }
                #expect(try client.waitForEOF())
            }
        }
    }
}

@Test func openFileLimitIsRaisedToTheHardLimit() {
    let limit = OpenFileLimit.raise()
    #expect(limit >= 1024)
    #expect(OpenFileLimit.raise() == limit)  // idempotent
}
