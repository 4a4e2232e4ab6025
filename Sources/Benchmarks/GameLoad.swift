import Foundation
import LocalProcesses
import NIOCore
import NIOPosix
import Redis
import RelayProtocol
import WebSocket

/// The relay side of `bench fanout` and `bench games`: game clients speaking the wire protocol
/// (README "Wire protocol") over `WebSocketLoadClient`, a driver that plays two seats of a game,
/// and the local stack (redis-server, authority, gateways) the benchmarks start when given no URLs.

/// One player's connection in a game (replies parsed as JSON); `bench fanout`'s spectators are a
/// `SpectatorSwarm`.
final class GameClient: @unchecked Sendable {
    let client: WebSocketLoadClient
    private var nextID = 0
    private var pending: [String: EventLoopPromise<JSONReply>] = [:]
    /// Players: called with every state (parsed) and every reply without a waiting request.
    var onState: ((Int, [String: Any], UInt64) -> Void)?
    /// Players: the newest state received (seq, message, arrival), also before `onState` is set.
    private(set) var latestState: (seq: Int, message: [String: Any], at: UInt64)?
    var onReply: (([String: Any], UInt64) -> Void)?
    private(set) var closedReason: String?
    var game: String?

    init(client: WebSocketLoadClient) {
        self.client = client
        client.onMessage = { [weak self] message in self?.received(message) }
        client.onClose = { [weak self] reason in
            guard let self else { return }
            self.closedReason = reason ?? self.closedReason
        }
    }

    var eventLoop: any EventLoop { client.eventLoop }

    /// Sends `message` with a fresh id; returns the id and the send time.
    @discardableResult
    func send(_ message: [String: Any]) -> (id: String, at: UInt64) {
        nextID += 1
        let id = "m\(nextID)"
        var message = message
        message["id"] = id
        let data = try! JSONSerialization.data(withJSONObject: message)
        let at = monotonicNanoseconds()
        client.sendText(String(decoding: data, as: UTF8.self))
        return (id, at)
    }

    /// Sends `message` and completes with the reply naming it (`re`).
    func request(_ message: [String: Any]) -> EventLoopFuture<JSONReply> {
        let promise = eventLoop.makePromise(of: JSONReply.self)
        let (id, _) = send(message)
        pending[id] = promise
        return promise.futureResult
    }

    /// `request` from outside the event loop, repeated while the relay answers that no authority
    /// (or no Redis) is there yet: a gateway learns of a new lease within a few hundred ms.
    func requestRetrying(_ message: [String: Any], attempts: Int = 100) async throws -> JSONReply {
        let message = JSONReply(fields: message)
        var reply = JSONReply(fields: [:])
        for attempt in 0..<attempts {
            reply = try await eventLoop.flatSubmit { self.request(message.fields) }.get()
            let retry = ["authority_unavailable", "redis_unavailable"].contains(reply["code"] as? String ?? "")
            if !retry || attempt == attempts - 1 { break }
            try await Task.sleep(for: .milliseconds(200))
        }
        return reply
    }

    private func received(_ message: WebSocketMessage) {
        let now = client.readAt
        guard case .text(let text) = message else { return }
        guard let object = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] else { return }
        if object["type"] as? String == "state", let seq = object["seq"] as? Int {
            if seq > (latestState?.seq ?? 0) { latestState = (seq, object, now) }
            onState?(seq, object, now)
            return
        }
        if let re = object["re"] as? String, let promise = pending.removeValue(forKey: re) {
            promise.succeed(JSONReply(fields: object))
            return
        }
        onReply?(object, now)
    }

    static func connect(to url: WebSocketURL, on eventLoop: any EventLoop) -> EventLoopFuture<GameClient> {
        WebSocketLoadClient.connect(to: url, on: eventLoop, maxMessageSize: 1 << 20).map {
            GameClient(client: $0)
        }
    }
}

/// A parsed server message handed across event loops (JSONSerialization's values are immutable).
struct JSONReply: @unchecked Sendable {
    let fields: [String: Any]
    subscript(key: String) -> Any? { fields[key] }
}

