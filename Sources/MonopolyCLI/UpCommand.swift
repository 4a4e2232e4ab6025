import ArgumentParser
import Foundation
import LocalProcesses
import Redis
import RelayProtocol

/// `monopoly up`: the whole stack on one machine, for a newcomer's first run and for demos.
struct Up: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Start redis-server, authorities and gateways on consecutive ports; Ctrl-C or SIGTERM stops everything (exit 0)."
    )

    @Option(help: "Port of the first gateway; the others follow.") var port = 8080
    @Option(help: "How many gateways to start.") var gateways = 2
    @Option(help: "How many authorities to start (1 to 16): all active, sharing the 64 shards.") var authorities = 1
    @Option(help: "Port for the stack's own redis-server (ephemeral data).") var redisPort = 6390
    @Option(help: "Test only: a file of die values consumed in order by `roll`.") var diceScript: String?
    @Option(help: "Test only: the authority's RNG seed.") var seed: UInt64?
    @Option(help: "Test only: `unshuffled` keeps the printed card order.") var cards: String?
    @Flag(help: "Also serve /echo on every gateway.") var echo = false

    func validate() throws {
        guard (1...64).contains(gateways) else { throw ValidationError("--gateways must be 1 to 64") }
        guard (1...16).contains(authorities) else { throw ValidationError("--authorities must be 1 to 16") }
        // The gateways take consecutive ports from --port.
        guard (1...65_535 - (gateways - 1)).contains(port) else {
            throw ValidationError("--port must leave room for \(gateways) consecutive ports below 65536")
        }
        guard (1...65_535).contains(redisPort) else { throw ValidationError("--redis-port must be 1 to 65535") }
        if let cluster {
            guard EnvironmentOption.value(nil, "REDIS_URL") == nil else {
                throw ValidationError("REDIS_URL and REDIS_CLUSTER are both set: unset one (REDIS_CLUSTER runs the stack on that cluster)")
            }
            do { _ = try RedisClusterConfiguration(cluster) } catch { throw ValidationError("REDIS_CLUSTER: \(error)") }
        }
    }

    /// `REDIS_CLUSTER` from the environment: the stack runs on that cluster (its credentials used
    /// by the gateways and the authorities alike), and no redis-server of its own is started.
    private var cluster: String? { EnvironmentOption.value(nil, "REDIS_CLUSTER") }

    func run() throws {
        let redisServer = findOnPath("redis-server")
        if cluster == nil {
            guard redisServer != nil else { throw ValidationError("redis-server is not on PATH (scripts/bootstrap installs it)") }
            guard !LocalStack.canConnect(port: redisPort) else {
                throw ValidationError("port \(redisPort) is taken; choose another with --redis-port")
            }
        }
        let me = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().path
        let stack = LocalStack()
        signal(SIGINT, SIG_IGN)
        signal(SIGTERM, SIG_IGN)
        let signals = [SIGINT, SIGTERM].map { DispatchSource.makeSignalSource(signal: $0, queue: .global()) }
        for source in signals {
            source.setEventHandler { stack.stopAll() }
            source.resume()
        }

        let dataDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("monopoly-up-\(getpid())").path
        try FileManager.default.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dataDirectory) }
        do {
            try startAll(stack, me: me, redisServer: redisServer ?? "redis-server", dataDirectory: dataDirectory)
        } catch {
            // Nothing is left running; a stop requested while starting (Ctrl-C, SIGTERM) is no failure.
            stack.stopAll()
            stack.waitUntilAllExited()
            if error is LocalStack.Stopped || (stack.isStopping && stack.failure == nil) { return }
            throw error
        }
        stack.waitUntilAllExited()
        if stack.failure != nil { throw ExitCode.failure }
    }

    private func startAll(_ stack: LocalStack, me: String, redisServer: String, dataDirectory: String) throws {
        // Redis ACL users as in compose: passwords from the environment, else new ones per run.
        var passwords: [RedisACL.User: String] = [:]
        for user in RedisACL.User.allCases {
            let given = ProcessInfo.processInfo.environment[user.passwordVariable] ?? ""
            passwords[user] = given.isEmpty ? RedisACLCommand.randomPassword() : given
        }
        // The gateways' seat token key (SEAT_TOKEN_SECRET): inherited from the environment, else new.
        if (ProcessInfo.processInfo.environment["SEAT_TOKEN_SECRET"] ?? "").isEmpty {
            setenv("SEAT_TOKEN_SECRET", RedisACLCommand.randomPassword() + RedisACLCommand.randomPassword(), 1)
        }
        if cluster == nil {
            let aclFile = dataDirectory + "/users.acl"
            try Data(RedisACLCommand.file(passwords: passwords).utf8).write(to: URL(fileURLWithPath: aclFile))
            try stack.start(name: "redis-server", executable: redisServer, arguments: [
                "--port", "\(redisPort)", "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dataDirectory,
                "--aclfile", aclFile,
            ])
            guard stack.waitForPort(redisPort) else {
                throw ValidationError("redis-server did not start on port \(redisPort)")
            }
        }
        /// The children's Redis flags: the stack's own redis-server as `user`, or the cluster.
        func redis(_ user: RedisACL.User) -> [String] {
            if let cluster { return ["--redis-cluster", cluster] }
            let password = passwords[user]!.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
            return ["--redis", "redis://\(user.rawValue):\(password)@127.0.0.1:\(redisPort)"]
        }

        for index in 1...authorities {
            var authorityArguments = ["authority"] + redis(.authority) + ["--id", "authority-\(index)"]
            if let diceScript { authorityArguments += ["--dice-script", diceScript] }
            if let seed { authorityArguments += ["--seed", "\(seed)"] }
            if let cards { authorityArguments += ["--cards", cards] }
            try stack.start(name: "authority authority-\(index)", executable: me, arguments: authorityArguments)
        }

        for index in 0..<gateways {
            var arguments = ["gateway", "--port", "\(port + index)"] + redis(.gateway) + ["--id", "gw\(index + 1)"]
            if echo { arguments.append("--echo") }
            try stack.start(name: "gateway gw\(index + 1)", executable: me, arguments: arguments)
        }
        for index in 0..<gateways where !stack.waitForPort(port + index) {
            throw ValidationError("gateway gw\(index + 1) did not start on port \(port + index)")
        }

        print("MonopolyRelay is up:")
        for index in 0..<gateways { print("  gateway gw\(index + 1): http://127.0.0.1:\(port + index)/") }
        print("  authorities:    authority-1\(authorities > 1 ? "..authority-\(authorities) (all active, sharing the 64 shards)" : "")")
        if let cluster, let seeds = try? RedisClusterConfiguration(cluster) {
            print("  redis:          the cluster of REDIS_CLUSTER, \(seeds.redactedDescription)")
        } else {
            print("  redis:          127.0.0.1:\(redisPort), users gateway, authority, operator (watch it read-only:")
            print("                  REDISCLI_AUTH=\(passwords[.operator]!) redis-cli --user operator -p \(redisPort) PSUBSCRIBE 'monopoly:*')")
        }
        print("Ctrl-C (or SIGTERM) stops everything.")
    }
}
