import NIOCore
import NIOEmbedded
import NIOWebSocket

// Kept apart from CodecBenchmark.swift: NIOWebSocket and our WebSocket module both define
// WebSocketOpcode and WebSocketFrameEncoder.

/// NIOWebSocket's side of the codec benchmark: `WebSocketFrameDecoder` behind
/// `ByteToMessageHandler` in an `EmbeddedChannel`, then `frame.unmaskedData`.
struct NIOCodecDriver {
    /// The stream cut into read-sized buffers once, outside the timed region, as a socket read
    /// would hand them over.
    let reads: [ByteBuffer]

    init(stream: [UInt8], readSize: Int) {
        let allocator = ByteBufferAllocator()
        var reads: [ByteBuffer] = []
        var start = 0
        while start < stream.count {
            let end = min(stream.count, start + readSize)
            var buffer = allocator.buffer(capacity: end - start)
            buffer.writeBytes(stream[start..<end])
            reads.append(buffer)
            start = end
        }
        self.reads = reads
    }

    /// Decodes every read; with `makeStrings`, also turns each payload into a String, the work a
    /// NIO server needs to get text (NIO does not validate: invalid UTF-8 is silently repaired).
    func decode(expected: Int, maxFrameSize: Int, makeStrings: Bool) {
        let channel = EmbeddedChannel()
        try! channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(WebSocketFrameDecoder(maxFrameSize: maxFrameSize)))
        var messages = 0
        var characters = 0
        for read in reads {
            try! channel.writeInbound(read)
            while let frame = try! channel.readInbound(as: WebSocketFrame.self) {
                let data = frame.unmaskedData
                if makeStrings { characters &+= String(buffer: data).utf8.count }
                messages += 1
            }
        }
        _ = try! channel.finish()
        precondition(messages == expected, "NIO decoded \(messages) of \(expected) messages")
        precondition(characters >= 0)
    }
}
