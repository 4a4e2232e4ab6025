import NIOCore
import NIOEmbedded
import NIOWebSocket

// Kept apart from CodecBenchmark.swift: NIOWebSocket and our WebSocket module both define
// WebSocketOpcode and WebSocketFrameEncoder.
extension CodecBenchmark {
    static func decodeWithNIO(_ stream: [UInt8], readSize: Int, expected: Int) {
        let channel = EmbeddedChannel()
        try! channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(WebSocketFrameDecoder(maxFrameSize: 2 << 20)))
        let allocator = ByteBufferAllocator()
        var messages = 0
        var start = 0
        while start < stream.count {
            let end = min(stream.count, start + readSize)
            // The read buffer a socket read would have filled.
            var buffer = allocator.buffer(capacity: end - start)
            buffer.writeBytes(stream[start..<end])
            try! channel.writeInbound(buffer)
            while let frame = try! channel.readInbound(as: WebSocketFrame.self) {
                let data = frame.unmaskedData
                if data.readableBytes >= 0 { messages += 1 }
            }
            start = end
        }
        _ = try! channel.finish()
        precondition(messages == expected, "NIO decoded \(messages) of \(expected) messages")
    }
}
