import ArgumentParser

@main
struct Monopoly: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "monopoly",
        abstract: "MonopolyRelay: real-time multiplayer Monopoly over WebSocket, Redis in between.",
        subcommands: [
            GatewayCommand.self,
            AuthorityCommand.self,
            Up.self,
            Bench.self,
            AdminCommand.self,
            ReplayCommand.self,
        ]
    )
}
