// Which of Redis Cluster's 16,384 hash slots a key (or a sharded channel) lives in.

/// `HASH_SLOT = CRC16(key) mod 16384`, where only the `{hash tag}` is hashed when the key has one:
/// the bytes between the first `{` and the first `}` after it, if that is not empty. So
/// `monopoly:{ABC}:state` and `monopoly:{ABC}:snapshot` share a slot (one game, one shard).
public enum RedisClusterSlot {
    public static let count = 16384

    public static func of(_ key: [UInt8]) -> Int {
        Int(crc16(hashedPart(key)) & 0x3FFF)
    }

    public static func of(_ key: String) -> Int { of(Array(key.utf8)) }

    /// The bytes that are hashed: the non-empty hash tag, else the whole key.
    static func hashedPart(_ key: [UInt8]) -> ArraySlice<UInt8> {
        guard let open = key.firstIndex(of: UInt8(ascii: "{")),
              let close = key[(open + 1)...].firstIndex(of: UInt8(ascii: "}")),
              close > open + 1 else { return key[...] }
        return key[(open + 1)..<close]
    }

    /// CRC16-CCITT (XMODEM): polynomial 0x1021, initial value 0, no reflection, as in Redis's crc16.c.
    public static func crc16<C: Collection>(_ bytes: C) -> UInt16 where C.Element == UInt8 {
        var crc: UInt16 = 0
        for byte in bytes {
            crc = (crc << 8) ^ table[Int(UInt8(truncatingIfNeeded: crc >> 8) ^ byte)]
        }
        return crc
    }

    private static let table: [UInt16] = (0..<256).map { index in
        var crc = UInt16(index) << 8
        for _ in 0..<8 { crc = crc & 0x8000 != 0 ? (crc << 1) ^ 0x1021 : crc << 1 }
        return crc
    }
}
