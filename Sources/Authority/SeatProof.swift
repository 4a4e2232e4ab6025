import Crypto

/// What a snapshot keeps of a seat's token: `v2:` and the SHA-256 of the proof the gateway sent
/// (`seat` in the envelope, the token's HMAC keyed with the gateways' `SEAT_TOKEN_SECRET`). A
/// rejoin's proof is hashed before it is compared, so the stored value proves nothing: a rejoin
/// presenting it (published straight on Redis, or sent as a token through a gateway) is refused.
/// Seats stored before (a bare hex SHA-256 of the token, which a rejoin presented as is) cannot be
/// rejoined: `invalid_token`, the player joins again.
public enum SeatProof {
    static let prefix = "v2:"

    /// The value stored for a seat taken (or rejoined) with `proof`.
    public static func stored(_ proof: String) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var text = Array(prefix.utf8)
        for byte in SHA256.hash(data: Array(proof.utf8)) {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: text, as: UTF8.self)
    }

    /// A seat stored before proofs were hashed (no `v2:`): its old token cannot take it back.
    static func isLegacy(_ stored: String) -> Bool { !stored.hasPrefix(prefix) }
}
