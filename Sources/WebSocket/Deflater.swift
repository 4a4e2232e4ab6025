import CZlib

/// Raw DEFLATE compression (zlib) of whole permessage-deflate messages (RFC 7692 section 7.2.1):
/// each message is compressed and sync-flushed, and the 0x00 0x00 0xFF 0xFF that ends the flush is
/// removed. Without context takeover the window is forgotten after each message, so every output
/// stands alone and can be sent to any connection that negotiated this window.
///
/// A class because zlib's stream points back at itself (it must not move). Not thread-safe: one per
/// thread or per connection.
public final class Deflater: @unchecked Sendable {
    private let stream: UnsafeMutablePointer<z_stream>
    public let windowBits: Int
    public let contextTakeover: Bool

    /// - Parameters:
    ///   - windowBits: 9 to 15 (zlib refuses 8 for raw streams; see `PerMessageDeflate`).
    ///   - level: zlib's 1 (fastest) to 9 (smallest).
    /// nil when zlib cannot allocate its state or refuses the parameters.
    public init?(windowBits: Int, level: Int = 6, contextTakeover: Bool = false) {
        guard (9...15).contains(windowBits), (1...9).contains(level) else { return nil }
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        guard czlib_deflate_init_raw(stream, Int32(level), Int32(windowBits), Int32(Self.memoryLevel)) == Z_OK else {
            stream.deinitialize(count: 1)
            stream.deallocate()
            return nil
        }
        self.windowBits = windowBits
        self.contextTakeover = contextTakeover
    }

    /// zlib's memLevel: its hash table has 2^(memLevel + 7) entries, and zlib clears the whole
    /// table on every reset, i.e. after every message here. At 8 (zlib's default) that is 64 KiB
    /// per message, for messages of a few KiB (a state, a patch): the clearing cost more
    /// instructions than compressing a patch. At 5 it is 8 KiB, and the states and patches of a
    /// game compress to the same bytes (a 3.7 KB state and a 7.4 KB one: 785 and 834 bytes either
    /// way; memLevel 2 starts to lose).
    static let memoryLevel = 5

    deinit {
        deflateEnd(stream)
        stream.deinitialize(count: 1)
        stream.deallocate()
    }

    /// The compressed payload of one message (an empty message gives the single byte 0x00).
    public func compress(_ payload: UnsafeRawBufferPointer) -> [UInt8] {
        // deflateBound covers the data; the sync flush adds an empty stored block (at most 10
        // bytes with the bits still pending).
        let capacity = Int(deflateBound(stream, UInt(payload.count))) + 16
        var output = [UInt8](unsafeUninitializedCapacity: capacity) { buffer, initialized in
            stream.pointee.next_in = UnsafeMutablePointer(mutating: payload.baseAddress?.assumingMemoryBound(to: UInt8.self))
            stream.pointee.avail_in = UInt32(payload.count)
            stream.pointee.next_out = buffer.baseAddress
            stream.pointee.avail_out = UInt32(capacity)
            let status = deflate(stream, Z_SYNC_FLUSH)
            precondition(status == Z_OK && stream.pointee.avail_in == 0 && stream.pointee.avail_out > 0,
                         "deflate did not fit its bound")
            initialized = capacity - Int(stream.pointee.avail_out)
            stream.pointee.next_in = nil
            stream.pointee.next_out = nil
        }
        if !contextTakeover { deflateReset(stream) }
        if output.count >= 4, output.suffix(4).elementsEqual(Inflater.tail) {
            output.removeLast(4)
        }
        return output
    }

    public func compress(_ payload: [UInt8]) -> [UInt8] {
        payload.withUnsafeBytes { compress($0) }
    }
}