enum GameLoadError: Error, CustomStringConvertible {
    case refused(String)
    var description: String {
        switch self { case .refused(let text): return text }
    }
}

/// Plays both seats of one game on their (shared) event loop with a fixed policy: roll, buy,
/// end the turn; pass in auctions; keep mortgages; bankrupt on a debt. One command in flight; the
/// next one is decided from the state the previous one produced. With `interval`, commands are
/// paced (one per interval at most), otherwise sent as soon as that state arrives.
final class GameDriver: @unchecked Sendable {
    let game: String
    let players: [(id: String, client: GameClient)]
    private let interval: TimeAmount?
    private var latest: (seq: Int, state: [String: Any])?
    /// The command in flight: its id, type, sender and send time; cleared by its ack (or error).
    private var inFlight: (id: String, type: String, player: Int, at: UInt64)?
    /// The state seq the last acked command produced: the next decision waits for it.
    private var waitingForSeq = 0
    private var fallback: [String: String] = [:]
    private var stopped = false
    private var timer: RepeatedTask?
    private var lastProgress = monotonicNanoseconds()
    /// Paced: when the next command is due (a late command is sent as soon as its state allows,
    /// so the rate holds on average).
    private var nextDue: UInt64 = 0
    /// Send time of the command behind each state seq (from the acks).
    private(set) var sentAtSeq: [Int: UInt64] = [:]
    /// First arrival of each state seq at one of the players.
    private(set) var arrivedAtSeq: [Int: UInt64] = [:]
    private(set) var commands = 0
    private(set) var errors: [String: Int] = [:]
    private(set) var finished = false
    private(set) var stuck = false

    init(game: String, players: [(id: String, client: GameClient)], interval: TimeAmount?) {
        self.game = game
        self.players = players
        self.interval = interval
    }

    var eventLoop: any EventLoop { players[0].client.eventLoop }

    /// Starts playing (call on the event loop, after the game's `start` was acknowledged).
    func begin() {
        for (index, player) in players.enumerated() {
            player.client.onState = { [weak self] seq, state, at in self?.stateArrived(seq, state, at: at) }
            player.client.onReply = { [weak self] reply, at in self?.replyArrived(reply, from: index, at: at) }
            if let state = player.client.latestState { stateArrived(state.seq, state.message, at: state.at) }
        }
        let period: TimeAmount = interval.map { .nanoseconds(max(Int64(1_000_000), $0.nanoseconds / 4)) } ?? .milliseconds(50)
        timer = eventLoop.scheduleRepeatedTask(initialDelay: period, delay: period) { [weak self] _ in
            self?.tick()
        }
    }

    func stop() {
        stopped = true
        timer?.cancel()
    }

    private func stateArrived(_ seq: Int, _ state: [String: Any], at: UInt64) {
        if arrivedAtSeq[seq] == nil { arrivedAtSeq[seq] = at }
        guard seq > (latest?.seq ?? 0), let body = state["state"] as? [String: Any] else { return }
        latest = (seq, body)
        lastProgress = at
        tick()
    }

    private func replyArrived(_ reply: [String: Any], from player: Int, at: UInt64) {
        guard let flight = inFlight, reply["re"] as? String == flight.id else { return }
        inFlight = nil
        switch reply["type"] as? String {
        case "ack":
            if let seq = reply["seq"] as? Int {
                sentAtSeq[seq] = flight.at
                waitingForSeq = seq
            }
            fallback = [:]
        default:
            let code = reply["code"] as? String ?? "?"
            errors[code, default: 0] += 1
            // Try the alternative next time (e.g. jail_pay when a roll is refused).
            fallback[flight.type] = Self.alternatives[flight.type]
        }
        tick()
    }

    static let alternatives = ["roll": "jail_pay", "jail_pay": "end_turn", "buy": "decline", "end_turn": "roll"]

