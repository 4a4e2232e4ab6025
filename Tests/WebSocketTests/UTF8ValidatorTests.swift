import Testing
@testable import WebSocket

@Suite struct UTF8ValidatorTests {
    static let valid: [[UInt8]] = [
        [],
        Array("plain ASCII that is longer than thirty-two bytes, to use the wide path".utf8),
        Array("κόσμε".utf8),
        [0xC2, 0x80], [0xDF, 0xBF],                    // 2-byte bounds
        [0xE0, 0xA0, 0x80], [0xEF, 0xBF, 0xBF],        // 3-byte bounds
        [0xED, 0x9F, 0xBF], [0xEE, 0x80, 0x80],        // around the surrogates
        [0xF0, 0x90, 0x80, 0x80], [0xF4, 0x8F, 0xBF, 0xBF],  // U+10000, U+10FFFF
    ]

    /// Invalid sequences with the index of the byte at which they become invalid.
    static let invalid: [([UInt8], Int)] = [
        ([0x80], 0),                                   // lone continuation
        ([0x61, 0xBF], 1),
        ([0xC0, 0x80], 0), ([0xC1, 0xBF], 0),          // overlong 2-byte
        ([0xE0, 0x80, 0x80], 1), ([0xE0, 0x9F, 0xBF], 1),  // overlong 3-byte
        ([0xF0, 0x80, 0x80, 0x80], 1), ([0xF0, 0x8F, 0xBF, 0xBF], 1),  // overlong 4-byte
        ([0xED, 0xA0, 0x80], 1), ([0xED, 0xBF, 0xBF], 1),  // surrogates
        ([0xF4, 0x90, 0x80, 0x80], 1),                 // U+110000
        ([0xF5, 0x80, 0x80, 0x80], 0), ([0xFF], 0), ([0xFE], 0),
        ([0xC2, 0x41], 1), ([0xE2, 0x82, 0x41], 2), ([0xF0, 0x90, 0x80, 0x41], 3),  // interrupted
        (Array("0123456789abcdef0123456789abcdef0123".utf8) + [0xC0], 36),  // after the wide path
    ]

    @Test(arguments: valid)
    func acceptsValidSequence(bytes: [UInt8]) {
        var validator = UTF8Validator()
        let accepted1 = validator.validate(bytes)
        #expect(accepted1)
        #expect(validator.isComplete)
    }

    @Test(arguments: valid)
    func acceptsValidSequenceSplitAnywhere(bytes: [UInt8]) {
        for split in 0...bytes.count {
            var validator = UTF8Validator()
            let accepted2 = validator.validate(Array(bytes[..<split]))
            #expect(accepted2)
            let accepted3 = validator.validate(Array(bytes[split...]))
            #expect(accepted3)
            #expect(validator.isComplete)
        }
    }

    @Test(arguments: invalid)
    func failsAtTheFirstInvalidByte(bytes: [UInt8], failingIndex: Int) {
        var validator = UTF8Validator()
        for (index, byte) in bytes.enumerated() {
            let accepted4 = validator.validate([byte])
            #expect(accepted4 == (index < failingIndex))
            if index >= failingIndex { break }
        }
        var whole = UTF8Validator()
        let accepted5 = whole.validate(bytes)
        #expect(!accepted5)
    }

    @Test func wholeSequencePathAgreesInsideLongBuffers() {
        // With ASCII around them, sequences are checked whole rather than byte by byte.
        let padding = Array("padding-".utf8)
        for bytes in Self.valid {
            var validator = UTF8Validator()
            let accepted = validator.validate(padding + bytes + padding)
            #expect(accepted && validator.isComplete, "\(bytes)")
        }
        for (bytes, _) in Self.invalid {
            var validator = UTF8Validator()
            let accepted = validator.validate(padding + bytes + padding)
            #expect(!accepted, "\(bytes)")
        }
    }

    @Test func staysInvalidOnceBroken() {
        var validator = UTF8Validator()
        let accepted6 = validator.validate([0xFF])
        #expect(!accepted6)
        let accepted7 = validator.validate([0x41])
        #expect(!accepted7)
        #expect(!validator.isComplete)
    }

    @Test(arguments: [[UInt8(0xE2)], [0xE2, 0x82], [0xF0, 0x9F, 0x98], [0xC3]])
    func truncatedSequenceIsIncomplete(bytes: [UInt8]) {
        var validator = UTF8Validator()
        let accepted8 = validator.validate(bytes)
        #expect(accepted8)
        #expect(!validator.isComplete)
    }

    @Test func agreesWithStandardLibraryOnRandomBytes() {
        var rng = SplitMix64(seed: 0x5EED)
        // Bias towards bytes that form or almost form multi-byte sequences.
        let alphabet: [UInt8] = [0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC2, 0xDF, 0xE0, 0xE1, 0xED, 0xEF, 0xF0, 0xF1, 0xF4, 0xF5, 0xFF]
        for _ in 0..<20_000 {
            let length = Int.random(in: 0...12, using: &rng)
            let bytes = (0..<length).map { _ in alphabet.randomElement(using: &rng)! }
            var validator = UTF8Validator()
            let ours = validator.validate(bytes) && validator.isComplete
            let standard = String(validating: bytes, as: UTF8.self) != nil
            #expect(ours == standard, "\(bytes)")
        }
    }
}
