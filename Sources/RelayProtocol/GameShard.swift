/// Which shard of the game space a game belongs to: the authorities split the games by shard, each
/// holding the leases of a fair share (see the authority's `ShardAssignment`), and a game's commands
/// go on its shard's channel (`RedisChannels.shardCommands`).
///
/// A shard is a range of Redis Cluster hash slots: the game's slot (CRC-16/XMODEM of its id, the
/// hash tag of every key and channel of the game, modulo 16384, exactly as Redis computes it) divided
/// by `slotsPerShard`. So a shard's games live in one contiguous slot range of a cluster.
///
/// `count` is part of the stored layout: authorities and gateways of different counts would disagree
/// about who owns a game, so it never changes without a migration (stop every authority, then start
/// the new version). 64: fine enough that 3 authorities share within 5% (22, 21, 21) and up to 64
/// authorities all get one; coarse enough that an authority renews at most 64 leases a second.
public struct GameShard: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible {
    public static let count = 64
    public static let slots = 16384
    public static let slotsPerShard = slots / count

    public let rawValue: Int

    public init?(rawValue: Int) {
        guard (0..<Self.count).contains(rawValue) else { return nil }
        self.rawValue = rawValue
    }

    public init(of game: GameID) {
        rawValue = Self.slot(of: game.rawValue) / Self.slotsPerShard
    }

    /// Every shard, in order.
    public static var all: [GameShard] { (0..<count).map { GameShard(rawValue: $0)! } }

    /// The Redis Cluster hash slot of a hash tag (CRC-16/XMODEM, polynomial 0x1021, mod 16384).
    public static func slot(of tag: String) -> Int {
        var crc: UInt16 = 0
        for byte in tag.utf8 {
            crc ^= UInt16(byte) << 8
            for _ in 0..<8 {
                crc = crc & 0x8000 != 0 ? (crc << 1) ^ 0x1021 : crc << 1
            }
        }
        return Int(crc) % slots
    }

    public static func < (left: GameShard, right: GameShard) -> Bool { left.rawValue < right.rawValue }

    public var description: String { String(rawValue) }
}