    private func tick() {
        guard !stopped, inFlight == nil, let latest, latest.seq >= waitingForSeq else {
            checkStuck()
            return
        }
        let now = monotonicNanoseconds()
        if let interval {
            guard now >= nextDue else { return }
            // Behind by more than one period (a stall): start the schedule again from now.
            let period = UInt64(interval.nanoseconds)
            nextDue = nextDue + period < now ? now + period : nextDue + period
        }
        let state = latest.state
        if state["phase"] as? String == "finished" {
            finished = true
            stop()
            return
        }
        guard let next = nextCommand(state) else {
            checkStuck()
            return
        }
        let (index, command) = next
        let (id, at) = players[index].client.send(command)
        inFlight = (id, command["type"] as! String, index, at)
        commands += 1
    }

    private func checkStuck() {
        if !stopped, monotonicNanoseconds() - lastProgress > 5_000_000_000 {
            stuck = true
            stop()
        }
    }

    private func nextCommand(_ state: [String: Any]) -> (Int, [String: Any])? {
        guard state["phase"] as? String == "playing",
              let awaiting = state["awaiting"] as? [String], let who = awaiting.first,
              let index = players.firstIndex(where: { $0.id == who }) else { return nil }
        var type: String
        var extra: [String: Any] = [:]
        switch state["turn_stage"] as? String {
        case "roll": type = "roll"
        case "buy": type = "buy"
        case "jail_fine": type = "jail_pay"
        case "end_turn": type = "end_turn"
        case "auction": type = "pass"
        case "debt": type = "bankrupt"
        case "mortgage_choice":
            let choices = state["mortgage_choices"] as? [[String: Any]] ?? []
            guard let square = choices.first(where: { $0["player"] as? String == who })?["square"] as? Int else { return nil }
            type = "keep_mortgage"
            extra["square"] = square
        default:
            return nil
        }
        if let alternative = fallback[type] { type = alternative }
        extra["type"] = type
        return (index, extra)
    }

    /// Creates a game through `host` and seats `guest`; returns the driver (not yet started).
    /// Retries while no authority holds the lease yet.
    static func setUp(host: GameClient, guest: GameClient, interval: TimeAmount?, startingCash: Int = 100_000) async throws -> GameDriver {
        let options: [String: Any] = ["starting_cash": startingCash, "auctions": false, "max_players": 2]
        let create: [String: Any] = ["type": "create", "name": "host", "options": options]
        let welcome = try await host.requestRetrying(create)
        guard welcome["type"] as? String == "welcome", let game = welcome["game"] as? String,
              let hostID = welcome["player"] as? String else {
            throw GameLoadError.refused("create: \(welcome.fields)")
        }
        let joined = try await guest.requestRetrying(["type": "join", "game": game, "name": "guest"])
        guard joined["type"] as? String == "welcome", let guestID = joined["player"] as? String else {
            throw GameLoadError.refused("join: \(joined.fields)")
        }
        host.game = game
        guest.game = game
        return GameDriver(game: game, players: [(hostID, host), (guestID, guest)], interval: interval)
    }

    /// `start` through the host, then play.
    func startPlaying() async throws {
        let host = players[0].client
        let started = try await host.requestRetrying(["type": "start"])
        guard started["type"] as? String == "ack" else { throw GameLoadError.refused("start: \(started.fields)") }
        try await eventLoop.submit { self.begin() }.get()
    }
}

/// What `bench fanout` and `bench games` share: where the gateways are (or how many to start), the
/// measured window and the load generator's threads.
public struct RelayLoadOptions: Sendable {
    /// Gateway /ws URLs; empty: start redis-server, an authority and `gateways` gateways.
    public var urls: [String] = []
    public var gateways = 2
    public var duration = 10.0
    public var warmup = 2.0
    public var threads = 1
    /// Event-loop threads of each gateway the benchmark starts (nil: the machine's cores shared
    /// out among the gateways, as if each had its own share of the box).
    public var gatewayThreads: Int?
    /// The event loops each gateway the benchmark starts gets.
    var threadsPerGateway: Int { gatewayThreads ?? max(1, System.coreCount / max(1, gateways)) }
    /// Authorities the benchmark starts (they share the game shards).
    public var authorities = 1
    public init() {}

