/// The bytes of one `receive` call and how far the decoder got in them (wsproto's Buffer, minus the
/// copy: payload bytes are handed on as slices of the caller's buffer and only the few bytes of a
/// header split across reads are kept, by `FrameDecoder`).
struct ReceiveCursor {
    let bytes: UnsafeRawBufferPointer
    private(set) var offset: Int = 0

    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    var remaining: Int { bytes.count - offset }
    var isEmpty: Bool { offset >= bytes.count }

    /// The byte at `offset + ahead` without consuming it.
    func peek(_ ahead: Int) -> UInt8 { bytes[offset + ahead] }

    /// Consumes and returns up to `count` bytes.
    mutating func consume(atMost count: Int) -> UnsafeRawBufferPointer {
        let n = Swift.min(count, remaining)
        let slice = UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + n)])
        offset += n
        return slice
    }
}
