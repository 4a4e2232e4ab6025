import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import WebSocket

/// One load-generating WebSocket client: upgrades, then keeps `depth` messages in flight against an
/// echo endpoint until told to stop, recording round-trip times.
final class EchoLoadClient: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    struct Result: Sendable {
        var messages = 0
        var bytes = 0
        var latenciesMicros: [UInt32] = []
    }

    private enum State { case handshaking, ready, running, draining, done }

    private let request: ByteBuffer
    private let frame: ByteBuffer
    private let payloadSize: Int
    private let depth: Int
    private let upgraded: EventLoopPromise<Void>
    let finished: EventLoopPromise<Result>
    private var state = State.handshaking
    private var buffer = ByteBuffer()
    private var sentAt = CircularBuffer<NIODeadline>()
    private var result = Result()
    private var stopAt = NIODeadline.distantFuture

    init(path: String, host: String, payloadSize: Int, depth: Int, eventLoop: any EventLoop) {
        request = ByteBuffer(string: "GET \(path) HTTP/1.1\r\nHost: \(host)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
        let payload = (0..<payloadSize).map { UInt8(truncatingIfNeeded: $0 % 94 + 32) }  // printable ASCII: valid text
        frame = ByteBuffer(bytes: WebSocketFrameEncoder.maskedFrame(
            opcode: .text, payload: payload, maskingKey: (0x12, 0x34, 0x56, 0x78)))
        self.payloadSize = payloadSize
        self.depth = depth
        upgraded = eventLoop.makePromise()
        finished = eventLoop.makePromise()
    }

    var upgradedFuture: EventLoopFuture<Void> { upgraded.futureResult }

    func channelActive(context: ChannelHandlerContext) {
        context.writeAndFlush(wrapOutboundOut(request), promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        upgraded.fail(ChannelError.ioOnClosedChannel)
        finished.succeed(result)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    /// Starts sending; stops starting new round trips at `deadline`.
    func start(context: ChannelHandlerContext, until deadline: NIODeadline) {
        guard state == .ready else { return }
        state = .running
        stopAt = deadline
        for _ in 0..<depth { send(context: context) }
        context.flush()
    }

    private func send(context: ChannelHandlerContext) {
        sentAt.append(.now())
        context.write(wrapOutboundOut(frame), promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var incoming = unwrapInboundIn(data)
        buffer.writeBuffer(&incoming)
        if state == .handshaking {
            guard let end = buffer.readableBytesView.firstRange(of: [13, 10, 13, 10]) else { return }
            let head = buffer.readString(length: end.upperBound - buffer.readerIndex) ?? ""
            guard head.hasPrefix("HTTP/1.1 101") else {
                upgraded.fail(ChannelError.inappropriateOperationForState)
                context.close(promise: nil)
                return
            }
            state = .ready
            upgraded.succeed(())
        }
        var sent = false
        while let (opcode, length) = nextFrame() {
            guard opcode == 1 || opcode == 2 else { continue }  // pings etc. are irrelevant here
            let now = NIODeadline.now()
            if let start = sentAt.popFirst() {
                result.messages += 1
                result.bytes += length
                result.latenciesMicros.append(UInt32(clamping: (now - start).nanoseconds / 1000))
            }
            if state == .running && now < stopAt {
                send(context: context)
                sent = true
            } else if state == .running {
                state = .draining
            }
            if state == .draining && sentAt.isEmpty {
                state = .done
                context.close(promise: nil)
            }
        }
        if sent { context.flush() }
        buffer.discardReadBytes()
    }

    /// Consumes one complete server frame from the buffer: (opcode, payload length).
    private func nextFrame() -> (UInt8, Int)? {
        let view = buffer.readableBytesView
        guard view.count >= 2 else { return nil }
        let b0 = view[view.startIndex], b1 = view[view.startIndex + 1]
        var length = Int(b1 & 0x7F)
        var header = 2
        if length == 126 {
            guard view.count >= 4 else { return nil }
            length = Int(view[view.startIndex + 2]) << 8 | Int(view[view.startIndex + 3])
            header = 4
        } else if length == 127 {
            guard view.count >= 10 else { return nil }
            length = (2..<10).reduce(0) { $0 << 8 | Int(view[view.startIndex + $1]) }
            header = 10
        }
        guard view.count >= header + length else { return nil }
        buffer.moveReaderIndex(forwardBy: header + length)
        return (b0 & 0x0F, length)
    }
}
