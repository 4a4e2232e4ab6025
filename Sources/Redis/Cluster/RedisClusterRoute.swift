// Where a command goes in a cluster: which of its arguments are keys, and their one slot.

/// The node a command must be sent to: the master of one slot, or any node (no keys).
public enum RedisClusterRoute: Sendable, Equatable {
    case slot(Int)
    /// No key: PING, classic PUBLISH (a cluster forwards it to every node), SCRIPT LOAD ...
    case anyNode

    /// The route of `command`. Throws ``RedisError/crossSlot(command:)`` when its keys hash to more
    /// than one slot and ``RedisError/unroutableCommand(_:)`` for a command the table does not know
    /// (better a clear error than a guess that sends a key to the wrong shard).
    public static func of(_ command: [RedisArgument]) throws -> RedisClusterRoute {
        guard let first = command.first else { throw RedisError.unroutableCommand("(empty command)") }
        let name = first.string.uppercased()
        let keys: ArraySlice<RedisArgument>
        switch Self.rules[name] {
        case nil: throw RedisError.unroutableCommand(name)
        case .none?: return .anyNode
        case .first?:
            guard command.count >= 2 else { throw RedisError.unroutableCommand("\(name) without a key") }
            keys = command[1...1]
        case .all?:
            keys = command.dropFirst()
        case .firstTwo?:
            guard command.count >= 3 else { throw RedisError.unroutableCommand("\(name) without its two keys") }
            keys = command[1...2]
        case .pairs?:
            keys = command.dropFirst()
            return try route(keys.enumerated().filter { $0.offset % 2 == 0 }.map(\.element)[...], name)
        case .counted?:  // EVAL script numkeys key... arg...
            guard command.count >= 3, let count = Int(command[2].string), count >= 0, count <= command.count - 3 else {
                throw RedisError.unroutableCommand("\(name) with a bad key count")
            }
            keys = command[3..<(3 + count)]
        }
        return try route(keys, name)
    }

    private static func route(_ keys: ArraySlice<RedisArgument>, _ name: String) throws -> RedisClusterRoute {
        guard let first = keys.first else { return .anyNode }
        let slot = RedisClusterSlot.of(first.bytes)
        if keys.dropFirst().contains(where: { RedisClusterSlot.of($0.bytes) != slot }) {
            throw RedisError.crossSlot(command: name)
        }
        return .slot(slot)
    }

    enum KeyRule { case none, first, all, firstTwo, pairs, counted }

    /// Commands by where their keys are (as `COMMAND INFO` says). Deliberately a closed list.
    static let rules: [String: KeyRule] = {
        var rules: [String: KeyRule] = [:]
        for name in ["PING", "ECHO", "INFO", "PUBLISH", "SCRIPT", "CLUSTER", "TIME", "DBSIZE", "COMMAND", "CLIENT",
                     "FLUSHALL", "FLUSHDB", "CONFIG", "ACL", "READONLY", "READWRITE"] { rules[name] = KeyRule.none }
        for name in ["GET", "SET", "SETNX", "SETEX", "PSETEX", "GETSET", "GETDEL", "GETEX", "INCR", "INCRBY", "DECR",
                     "DECRBY", "APPEND", "STRLEN", "EXPIRE", "PEXPIRE", "EXPIREAT", "PEXPIREAT", "TTL", "PTTL", "PERSIST",
                     "TYPE", "HGET", "HSET", "HSETNX", "HDEL", "HGETALL", "HKEYS", "HVALS", "HLEN", "HEXISTS", "HINCRBY",
                     "HMGET", "HMSET", "LPUSH", "RPUSH", "LPOP", "RPOP", "LRANGE", "LLEN", "LTRIM", "LINDEX", "LSET", "LREM",
                     "SADD", "SREM", "SMEMBERS", "SISMEMBER", "SCARD", "ZADD", "ZREM", "ZRANGE", "ZRANGEBYSCORE", "ZSCORE",
                     "ZCARD", "ZINCRBY", "ZREVRANGE", "ZREMRANGEBYSCORE", "ZCOUNT", "XADD", "XRANGE", "XLEN", "SPUBLISH",
                     "DUMP", "RESTORE"] { rules[name] = .first }
        for name in ["DEL", "UNLINK", "EXISTS", "MGET", "TOUCH", "WATCH", "SSUBSCRIBE", "SUNSUBSCRIBE"] { rules[name] = .all }
        for name in ["RENAME", "RENAMENX", "RPOPLPUSH", "LMOVE", "SMOVE"] { rules[name] = .firstTwo }
        for name in ["MSET", "MSETNX"] { rules[name] = .pairs }
        for name in ["EVAL", "EVALSHA", "EVAL_RO", "EVALSHA_RO", "FCALL", "FCALL_RO"] { rules[name] = .counted }
        return rules
    }()
}
