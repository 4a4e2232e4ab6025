import ArgumentParser

/// `monopoly bench ...`: measurements that print our figure beside the one it is compared with.
/// Each benchmark is its own subcommand in its own file; add new ones to the list, one per line.
struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Benchmarks, each printed beside the figure it is compared with.",
        subcommands: [
            BenchCodec.self,
            BenchRules.self,
            BenchParse.self,
            BenchRedis.self,
            BenchGateway.self,
            BenchEcho.self,
            BenchConnections.self,
            BenchFanout.self,
            BenchGames.self,
            BenchChaos.self,
        ]
    )
}
