import Crypto
import RelayProtocol

/// Seat tokens are minted by the gateway and handed to its client only. Redis (and so every
/// operator and the authority) sees only their SHA-256, which is enough to match a `rejoin`
/// and useless for taking the seat.
enum SeatToken {
    /// 128 random bits from the system CSPRNG, as 32 lowercase hex digits.
    static func mint() -> String {
        var generator = SystemRandomNumberGenerator()
        let high = generator.next() as UInt64
        let low = generator.next() as UInt64
        return hex(high) + hex(low)
    }

    static func hash(_ token: String) -> String {
        SHA256.hash(data: Array(token.utf8)).map { byte in
            let digits = Array("0123456789abcdef".utf8)
            return String(decoding: [digits[Int(byte >> 4)], digits[Int(byte & 0x0f)]], as: UTF8.self)
        }.joined()
    }

    private static func hex(_ value: UInt64) -> String {
        let text = String(value, radix: 16)
        return String(repeating: "0", count: 16 - text.count) + text
    }
}
