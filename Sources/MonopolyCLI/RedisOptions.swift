import ArgumentParser
import Logging
import NIOPosix
import Redis

/// `--redis` / `REDIS_URL` (one Redis) or `--redis-cluster` / `REDIS_CLUSTER` (a cluster's seeds),
/// shared by the gateway, the authority and the operator's commands (`admin`, `replay`). Both
/// given is a usage error (see `RedisTarget`).
struct RedisOptions: ParsableArguments {
    @Option(name: .customLong("redis"), help: "Redis URL: redis://[user:password@]host:port[/db] (default: $REDIS_URL or redis://127.0.0.1:6379).")
    var urlFlag: String?

    @Option(name: .customLong("redis-cluster"), help: "A Redis Cluster instead: seed nodes [redis://[user:password@]]host:port,host:port... (default: $REDIS_CLUSTER); not with --redis / $REDIS_URL.")
    var clusterFlag: String?

    var url: String? { EnvironmentOption.value(urlFlag, "REDIS_URL") }
    var cluster: String? { EnvironmentOption.value(clusterFlag, "REDIS_CLUSTER") }

    func validate() throws {
        do {
            _ = try RedisTarget(url: url, cluster: cluster)
        } catch {
            throw ValidationError("\(error)")
        }
    }

    /// Runs `body` with a connection to the Redis or cluster named, closed afterwards (a one-shot
    /// operator command's whole use of Redis).
    func withCommands<Result: Sendable>(_ body: (RedisCommands) async throws -> Result) async throws -> Result {
        let target = try RedisTarget(url: url, cluster: cluster)
        let commands = try await RedisCommands.connect(target, eventLoopGroup: MultiThreadedEventLoopGroup.singleton,
                                                       logger: Logger(label: "monopoly.cli"))
        do {
            let result = try await body(commands)
            await commands.close()
            return result
        } catch {
            await commands.close()
            throw error
        }
    }
}
