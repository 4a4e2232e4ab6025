import NIOCore
import NIOPosix
import Redis
import Testing

/// A tiny TCP server that is not Redis: it answers each read with the next scripted reply.
/// Connection 1 answers the handshake PING, then sends `garbage` for the next command;
/// later connections behave (every read gets "+PONG"). Used only to feed the client bytes a real
/// server never sends; every functional test uses a real redis-server.
final class GarbageServer: @unchecked Sendable {
    let channel: Channel
    let eventLoop: EventLoop
    private var connections = 0  // touched only on eventLoop

    var port: Int { channel.localAddress!.port! }

    init(garbage: [UInt8], duringHandshake: Bool = false) async throws {
        let loop = group.next()
        self.eventLoop = loop
        let box = Box()
        channel = try await ServerBootstrap(group: loop)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { child in
                child.eventLoop.makeCompletedFuture {
                    box.owner!.connections += 1
                    let script: [[UInt8]] = box.owner!.connections == 1
                        ? (duringHandshake ? [garbage] : [Array("+PONG\r\n".utf8), garbage]) : []
                    try child.pipeline.syncOperations.addHandler(ScriptedHandler(script: script))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        box.owner = self
    }

    final class Box: @unchecked Sendable { weak var owner: GarbageServer? }

    func connectionCount() async throws -> Int { try await eventLoop.submit { self.connections }.get() }

    func close() async { try? await channel.close() }

    final class ScriptedHandler: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer
        var script: [[UInt8]]
        init(script: [[UInt8]]) { self.script = script }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let reply = script.isEmpty ? Array("+PONG\r\n".utf8) : script.removeFirst()
            context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(bytes: reply)), promise: nil)
        }
    }
}

@Suite struct RedisProtocolErrorTests {
    static let cases: [(String, [UInt8])] = [
        ("bad type byte", Array("?garbage\r\n".utf8)),
        ("negative bulk length", Array("$-5\r\n".utf8)),
        ("non-numeric bulk length", Array("$abc\r\n".utf8)),
        ("integer overflow", Array(":99999999999999999999999\r\n".utf8)),
        ("bad integer", Array(":12ab\r\n".utf8)),
        ("nesting deeper than hiredis's 7 levels", Array((String(repeating: "*1\r\n", count: 9) + ":1\r\n").utf8)),
        ("negative array length", Array("*-7\r\n".utf8)),
        ("bulk longer than announced", Array("$3\r\nabcdef\r\n".utf8)),
        ("unsolicited extra reply", Array("+OK\r\n+EXTRA\r\n".utf8)),
        ("reply over maximumReplyBytes", Array("$1000000\r\n".utf8) + [UInt8](repeating: 0x78, count: 4096)),
        ("binary noise", (0..<512).map { UInt8(truncatingIfNeeded: $0 &* 7919 &+ 13) }),
    ]

    @Test(arguments: cases.indices)
    func malformedReplyYieldsErrorAndReconnect(_ index: Int) async throws {
        let (name, garbage) = Self.cases[index]
        let server = try await GarbageServer(garbage: garbage)
        var config = try testConfiguration("redis://127.0.0.1:\(server.port)")
        config.maximumReplyBytes = 1024
        config.healthCheckInterval = nil
        let client = try await RedisClient.connect(configuration: config, eventLoopGroup: group)
        do {
            let reply = try await client.send(["GET", "k"])
            // Some garbage starts with a valid reply ("+OK", "$3 abc"); the rest must still be caught.
            #expect(reply != .null, "\(name)")
        } catch let error as RedisError {
            switch error {
            case .protocolError(let message): #expect(!message.isEmpty, "\(name)")
            case .connectionClosed: break
            default: Issue.record("\(name): unexpected \(error)")
            }
        }
        try await eventually(5, "\(name): protocol error counted") { client.statistics.protocolErrors == 1 }
        try await eventually(5, "\(name): reconnected") { client.statistics.reconnects >= 1 && client.state == .ready }
        #expect(try await client.ping() == "PONG", "\(name)")
        #expect(try await server.connectionCount() >= 2)
        await client.close()
        await server.close()
    }

    @Test func garbageDuringHandshakeFailsTheFirstConnect() async throws {
        let server = try await GarbageServer(garbage: Array("HTTP/1.1 400 Bad Request\r\n\r\n".utf8), duringHandshake: true)
        do {
            _ = try await RedisClient.connect(url: "redis://127.0.0.1:\(server.port)", eventLoopGroup: group)
            Issue.record("connected to a non-Redis server")
        } catch let error as RedisError {
            guard case .protocolError(let message) = error else { Issue.record("got \(error)"); return }
            #expect(message.contains("reply type byte"))
        }
        await server.close()
    }
}
