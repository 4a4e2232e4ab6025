/// The Redis ACL users of a deployment, in one place: `monopoly admin redis-acl` writes the file
/// the local twin, `monopoly up` and the tests start redis-server with, and deploy/redis-users.acl
/// (compose's template, checked against `template` by a test) is this with placeholders.
///
/// - `gateway` (internet-facing, so the least trusted): PUBLISH (SPUBLISH on a cluster) on command
///   channels only; SUBSCRIBE (SSUBSCRIBE) to state, reply and lobby channels (in a selector of its own, because Redis grants
///   a channel for PUBLISH and SUBSCRIBE alike); GET of the last states and the lease, HVALS of
///   the lobby hash, LRANGE of the command logs; its own heartbeat keys `monopoly:gateway:*`. A taken gateway cannot forge a
///   state, write a snapshot, take the lease, run a script or FLUSHALL: NOPERM. Both may
///   read the cluster's slot map (`CLUSTER SLOTS`, nothing else of CLUSTER) and send ASKING.
/// - `authority`: reads, writes, scripts and pub/sub on `monopoly:*`, TIME (the shard leases'
///   membership runs on Redis's clock), WAIT (replicas confirming a commit), nothing `@dangerous`
///   (FLUSHALL, KEYS, CONFIG, DEBUG, ...). `monopoly admin` runs with it.
/// - `operator`: read-only: reads of `monopoly:*`, SCAN, TTL, INFO, PUBSUB, (P)SUBSCRIBE to any
///   pattern; no PUBLISH, no write.
/// - `default`: off (a connection that does not AUTH can do nothing; see `defaultUser`).
public enum RedisACL {
    public enum User: String, CaseIterable, Sendable {
        case gateway, authority, `operator`

        /// The environment variable its password comes from (compose, the twin, `up`, the tests).
        public var passwordVariable: String { "REDIS_\(rawValue.uppercased())_PASSWORD" }
        /// What deploy/redis-users.acl holds instead of the password's SHA-256.
        public var placeholder: String { "\(rawValue.uppercased())_PASSWORD_SHA256" }
    }

    /// Every rule after the user's password: `reset` first, so nothing is granted by default.
    public static func rules(_ user: User) -> String {
        switch user {
        case .gateway:
            return [
                "+ping", "+select",
                // Reads (and only reads) of what a gateway serves from Redis.
                "+get", "+hvals", "%R~monopoly:{*}:last", "%R~\(RedisChannels.authorityLeaseKey)", "%R~\(RedisChannels.lobbyKey)",
                // A finished game's command log, served as a download (`GameLogRoute`).
                "+lrange", "%R~monopoly:{*}:log",
                // Its heartbeat (a key per gateway, with a TTL).
                "+set", "+pexpire", "+del", "+exists", "~monopoly:gateway:*",
                "+publish", "+spublish", "&\(RedisChannels.allShardCommandsPattern)",
                // On a Redis Cluster: learning the slot map and following ASK.
                "+cluster|slots", "+asking",
                "(+subscribe +unsubscribe +ssubscribe +sunsubscribe +ping &monopoly:{*}:state &monopoly:gateway:{*}:reply &\(RedisChannels.lobby))",
            ].joined(separator: " ")
        case .authority:
            // The pattern literally: a PSUBSCRIBE pattern must equal a granted one (an operator's
            // tool running as the authority may watch every shard's commands).
            return "~monopoly:* &monopoly:* &\(RedisChannels.allShardCommandsPattern) "
                + "+@read +@write +@pubsub +@transaction +eval +evalsha +ping +select +time -@dangerous"
                // On a Redis Cluster: the slot map, ASK, and WAIT for the replicas of a commit.
                + " +cluster|slots +asking +wait"
        case .operator:
            return "%R~monopoly:* &* +@read +@pubsub -publish -spublish -@dangerous +ping +select +info"
        }
    }

    /// The default user: off and without a password, so nobody can be it. It keeps every right
    /// all the same: Redis 7.0 checks the EXEC of a MULTI block read back from the AOF (which is
    /// how a script's writes are persisted) against the default user's rules, and without them
    /// every commit was lost when Redis restarted (redis-server 7.0.15, test_faults.py's restart).
    public static let defaultUser = "user default reset off ~* &* +@all"

    /// The ACL file (`redis-server --aclfile`): one line per user, `default` off.
    /// `passwordRule` gives each user's password rule, `#` and the password's SHA-256 in hex.
    public static func file(passwordRule: (User) -> String) -> String {
        var lines = [defaultUser]
        for user in User.allCases {
            lines.append("user \(user.rawValue) reset on \(passwordRule(user)) \(rules(user))")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// deploy/redis-users.acl: the file with `#PLACEHOLDER` for each password hash, replaced (by
    /// compose's Redis service, with `sha256sum`) before redis-server reads it.
    public static var template: String { file { "#\($0.placeholder)" } }
}
