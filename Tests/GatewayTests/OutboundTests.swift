import Foundation
import NIOConcurrencyHelpers
import NIOCore
import Testing
import WebSocket
@testable import Gateway

@Suite("Outbound: bounded queue, conflation, slow readers")
struct OutboundTests {
    private func frame(_ text: String) -> ByteBuffer { PreEncodedFrame(text: text).bytes }

    @Test func writesStraightThroughWhileWritable() {
        var queue = OutboundQueue(policy: .init(maxQueuedBytes: 100))
        #expect(queue.submit(frame("a"), key: nil, channelWritable: true) == .writeNow)
        #expect(queue.isEmpty)
    }

    @Test func queuesInOrderWhileNotWritableAndKeepsOrderAfterwards() {
        var queue = OutboundQueue(policy: .init(maxQueuedBytes: 1000))
        #expect(queue.submit(frame("1"), key: nil, channelWritable: false) == .queued(replaced: false))
        // Writable again but frames are waiting: the new one queues behind them.
        #expect(queue.submit(frame("2"), key: nil, channelWritable: true) == .queued(replaced: false))
        #expect(queue.popFirst() == frame("1"))
        #expect(queue.popFirst() == frame("2"))
        #expect(queue.popFirst() == nil)
        #expect(queue.queuedBytes == 0)
    }

    @Test func conflationKeepsOnlyTheNewestStatePerKey() {
        var queue = OutboundQueue(policy: .init(maxQueuedBytes: 1000))
        let game = ConflationKey("state:g1")
        _ = queue.submit(frame("state 1"), key: game, channelWritable: false)
        _ = queue.submit(frame("chat"), key: nil, channelWritable: false)
        _ = queue.submit(frame("other game"), key: ConflationKey("state:g2"), channelWritable: false)
        #expect(queue.submit(frame("state 2"), key: game, channelWritable: false) == .queued(replaced: true))
        #expect(queue.submit(frame("state 3"), key: game, channelWritable: false) == .queued(replaced: true))
        #expect(queue.count == 3)
        // The newest state takes the place of the one it replaces.
        #expect(queue.popFirst() == frame("state 3"))
        #expect(queue.popFirst() == frame("chat"))
        #expect(queue.popFirst() == frame("other game"))
    }

    /// An acknowledgement queued after state N stays behind the state that replaces N (it moved
    /// to the end before, and a slow reader got `ack N` before any state at or after N).
    @Test func anAcknowledgementStaysBehindTheStateThatReplacesItsState() {
        var queue = OutboundQueue(policy: .init(maxQueuedBytes: 1000))
        let game = ConflationKey("state:g1")
        _ = queue.submit(frame("state 7"), key: game, channelWritable: false)
        _ = queue.submit(frame("ack 7"), key: nil, channelWritable: false)
        #expect(queue.submit(frame("patch 8"), key: game, whole: frame("state 8"), channelWritable: false) == .queued(replaced: true))
        #expect(queue.queuedBytes == frame("state 8").readableBytes + frame("ack 7").readableBytes)
        #expect(queue.popFirst() == frame("state 8"))
        #expect(queue.popFirst() == frame("ack 7"))
        #expect(queue.isEmpty)
    }

    @Test func overflowBeyondTheBound() {
        var queue = OutboundQueue(policy: .init(maxQueuedBytes: 10))
        #expect(queue.submit(frame("12345"), key: nil, channelWritable: false) == .queued(replaced: false))
        #expect(queue.submit(frame("123456789"), key: nil, channelWritable: false) == .overflow)
        // Conflated frames do not accumulate: a keyed stream stays within the bound.
        var keyed = OutboundQueue(policy: .init(maxQueuedBytes: 10))
        for i in 0..<100 {
            #expect(keyed.submit(frame("s\(i % 10)"), key: ConflationKey("k"), channelWritable: false) != .overflow)
        }
        #expect(keyed.count == 1)
    }

    /// Pushes `frameSize`-byte frames to every client as fast as the connection accepts them.
    struct FloodEndpoint: WebSocketEndpoint {
        let frameSize: Int
        let conflationKey: ConflationKey?
        let closed = NIOLockedValueBox<[WebSocketCloseCode?]>([])

        func connectionOpened(_ connection: WebSocketConnection) {
            let frame = PreEncodedFrame(binary: [UInt8](repeating: 0x5A, count: frameSize))
            let key = conflationKey
            @Sendable func pump(_ remaining: Int) {
                guard remaining > 0 else { return }
                for _ in 0..<16 { connection.send(frame, conflationKey: key) }
                connection.eventLoop.scheduleTask(in: .milliseconds(1)) { pump(remaining - 1) }
            }
            pump(2_000)
        }