    /// The gateways to load: the given URLs, or a stack started now (stop it when done); plus the
    /// processes whose CPU the report shows.
    func targets(maxConnections: Int, progress: @Sendable (String) -> Void) throws
        -> (stack: LoadStack?, urls: [WebSocketURL], processes: [(String, Int32?)]) {
        LoadSupport.raiseFileLimit()
        guard urls.isEmpty else { return (nil, try urls.map(WebSocketURL.init), [("load generator", nil)]) }
        progress("starting redis-server, \(authorities) authorities and \(gateways) gateways")
        let stack = try LoadStack(gateways: gateways, authorities: authorities, gatewayThreads: threadsPerGateway, maxConnections: maxConnections)
        return (stack, stack.gatewayURLs, [("load generator", nil)] + stack.pids.map { ($0.0, Optional($0.1)) })
    }
}

/// redis-server, N authorities and M gateways on free ports, stopped by `stop()`.
final class LoadStack: @unchecked Sendable {
    private(set) var processes: [BenchProcess] = []
    private var redis: RedisServerProcess?
    private(set) var gatewayURLs: [WebSocketURL] = []
    private(set) var gatewayPIDs: [Int32] = []

    init(gateways: Int, authorities: Int = 1, gatewayThreads: Int? = nil, botDelayMs: Int = 5, rateLimit: Int = 1000,
         maxConnections: Int = 20_000) throws {
        LoadSupport.raiseFileLimit()
        let server = try RedisServerProcess()
        redis = server
        let me = LoadSupport.siblingExecutable("monopoly")
        for index in 1...max(1, authorities) {
            processes.append(try BenchProcess(name: authorities > 1 ? "authority \(index)" : "authority", executable: me, arguments: [
                "authority", "--redis", server.url, "--id", "bench-authority-\(index)", "--bot-delay-ms", "\(botDelayMs)", "--log-level", "error",
                // The load comes from one address.
                "--max-games-per-client", "1000000", "--create-rate-per-minute", "1000000",
            ]))
        }
        for index in 0..<gateways {
            let port = RedisServerProcess.freePort()
            let gateway = try BenchProcess(name: "gateway \(index + 1)", executable: me, arguments: [
                "gateway", "--port", "\(port)", "--redis", server.url, "--id", "bench-gw\(index + 1)",
                "--rate-limit", "\(rateLimit)", "--max-connections", "\(maxConnections)", "--max-connections-per-client", "\(maxConnections)", "--log-level", "error",
                "--create-rate-per-minute", "1000000",
                "--threads", "\(gatewayThreads ?? max(1, System.coreCount / max(1, gateways)))",
            ])
            processes.append(gateway)
            guard LoadSupport.waitForPort(port) else {
                stop()
                throw GameLoadError.refused("gateway \(index + 1) did not start")
            }
            gatewayURLs.append(WebSocketURL(host: "127.0.0.1", port: port, path: "/ws"))
            gatewayPIDs.append(gateway.pid)
        }
    }

    /// Waits until the authorities share every shard evenly (each holds 64/N, give or take one), so
    /// that no game moves while measured; gives up after 30 s.
    func waitForShardSpread(authorities: Int, progress: @Sendable (String) -> Void) async throws {
        guard let url = redis?.url else { return }
        let client = try await RedisClient.connect(url: url, eventLoopGroup: MultiThreadedEventLoopGroup.singleton)
        defer { Task { await client.close() } }
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            let reply = try await client.send(["MGET"] + GameShard.all.map { RedisArgument(RedisChannels.shardLeaseKey($0)) })
            let holders = (reply.array ?? []).compactMap(\.string)
            let shares = Dictionary(grouping: holders, by: { $0 }).values.map(\.count)
            if holders.count == GameShard.count, shares.count == authorities, (shares.max() ?? 0) - (shares.min() ?? 0) <= 1 {
                progress("  shards spread over \(authorities) authorities: \(shares.sorted())")
                return
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        progress("  the shards did not spread evenly within 30 s")
    }

    /// Process name -> pid of everything in the stack, for CPU accounting.
    var pids: [(String, Int32)] {
        processes.map { ($0.name, $0.pid) } + (redis?.pid.map { [("redis-server", $0)] } ?? [])
    }

    func stop() {
        for process in processes.reversed() { process.stop() }
        processes = []
        redis?.stop()
        redis = nil
    }
}
