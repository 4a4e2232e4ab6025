import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import WebSocket

/// A server frame encoded once (server frames are unmasked) and written as the same bytes to any
/// number of connections, e.g. one game state fanned out to every local client of that game.
///
/// A data frame large enough to be worth it also carries its permessage-deflate form, made lazily
/// and once per LZ77 window (the server compresses without context takeover, so one compressed
/// frame fits every connection with that window): the first connection that negotiated deflate
/// compresses, the others reuse the bytes, and connections without it get the plain frame.
public struct PreEncodedFrame: Sendable {
    public let bytes: ByteBuffer
    /// nil for control frames and payloads too small to gain from compression.
    private let deflated: DeflatedFrame?

    public init(encoded bytes: ByteBuffer) {
        self.bytes = bytes
        self.deflated = DeflatedFrame(plain: bytes)
    }

    public init(text: String) {
        self.init(encoded: ByteBuffer(bytes: WebSocketFrameEncoder.text(text)))
    }

    public init(binary: [UInt8]) {
        self.init(encoded: ByteBuffer(bytes: WebSocketFrameEncoder.binary(binary)))
    }

    public init(_ message: WebSocketMessage) {
        switch message {
        case .text(let text): self.init(text: text)
        case .binary(let bytes): self.init(binary: bytes)
        }
    }

    /// The bytes for a connection: the compressed frame when it negotiated permessage-deflate with
    /// this compression window (`PerMessageDeflate.serverCompressionWindowBits`) and compressing
    /// saves bytes, else the plain frame.
    public func bytes(deflateWindowBits: Int?) -> ByteBuffer {
        guard let deflateWindowBits, let deflated else { return bytes }
        return deflated.frame(windowBits: deflateWindowBits)
    }

    /// How many times this frame was compressed (tests: once per window, whatever the fan-out).
    var compressions: Int { deflated?.compressions ?? 0 }

    /// A data message for one connection (an echo, an acknowledgement), encoded straight into the
    /// buffer that is written: one allocation and one copy, compressed when the connection
    /// negotiated permessage-deflate with `deflateWindowBits` and that makes it smaller. A
    /// `PreEncodedFrame` would add its shared once-per-window cache (an object, a lock and an
    /// array: 3 allocations), which pays only when many connections get the same frame.
    static func single(_ opcode: WebSocketOpcode, payload: UnsafeRawBufferPointer, deflateWindowBits: Int?) -> ByteBuffer {
        if let deflateWindowBits, payload.count >= DeflatedFrame.minimumPayload,
           let deflater = DeflatedFrame.deflater(windowBits: min(max(deflateWindowBits, 9), 15)) {
            let compressed = deflater.compress(payload)
            if compressed.count < payload.count {
                return compressed.withUnsafeBytes { encoded(opcode, payload: $0, compressed: true) }
            }
        }
        return encoded(opcode, payload: payload, compressed: false)
    }

    private static func encoded(_ opcode: WebSocketOpcode, payload: UnsafeRawBufferPointer, compressed: Bool) -> ByteBuffer {
        let headerLength = WebSocketFrameEncoder.headerLength(payloadLength: payload.count)
        let length = headerLength + payload.count
        var buffer = ByteBufferAllocator().buffer(capacity: length)
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: length) { out in
            WebSocketFrameEncoder.writeHeader(opcode: opcode, payloadLength: payload.count, compressed: compressed, to: out)
            UnsafeMutableRawBufferPointer(rebasing: out[headerLength..<length]).copyMemory(from: payload)
            return length
        }
        return buffer
    }
}

/// The compressed forms of one plain frame, made on first use. Shared by every copy of the
/// `PreEncodedFrame` and used from any event loop, hence the lock; the first caller compresses
/// (about 0.1 ms for a 7 KB state) while later ones wait for and reuse its bytes.
final class DeflatedFrame: Sendable {
    /// Payloads below this are sent plain: deflate would save a few bytes at most, for a full
    /// compressor pass per message (acknowledgements, errors, chat).
    static let minimumPayload = 128

    private let plain: ByteBuffer
    private let opcode: WebSocketOpcode
    private let payloadOffset: Int
    /// Index: window bits - 9 (zlib's raw windows, 9 to 15); `compressions` counts the passes.
    private let frames = NIOLockedValueBox((frames: [ByteBuffer?](repeating: nil, count: 7), compressions: 0))

    /// nil unless `plain` is one whole, unfragmented, uncompressed data frame worth compressing.
    init?(plain: ByteBuffer) {
        guard let first = plain.getInteger(at: plain.readerIndex, as: UInt8.self),
              let second = plain.getInteger(at: plain.readerIndex + 1, as: UInt8.self),
              first & 0xF0 == 0x80, second & 0x80 == 0,
              let opcode = WebSocketOpcode(rawValue: first & 0x0F), opcode == .text || opcode == .binary else { return nil }
        let lengthCode = second & 0x7F
        let offset = lengthCode == 127 ? 10 : (lengthCode == 126 ? 4 : 2)
        guard plain.readableBytes - offset >= Self.minimumPayload else { return nil }
        self.plain = plain
        self.opcode = opcode
        self.payloadOffset = offset
    }

    var compressions: Int { frames.withLockedValue { $0.compressions } }

    func frame(windowBits: Int) -> ByteBuffer {
        let index = min(max(windowBits, 9), 15) - 9
        return frames.withLockedValue { state in
            if let frame = state.frames[index] { return frame }
            state.compressions += 1
            let frame = compress(windowBits: index + 9)
            state.frames[index] = frame
            return frame
        }
    }

    /// The compressed frame, or the plain one when compression does not make it smaller (it
    /// is remembered either way).
    private func compress(windowBits: Int) -> ByteBuffer {
        // zlib could not allocate a compressor: this frame goes out plain.
        guard let deflater = Self.deflater(windowBits: windowBits) else { return plain }
        let payload = plain.readableBytesView.dropFirst(payloadOffset)
        let compressed = payload.withContiguousStorageIfAvailable { deflater.compress(UnsafeRawBufferPointer($0)) }
            ?? deflater.compress(Array(payload))
        let frame = WebSocketFrameEncoder.compressedFrame(opcode: opcode, compressedPayload: compressed)
        return frame.count < plain.readableBytes ? ByteBuffer(bytes: frame) : plain
    }

    /// One compressor per thread and window: zlib's state (about 256 KiB) is made once, reset after
    /// each message, and never shared between threads.
    private static let deflaters = ThreadSpecificVariable<DeflaterSet>()

    static func deflater(windowBits: Int) -> Deflater? {
        let set = deflaters.currentValue ?? {
            let set = DeflaterSet()
            deflaters.currentValue = set
            return set
        }()
        return set.deflater(windowBits: windowBits)
    }
}

/// A thread's compressors, by window bits. Unchecked: only its own thread ever reaches it
/// (`ThreadSpecificVariable`).
private final class DeflaterSet: @unchecked Sendable {
    private var deflaters = [Deflater?](repeating: nil, count: 7)

    func deflater(windowBits: Int) -> Deflater? {
        if let deflater = deflaters[windowBits - 9] { return deflater }
        // Level 6 (zlib's default): states of about 7 KB shrink to about a fifth.
        let deflater = Deflater(windowBits: windowBits, level: 6)
        deflaters[windowBits - 9] = deflater
        return deflater
    }
}