        func connection(_ connection: WebSocketConnection, received message: WebSocketMessage) {}

        func connectionClosed(_ connection: WebSocketConnection, code: WebSocketCloseCode?) {
            closed.withLockedValue { $0.append(code) }
        }
    }

    @Test func slowReaderIsClosedInsteadOfGrowingMemory() async throws {
        let flood = FloodEndpoint(frameSize: 16 << 10, conflationKey: nil)
        let route = WebSocketRoute(
            path: "/flood", endpoint: flood,
            outbound: .init(highWatermark: 64 << 10, lowWatermark: 16 << 10, maxQueuedBytes: 256 << 10)
        )
        try await withServer(configure: { $0.closeTimeout = .milliseconds(300) }, routes: [route]) { server, port in
            let client = try await offload {
                let client = try TestClient(port: port, receiveBufferSize: 4096)
                try client.upgrade(path: "/flood")
                return client  // and never read again
            }
            #expect(await eventually { !flood.closed.withLockedValue { $0 }.isEmpty })
            #expect(await eventually { server.connectionCount == 0 })
            #expect(flood.closed.withLockedValue { $0 } == [.policyViolation])
            let metrics = String(decoding: server.metrics.render(), as: UTF8.self)
            #expect(metricValue(metrics, "monopoly_gateway_slow_consumer_closes_total") == 1)
            #expect(metrics.contains(#"monopoly_gateway_close_codes_sent_total{code="1008"} 1"#))
            _ = client
        }
    }

    @Test func slowReaderOfConflatedStatesStaysConnected() async throws {
        let flood = FloodEndpoint(frameSize: 16 << 10, conflationKey: ConflationKey("state:g1"))
        let route = WebSocketRoute(
            path: "/flood", endpoint: flood,
            outbound: .init(highWatermark: 64 << 10, lowWatermark: 16 << 10, maxQueuedBytes: 256 << 10)
        )
        try await withServer(routes: [route]) { server, port in
            let client = try await offload {
                let client = try TestClient(port: port, receiveBufferSize: 4096)
                try client.upgrade(path: "/flood")
                return client
            }
            #expect(await eventually {
                (metricValue(String(decoding: server.metrics.render(), as: UTF8.self), "monopoly_gateway_conflated_frames_total") ?? 0) > 0
            })
            #expect(server.connectionCount == 1)
            let metrics = String(decoding: server.metrics.render(), as: UTF8.self)
            #expect(metricValue(metrics, "monopoly_gateway_slow_consumer_closes_total") == 0)
            // It can still read: frames arrive intact.
            let frame = try await offload { try client.readFrame() }
            #expect(frame.opcode == 2 && frame.payload.count == 16 << 10)
        }
    }

    @Test func echoFloodFromANonReadingClientIsBounded() async throws {
        // A client that writes echo requests but never reads: the server stops reading it once its
        // answers back up, so neither side's buffers grow without bound.
        try await withServer { server, port in
            let client = try await offload {
                let client = try TestClient(port: port, receiveBufferSize: 4096)
                try client.upgrade()
                client.setTimeout(0.5)
                let message = TestClient.frame(.binary, [UInt8](repeating: 1, count: 32 << 10))
                var sent = 0
                // Eventually our sends block (the server stopped reading): the socket send times out.
                var timeout = timeval(tv_sec: 1, tv_usec: 0)
                setsockopt(client.fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
                while sent < 4_000, (try? client.send(message)) != nil { sent += 1 }
                #expect(sent < 4_000, "the server kept reading although its answers were not consumed")
                return client
            }
            #expect(server.connectionCount == 1)
            _ = client
        }
    }
}

@Suite("Fan-out of pre-encoded frames")
struct FanOutTests {
    /// Collects connections so the test can broadcast to them from outside their event loops.
    final class Room: WebSocketEndpoint {
        let members = NIOLockedValueBox<[WebSocketConnection]>([])
        func connectionOpened(_ connection: WebSocketConnection) { members.withLockedValue { $0.append(connection) } }
        func connection(_ connection: WebSocketConnection, received message: WebSocketMessage) {}
        func connectionClosed(_ connection: WebSocketConnection, code: WebSocketCloseCode?) {
            members.withLockedValue { $0.removeAll { $0 == connection } }
        }
    }

