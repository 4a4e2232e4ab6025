import CZlib

/// Raw DEFLATE decompression (zlib) of permessage-deflate messages, bounded: output goes into the
/// message buffer only while it stays within the message size limit, and stops at the first byte
/// past it, so a small frame that would inflate to gigabytes costs at most the limit plus one chunk.
///
/// A class because zlib's stream points back at itself (it must not move); one connection owns it.
final class Inflater: @unchecked Sendable {
    enum Outcome: Equatable {
        case ok
        /// The message would exceed the limit; what fitted was kept, nothing past it.
        case tooBig
        /// Not a valid DEFLATE stream.
        case corrupt
    }

    private let stream: UnsafeMutablePointer<z_stream>
    private let chunk: UnsafeMutablePointer<UInt8>
    static let chunkSize = 16 << 10
    /// The stream ended with a final block (BFINAL, RFC 7692 section 7.2.3.4): what follows until
    /// the message ends (padding, the tail) is not part of it and is skipped.
    private var ended = false

    /// nil when zlib cannot allocate its state.
    init?(windowBits: Int) {
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        guard czlib_inflate_init_raw(stream, Int32(windowBits)) == Z_OK else {
            stream.deinitialize(count: 1)
            stream.deallocate()
            return nil
        }
        chunk = .allocate(capacity: Self.chunkSize)
    }

    deinit {
        inflateEnd(stream)
        stream.deinitialize(count: 1)
        stream.deallocate()
        chunk.deallocate()
    }

    /// The 4 bytes a sender removed from the end of each message (RFC 7692 section 7.2.2).
    static let tail: [UInt8] = [0x00, 0x00, 0xFF, 0xFF]

    /// Inflates `input`, appending what it yields to `payload` as long as `payload` stays within
    /// `limit` bytes.
    func inflate(_ input: UnsafeRawBufferPointer, into payload: inout [UInt8], limit: Int) -> Outcome {
        guard !ended, !input.isEmpty, let base = input.baseAddress else { return .ok }
        stream.pointee.next_in = UnsafeMutablePointer(mutating: base.assumingMemoryBound(to: UInt8.self))
        stream.pointee.avail_in = UInt32(input.count)
        defer {
            stream.pointee.next_in = nil
            stream.pointee.avail_in = 0
        }
        while true {
            let room = max(limit - payload.count, 0)
            // One byte more than the room left: producing it proves the message too big.
            let size = min(Self.chunkSize, room + 1)
            stream.pointee.next_out = chunk
            stream.pointee.avail_out = UInt32(size)
            let status = CZlib.inflate(stream, Z_SYNC_FLUSH)
            let produced = size - Int(stream.pointee.avail_out)
            // What fits is kept even when the rest does not, or when the data turns out corrupt, so
            // that the caller judges every byte before the failure the same way however the input
            // was split (an invalid character there is reported first).
            payload.append(contentsOf: UnsafeBufferPointer(start: chunk, count: min(produced, room)))
            if produced > room { return .tooBig }
            switch status {
            case Z_OK:
                // Output full: there may be more; input left: keep going.
                if stream.pointee.avail_out == 0 || stream.pointee.avail_in > 0 { continue }
                return .ok
            case Z_BUF_ERROR:
                // No progress possible: everything given was consumed.
                return stream.pointee.avail_in == 0 ? .ok : .corrupt
            case Z_STREAM_END:
                ended = true
                return .ok
            default:
                return .corrupt
            }
        }
    }

    /// Ends a message: inflates the tail the sender removed.
    func finishMessage(into payload: inout [UInt8], limit: Int) -> Outcome {
        Self.tail.withUnsafeBytes { inflate($0, into: &payload, limit: limit) }
    }

    /// Forgets the LZ77 window (no context takeover, or a stream that ended with a final block).
    func reset() {
        inflateReset(stream)
        ended = false
    }

    /// Whether the stream ended with a final block: the next message starts a new stream.
    var streamEnded: Bool { ended }
}
