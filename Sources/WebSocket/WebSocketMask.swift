/// A masking key together with the position inside the frame payload that the next byte has.
///
/// The phase is what lets a payload split over several reads be unmasked chunk by chunk: byte i of
/// the payload is XORed with key[i % 4], so a chunk that starts at payload offset 6 starts with
/// key[2].
@usableFromInline
struct WebSocketMask: Sendable, Equatable {
    /// The four key bytes in wire order, as they lie in memory.
    @usableFromInline var key: (UInt8, UInt8, UInt8, UInt8)
    /// Payload offset of the next byte, modulo 4.
    @usableFromInline var phase: Int

    @inlinable
    init(key: (UInt8, UInt8, UInt8, UInt8), phase: Int = 0) {
        self.key = key
        self.phase = phase & 3
    }

    @usableFromInline
    static func == (lhs: WebSocketMask, rhs: WebSocketMask) -> Bool {
        lhs.key == rhs.key && lhs.phase == rhs.phase
    }

    @inlinable
    func keyByte(_ index: Int) -> UInt8 {
        switch index & 3 {
        case 0: return key.0
        case 1: return key.1
        case 2: return key.2
        default: return key.3
        }
    }

    /// Eight key bytes starting at the current phase, laid out in memory order so that XORing the
    /// word with an unaligned 8-byte load of the payload unmasks eight bytes at once on any endianness.
    @inlinable
    var wideKey: UInt64 {
        #if _endian(little)
        // Rotating the little-endian key word by the phase puts key[phase] in the lowest byte.
        let word = UInt32(key.0) | UInt32(key.1) << 8 | UInt32(key.2) << 16 | UInt32(key.3) << 24
        let shift = UInt32(phase * 8)
        let rotated = shift == 0 ? word : (word >> shift | word << (32 - shift))
        return UInt64(rotated) | UInt64(rotated) << 32
        #else
        var word: UInt64 = 0
        withUnsafeMutableBytes(of: &word) { bytes in
            for j in 0..<8 { bytes[j] = keyByte(phase + j) }
        }
        return word
        #endif
    }

    /// XORs `buffer` in place (masking and unmasking are the same operation) and advances the phase.
    @inlinable
    mutating func apply(to buffer: UnsafeMutableRawBufferPointer) {
        let count = buffer.count
        guard count > 0, let base = buffer.baseAddress else { return }
        var index = 0
        if count >= 8 {
            let k = wideKey
            // 32 bytes per iteration: four independent loads/stores keep the pipeline busy and the
            // optimiser turns them into vector operations.
            while index + 32 <= count {
                let a = base.loadUnaligned(fromByteOffset: index, as: UInt64.self)
                let b = base.loadUnaligned(fromByteOffset: index + 8, as: UInt64.self)
                let c = base.loadUnaligned(fromByteOffset: index + 16, as: UInt64.self)
                let d = base.loadUnaligned(fromByteOffset: index + 24, as: UInt64.self)
                base.storeBytes(of: a ^ k, toByteOffset: index, as: UInt64.self)
                base.storeBytes(of: b ^ k, toByteOffset: index + 8, as: UInt64.self)
                base.storeBytes(of: c ^ k, toByteOffset: index + 16, as: UInt64.self)
                base.storeBytes(of: d ^ k, toByteOffset: index + 24, as: UInt64.self)
                index += 32
            }
            while index + 8 <= count {
                let a = base.loadUnaligned(fromByteOffset: index, as: UInt64.self)
                base.storeBytes(of: a ^ k, toByteOffset: index, as: UInt64.self)
                index += 8
            }
        }
        // Multiples of 8 keep the phase, so the tail continues from the same key position.
        while index < count {
            let byte = base.load(fromByteOffset: index, as: UInt8.self)
            base.storeBytes(of: byte ^ keyByte(phase + index), toByteOffset: index, as: UInt8.self)
            index += 1
        }
        phase = (phase + count) & 3
    }
}