    @Test func oneEncodingReachesEveryClientOnEveryLoop() async throws {
        let room = Room()
        let route = WebSocketRoute(path: "/room", endpoint: room)
        try await withServer(configure: { $0.eventLoopThreads = 2 }, routes: [route]) { server, port in
            let clients = try await offload {
                try (0..<20).map { _ in
                    let client = try TestClient(port: port)
                    try client.upgrade(path: "/room")
                    return client
                }
            }
            #expect(await eventually { room.members.withLockedValue { $0.count } == 20 })
            let loops = Set(room.members.withLockedValue { $0.map { ObjectIdentifier($0.eventLoop) } })
            #expect(loops.count == 2)
            let states = (1...5).map { PreEncodedFrame(text: #"{"type":"state","seq":\#($0)}"#) }
            for state in states {
                for member in room.members.withLockedValue({ $0 }) {
                    member.send(state, conflationKey: ConflationKey("state:g"))
                }
            }
            let received = try await offload {
                try clients.map { client in try (0..<5).map { _ in try client.readDataOrClose().text } }
            }
            let expected = (1...5).map { #"{"type":"state","seq":\#($0)}"# }
            #expect(received.allSatisfy { $0 == expected })
            #expect(server.connectionCount == 20)
        }
    }

    /// Connects `count` more clients to `/room` one after another, each in `room.members` before the next.
    private func join(_ room: Room, port: Int, count: Int, receiveBufferSize: Int32? = nil) async throws -> [TestClient] {
        var clients: [TestClient] = []
        let before = room.members.withLockedValue { $0.count }
        for _ in 0..<count {
            clients.append(try await offload {
                let client = try TestClient(port: port, receiveBufferSize: receiveBufferSize)
                try client.upgrade(path: "/room")
                return client
            })
            let joined = before + clients.count
            #expect(await eventually { room.members.withLockedValue { $0.count } == joined })
        }
        return clients
    }

    @Test func aBroadcastFromOneLoopIsWrittenOnEveryMembersLoopInOrder() async throws {
        let room = Room()
        try await withServer(configure: { $0.eventLoopThreads = 3 }, routes: [WebSocketRoute(path: "/room", endpoint: room)]) { _, port in
            let clients = try await join(room, port: port, count: 9)
            let members = room.members.withLockedValue { $0 }
            #expect(Set(members.map { ObjectIdentifier($0.eventLoop) }).count == 3)
            let loop = members[0].eventLoop
            // All five in one task of one loop, as the relay performs a burst of states.
            try await loop.submit {
                for seq in 1...5 {
                    let state = PreEncodedFrame(text: #"{"type":"state","seq":\#(seq)}"#)
                    FanOut.send(.init(frame: state, conflationKey: ConflationKey("state:g")), to: members, on: loop)
                }
            }.get()
            let received = try await offload {
                try clients.map { client in try (0..<5).map { _ in try client.readDataOrClose().text } }
            }
            #expect(received.allSatisfy { $0 == (1...5).map { #"{"type":"state","seq":\#($0)}"# } })
        }
    }

    /// FanOut fetches a frame's bytes for a compression window once per loop's batch: members
    /// without permessage-deflate, with it and with a smaller window, mixed over two loops, each
    /// get their own encoding, and the frame is compressed once per window.
    @Test func everyMemberGetsItsOwnEncodingCompressedOncePerWindow() async throws {
        let room = Room()
        try await withServer(configure: { $0.eventLoopThreads = 2 }, routes: [WebSocketRoute(path: "/room", endpoint: room)]) { _, port in
            let offers: [(header: String?, bits: Int?)] = [(nil, nil), ("permessage-deflate", 15), ("permessage-deflate; server_max_window_bits=9", 9)]
            var clients: [(client: TestClient, bits: Int?)] = []
            for index in 0..<12 {
                let offer = offers[index % offers.count]
                let client = try await offload {
                    let client = try TestClient(port: port)
                    let response = try client.upgrade(path: "/room", extraHeaders: offer.header.map { ["Sec-WebSocket-Extensions": $0] } ?? [:])
                    #expect((response.header("Sec-WebSocket-Extensions") != nil) == (offer.bits != nil))
                    return client
                }
                clients.append((client, offer.bits))
                let joined = clients.count
                #expect(await eventually { room.members.withLockedValue { $0.count } == joined })
            }
            let members = room.members.withLockedValue { $0 }
            let loops = Set(members.map { ObjectIdentifier($0.eventLoop) })
            #expect(loops.count == 2)
            let frame = PreEncodedFrame(text: PreEncodedFrameDeflateTests.state)
            let loop = members[0].eventLoop
            try await loop.submit { FanOut.send(.init(frame: frame, conflationKey: ConflationKey("state:g")), to: members, on: loop) }.get()
            for (client, bits) in clients {
                let received = try await offload { try client.readDataOrClose() }
                #expect(received.compressed == (bits != nil))
                guard let bits else {
                    #expect(received.text == PreEncodedFrameDeflateTests.state)
                    continue
                }
                var decoder = ClientConnection(deflate: PerMessageDeflate(serverMaxWindowBits: bits))
                decoder.receive(WebSocketFrameEncoder.compressedFrame(opcode: .text, compressedPayload: received.payload))
                #expect(decoder.nextAction() == .message(.text(PreEncodedFrameDeflateTests.state)))
            }
            #expect(frame.compressions == 2)
        }
    }

    @Test func conflationStaysPerMemberWhenTheWritesAreSpreadOverLoops() async throws {
        let room = Room()
        let route = WebSocketRoute(path: "/room", endpoint: room,
                                   outbound: .init(highWatermark: 64 << 10, lowWatermark: 16 << 10, maxQueuedBytes: 256 << 10))
        try await withServer(configure: { $0.eventLoopThreads = 2 }, routes: [route]) { server, port in
            // The first never reads until the end; the others read every state before the next is sent.
            let slow = try await join(room, port: port, count: 1, receiveBufferSize: 4096)[0]
            let readers = try await join(room, port: port, count: 4)
            let members = room.members.withLockedValue { $0 }
            #expect(Set(members.map { ObjectIdentifier($0.eventLoop) }).count == 2)
            // Broadcast from the loop the slow reader is not on: its writes are handed over.
            let loop = try #require(members.first { $0.eventLoop !== members[0].eventLoop }).eventLoop
            // States go out until one of the slow reader's was replaced (its socket full, however
            // large the kernel's buffers; looked at every 16 states).
            func conflated() -> Double { metricValue(String(decoding: server.metrics.render(), as: UTF8.self), "monopoly_gateway_conflated_frames_total") ?? 0 }
            var last: UInt32 = 0
            while last < 10_000, last % 16 != 1 || conflated() == 0 {
                last += 1
                let seq = last
                var payload = [UInt8](repeating: 0x5A, count: 16 << 10)
                withUnsafeBytes(of: seq.bigEndian) { payload.replaceSubrange(0..<4, with: $0) }
                let state = PreEncodedFrame(binary: payload)
                try await loop.submit { FanOut.send(.init(frame: state, conflationKey: ConflationKey("state:g")), to: members, on: loop) }.get()
                let heard = try await offload { try readers.map { try Self.seq(of: $0.readDataOrClose()) } }
                #expect(heard == Array(repeating: seq, count: readers.count))
            }
            // The slow reader got the states in order, some replaced by newer ones, and the newest.
            let newest = last
            let slowHeard = try await offload {
                var heard: [UInt32] = []
                while heard.last != newest { heard.append(try Self.seq(of: slow.readDataOrClose())) }
                return heard
            }
            #expect(conflated() > 0)
            #expect(slowHeard.count < Int(last))
            #expect(zip(slowHeard, slowHeard.dropFirst()).allSatisfy { $0 < $1 })
            #expect(metricValue(String(decoding: server.metrics.render(), as: UTF8.self), "monopoly_gateway_slow_consumer_closes_total") == 0)
            #expect(server.connectionCount == 5)
        }
    }

    private static func seq(of frame: TestClient.Frame) -> UInt32 {
        frame.payload.prefix(4).reduce(0) { $0 << 8 | UInt32($1) }
    }
}

@Suite("Outbound: state patches")
struct PatchRoutingTests {
    private func frame(_ text: String) -> ByteBuffer { PreEncodedFrame(text: text).bytes }

    @Test func aPatchThatReplacesAQueuedFrameGoesOutWhole() {
        var queue = OutboundQueue(policy: .init(maxQueuedBytes: 1000))
        let game = ConflationKey("state:g1")
        // Nothing queued: the patch is written as it is.
        #expect(queue.submit(frame("patch 1"), key: game, whole: frame("state 1"), channelWritable: true) == .writeNow)
        #expect(queue.submit(frame("patch 2"), key: game, whole: frame("state 2"), channelWritable: false) == .queued(replaced: false))
        // Patch 3 applies to state 2, which the client will now never get: state 3 goes instead.
        #expect(queue.submit(frame("patch 3"), key: game, whole: frame("state 3"), channelWritable: false) == .queued(replaced: true))
        #expect(queue.submit(frame("patch 4"), key: game, whole: frame("state 4"), channelWritable: false) == .queued(replaced: true))
        #expect(queue.popFirst() == frame("state 4"))
        #expect(queue.popFirst() == nil)
    }
}
