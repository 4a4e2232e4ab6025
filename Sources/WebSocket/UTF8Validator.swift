/// Incremental UTF-8 validator (RFC 3629): feed it a message in any number of pieces and it reports
/// the first invalid byte as soon as that byte arrives, which is what Autobahn 6.4.x ("fail fast")
/// checks. Overlong forms, surrogates (U+D800-DFFF) and code points above U+10FFFF are rejected at
/// the earliest byte that rules them out, e.g. `F4 90` fails on 0x90.
struct UTF8Validator: Sendable, Equatable {
    /// What the next byte must be. Each case names the constraint left by the bytes seen so far.
    enum State: UInt8, Sendable {
        case ready          // between code points
        case oneMore        // any continuation byte (80-BF), then ready
        case twoMore        // two continuation bytes
        case threeMore      // three continuation bytes
        case afterE0        // A0-BF: excludes 3-byte overlongs
        case afterED        // 80-9F: excludes surrogates
        case afterF0        // 90-BF: excludes 4-byte overlongs
        case afterF4        // 80-8F: excludes > U+10FFFF
        case invalid        // sticky: once broken, the message stays broken
    }

    private(set) var state: State = .ready

    /// True when the bytes so far end on a code point boundary (a message may end here).
    var isComplete: Bool { state == .ready }

    /// Validates the next piece. Returns false as soon as an invalid byte is seen.
    mutating func validate(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard state != .invalid else { return false }
        guard let base = bytes.baseAddress else { return true }
        let count = bytes.count
        var index = 0
        var s = state
        while index < count {
            if s == .ready {
                // ASCII fast path: 32 then 8 bytes at a time while no byte has its high bit set.
                while index + 32 <= count {
                    let a = base.loadUnaligned(fromByteOffset: index, as: UInt64.self)
                    let b = base.loadUnaligned(fromByteOffset: index + 8, as: UInt64.self)
                    let c = base.loadUnaligned(fromByteOffset: index + 16, as: UInt64.self)
                    let d = base.loadUnaligned(fromByteOffset: index + 24, as: UInt64.self)
                    if (a | b | c | d) & 0x8080_8080_8080_8080 != 0 { break }
                    index += 32
                }
                while index + 8 <= count {
                    let a = base.loadUnaligned(fromByteOffset: index, as: UInt64.self)
                    if a & 0x8080_8080_8080_8080 != 0 { break }
                    index += 8
                }
                if index == count { break }
                // Whole sequences at once while 4 bytes remain: no state to carry between bytes.
                if index + 4 <= count {
                    let b0 = base.load(fromByteOffset: index, as: UInt8.self)
                    let b1 = base.load(fromByteOffset: index + 1, as: UInt8.self)
                    if b0 < 0x80 {
                        index += 1
                        continue
                    }
                    let length = Self.sequenceLength(lead: b0, second: b1)
                    if length == 0 {
                        state = .invalid
                        return false
                    }
                    // Bytes 3 and 4 (when present) are plain continuation bytes.
                    let b2 = base.load(fromByteOffset: index + 2, as: UInt8.self)
                    let b3 = base.load(fromByteOffset: index + 3, as: UInt8.self)
                    if (length >= 3 && b2 & 0xC0 != 0x80) || (length == 4 && b3 & 0xC0 != 0x80) {
                        state = .invalid
                        return false
                    }
                    index += length
                    continue
                }
            }
            let byte = base.load(fromByteOffset: index, as: UInt8.self)
            index += 1
            switch s {
            case .ready:
                switch byte {
                case 0x00...0x7F: continue
                case 0xC2...0xDF: s = .oneMore
                case 0xE0: s = .afterE0
                case 0xE1...0xEC, 0xEE...0xEF: s = .twoMore
                case 0xED: s = .afterED
                case 0xF0: s = .afterF0
                case 0xF1...0xF3: s = .threeMore
                case 0xF4: s = .afterF4
                default: s = .invalid  // 80-BF (stray continuation), C0/C1 (overlong), F5-FF
                }
            case .oneMore: s = (0x80...0xBF).contains(byte) ? .ready : .invalid
            case .twoMore: s = (0x80...0xBF).contains(byte) ? .oneMore : .invalid
            case .threeMore: s = (0x80...0xBF).contains(byte) ? .twoMore : .invalid
            case .afterE0: s = (0xA0...0xBF).contains(byte) ? .oneMore : .invalid
            case .afterED: s = (0x80...0x9F).contains(byte) ? .oneMore : .invalid
            case .afterF0: s = (0x90...0xBF).contains(byte) ? .twoMore : .invalid
            case .afterF4: s = (0x80...0x8F).contains(byte) ? .twoMore : .invalid
            case .invalid: break
            }
            if s == .invalid {
                state = .invalid
                return false
            }
        }
        state = s
        return true
    }

    /// Length of the sequence starting with `lead`, given its second byte, or 0 when these two
    /// bytes cannot start a valid sequence. Same ranges as the state machine (RFC 3629 table).
    @inline(__always)
    static func sequenceLength(lead: UInt8, second: UInt8) -> Int {
        switch lead {
        case 0xC2...0xDF: return second & 0xC0 == 0x80 ? 2 : 0
        case 0xE0: return (0xA0...0xBF).contains(second) ? 3 : 0
        case 0xED: return (0x80...0x9F).contains(second) ? 3 : 0
        case 0xE1...0xEF: return second & 0xC0 == 0x80 ? 3 : 0
        case 0xF0: return (0x90...0xBF).contains(second) ? 4 : 0
        case 0xF4: return (0x80...0x8F).contains(second) ? 4 : 0
        case 0xF1...0xF3: return second & 0xC0 == 0x80 ? 4 : 0
        default: return 0
        }
    }

    mutating func validate(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { validate($0) }
    }

    /// Whole-buffer check, for close reasons.
    static func isValid(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var validator = UTF8Validator()
        return validator.validate(bytes) && validator.isComplete
    }
}
