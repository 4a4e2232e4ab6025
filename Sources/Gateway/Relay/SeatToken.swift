import Crypto
import RelayProtocol

/// Seat tokens are minted by the gateway and handed to its client only. What crosses Redis is the
/// token's proof, HMAC-SHA256 keyed with `SEAT_TOKEN_SECRET` (held by the gateways, never by
/// Redis), and the authority stores only the proof's SHA-256 (`SeatProof`): a value read from a
/// snapshot is neither a token (a gateway would key it again) nor a proof (the authority would hash
/// it again), and a token is useless to a gateway with another secret.
enum SeatToken {
    /// 128 random bits from the system CSPRNG, as 32 lowercase hex digits.
    static func mint() -> String {
        var generator = SystemRandomNumberGenerator()
        let high = generator.next() as UInt64
        let low = generator.next() as UInt64
        return hex(high) + hex(low)
    }

    /// What the envelope's `seat` carries for `token` (64 lowercase hex digits): its HMAC-SHA256
    /// keyed with `secret`, or without a secret its plain SHA-256 (then anyone who learns a proof
    /// from Redis can compute it from a token as well: set `SEAT_TOKEN_SECRET`).
    static func proof(_ token: String, secret: [UInt8]?) -> String {
        guard let secret else { return hexDigits(SHA256.hash(data: Array(token.utf8))) }
        return hexDigits(HMAC<SHA256>.authenticationCode(for: Array(token.utf8), using: SymmetricKey(data: secret)))
    }

    static func hexDigits<Bytes: Sequence>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: text, as: UTF8.self)
    }

    private static func hex(_ value: UInt64) -> String {
        let text = String(value, radix: 16)
        return String(repeating: "0", count: 16 - text.count) + text
    }
}
