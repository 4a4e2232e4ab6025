@testable import Gateway
import Testing

/// The seat proof is HMAC-SHA256 keyed with `SEAT_TOKEN_SECRET` (RFC 4231's vectors), and the
/// plain SHA-256 of the token without a secret.
@Suite struct SeatTokenTests {
    @Test(arguments: [
        // RFC 4231 test case 1: a 20-byte key of 0x0b.
        ([UInt8](repeating: 0x0b, count: 20), Array("Hi There".utf8),
         "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"),
        // Test case 2: a key shorter than the block.
        (Array("Jefe".utf8), Array("what do ya want for nothing?".utf8),
         "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"),
        // Test case 6: a 131-byte key, longer than the block (hashed first).
        ([UInt8](repeating: 0xaa, count: 131), Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8),
         "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"),
    ])
    func proofIsHMACSHA256(key: [UInt8], data: [UInt8], expected: String) {
        #expect(SeatToken.proof(String(decoding: data, as: UTF8.self), secret: key) == expected)
    }

    @Test func withoutASecretTheProofIsTheTokensSHA256AndEachSecretGivesAnotherProof() {
        // SHA-256("abc"), FIPS 180-2.
        #expect(SeatToken.proof("abc", secret: nil) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        let token = SeatToken.mint()
        let one = SeatToken.proof(token, secret: Array("one secret of thirty-two bytes..".utf8))
        let other = SeatToken.proof(token, secret: Array("another secret, thirty-two bytes".utf8))
        #expect(one != other && one.count == 64 && other.count == 64)
        #expect(token.count == 32 && token != SeatToken.mint())
    }
}
