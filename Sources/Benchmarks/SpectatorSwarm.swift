import CEpoll
import Foundation
import NIOConcurrencyHelpers
import RelayProtocol
import WebSocket

/// The spectators of `bench fanout`: thousands of WebSocket clients on a few threads of plain
/// epoll, decoding with our own `ClientConnection`, so that the load generator's cost per message
/// is one `recvmsg` and the codec rather than a NIO pipeline per socket.
///
/// Every state's arrival is taken twice:
/// - `arrived`: the kernel's receive timestamp of the bytes (`SO_TIMESTAMPNS`): when the state
///   reached the spectator's socket. On one box, 2,000 "browsers" share the load generator's two
///   threads; in a deployment each reads on its own CPU, so this is the delay a spectator sees.
/// - `read`: when the load generator got round to reading it (includes its own queueing).
///
/// The reader threads run at nice 19 while they keep up: they stand for browsers on machines of their own, so on the benchmark's box
/// they read in the time the stack under test leaves idle instead of taking a core from a gateway
/// in the middle of its writes (at nice 0, 2,000 reads per state cost as much CPU as the gateways'
/// writes, and interleaved with them they stretched each gateway's 1,000 writes by half). The
/// arrival stamp is the kernel's, taken in the gateway's write, so a later read moves only `read`;
/// but a read that finds several states stamps all of them with the last one's arrival (later,
/// never earlier), so a reader must not fall behind: one that reads a state more than 30% of the
/// state interval after it arrived (a gateway's burst of writes took that long, and reading after
/// it would not end before the next state) goes back to normal priority until it has caught up
/// (`ReaderPriority`). Not `SCHED_IDLE`: any waking thread of any process preempts that
/// at once, and on a box shared with builds the readers fell behind by whole states.
final class SpectatorSwarm: @unchecked Sendable {
    struct Arrival {
        var seq: Int
        /// Monotonic ns (converted from the kernel's CLOCK_REALTIME stamp).
        var arrived: UInt64
        /// Monotonic ns.
        var read: UInt64
    }

    struct Outcome {
        var arrivals: [Arrival]
        var closedReason: String?
        /// Reads of states that came without a kernel timestamp (their arrival is the read time).
        var unstampedReads: Int
        /// Reads that held more than one state: the kernel gives a read one stamp, the last
        /// segment's, so the earlier states in it count as arriving later than they did.
        var sharedStampReads: Int
        /// Bytes read after the opening handshake (frames as on the wire), and the states among them.
        var wireBytes: Int
        var states: Int
    }

    private let game: String
    /// Spectators offer permessage-deflate (and inflate what the gateways compress).
    private let deflate: Bool
    /// Spectators ask for `patch` messages.
    private let patches: Bool
    private let sequence: StateSequence
    private let threads: [Reader]
    private var spectators: [Spectator] = []
    private let progress = NIOLockedValueBox(Progress())

    struct Progress {
        var welcomed = 0
        var failures: [String] = []
        /// The priority each reader thread yields at (`ReaderPriority`), and how often one went
        /// back to normal priority to catch up.
        var priorities: Set<String> = []
        var boosts = 0
    }

    /// The reader threads' scheduling, e.g. `nice 19 (normal priority while behind: 3 times)`.
    var readerPriority: String {
        progress.withLockedValue { "\($0.priorities.sorted().joined(separator: ", ")) (normal priority while behind: \($0.boosts) times)" }
    }

    /// - Parameter stateInterval: ns between states (1 / the players' rate): how late a read may
    ///   be before its reader stops yielding.
    init(game: String, threads: Int, deflate: Bool = false, patches: Bool = false, stateInterval: UInt64 = 50_000_000) throws {
        self.patches = patches
        self.game = game
        self.deflate = deflate
        self.sequence = StateSequence(game: game)
        let progress = self.progress
        self.threads = try (0..<max(1, threads)).map { _ in try Reader(progress: progress, stateInterval: stateInterval) }
        for reader in self.threads { reader.start() }
    }

    /// Connects `count` spectators round-robin over `urls`, `batch` at a time, each sending
    /// `spectate`; returns once all were welcomed (throws on the first refusal or after `timeout`).
    func connect(count: Int, to urls: [WebSocketURL], batch: Int = 200, timeout: TimeInterval = 60,
                 progress report: (String) -> Void) async throws {
        do {
            try await connectAll(count: count, to: urls, batch: batch, timeout: timeout, progress: report)
        } catch {
            _ = finish()
            throw error
        }
    }

    private func connectAll(count: Int, to urls: [WebSocketURL], batch: Int, timeout: TimeInterval,
                            progress report: (String) -> Void) async throws {
        let deadline = Date().addingTimeInterval(timeout)
        var addresses: [String: sockaddr_in] = [:]
        for url in urls where addresses[url.description] == nil {
            addresses[url.description] = try Self.resolve(url)
        }
        var next = 0
        while next < count {
            let upTo = min(count, next + batch)
            for index in next..<upTo {
                let url = urls[index % urls.count]
                let spectator = try Spectator(url: url, address: addresses[url.description]!, game: game, sequence: sequence, deflate: deflate, patches: patches)
                spectators.append(spectator)
                threads[index % threads.count].add(spectator)
            }
            next = upTo
            while true {
                let (welcomed, failures) = progress.withLockedValue { ($0.welcomed, $0.failures) }
                if let failure = failures.first { throw GameLoadError.refused("spectate: \(failure)") }
                if welcomed >= upTo { break }
                if Date() > deadline { throw GameLoadError.refused("spectate: only \(welcomed) of \(upTo) welcomed in \(Int(timeout)) s") }
                try await Task.sleep(for: .milliseconds(5))
            }
            report("  spectators \(next) / \(count)")
        }
    }

    /// The URL's host as an IPv4 address (a name is looked up once, not per spectator).
    static func resolve(_ url: WebSocketURL) throws -> sockaddr_in {
        var hints = addrinfo()
        hints.ai_family = AF_INET
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var results: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(url.host, String(url.port), &hints, &results)
        defer { if let results { freeaddrinfo(results) } }
        guard status == 0, let first = results, let address = first.pointee.ai_addr else {
            throw GameLoadError.refused("cannot resolve \(url.host): \(String(cString: gai_strerror(status)))")
        }
        return address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee }
    }

    /// Stops the readers, closes every socket and hands over what each spectator saw (again, if
    /// called again).
    func finish() -> [Outcome] {
        for reader in threads { reader.stop() }
        return spectators.map { spectator in
            spectator.close()
            return Outcome(arrivals: spectator.arrivals, closedReason: spectator.closedReason,
                           unstampedReads: spectator.unstampedReads, sharedStampReads: spectator.sharedStampReads, wireBytes: spectator.wireBytes,
                           states: spectator.arrivals.count)
        }
    }
}

/// One spectator's socket and codec; owned by its reader thread once added.
private final class Spectator {
    let fd: Int32
    private let key = ClientHandshake.makeKey()
    private let url: WebSocketURL
    private let game: String
    private let sequence: StateSequence
    private var handshake: [UInt8] = []
    private var open = false
    private var welcomed = false
    private static let limits = WebSocketConfiguration(maxFrameSize: 1 << 20, maxMessageSize: 1 << 20)
    private var codec = ClientConnection(configuration: limits)
    private let deflate: Bool
    private(set) var wireBytes = 0
    private(set) var arrivals: [SpectatorSwarm.Arrival] = []
    private(set) var closedReason: String?
    private(set) var unstampedReads = 0
    private(set) var sharedStampReads = 0
    /// How long after its arrival the last read's newest state was read (0: the read held none).
    private(set) var lastReadLag: UInt64 = 0
    private var closed = false
    /// The game, to read patch headers (nil: the spectator takes whole states only).
    private let patchesOf: GameID?

    init(url: WebSocketURL, address: sockaddr_in, game: String, sequence: StateSequence, deflate: Bool, patches: Bool) throws {
        self.patchesOf = patches ? GameID(rawValue: game) : nil
        self.url = url
        self.deflate = deflate
        self.game = game
        self.sequence = sequence
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw GameLoadError.refused("socket: errno \(errno)") }
        var on: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &on, socklen_t(MemoryLayout<Int32>.size))
        // SO_TIMESTAMPNS (35 on Linux; the Glibc module does not import the macro): the kernel
        // stamps each received segment, and recvmsg hands the stamp over.
        setsockopt(fd, SOL_SOCKET, 35, &on, socklen_t(MemoryLayout<Int32>.size))
        var address = address
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            let error = errno
            Glibc.close(fd)
            throw GameLoadError.refused("connect to \(url): errno \(error)")
        }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        send(Array(ClientHandshake.request(host: url.hostHeader, path: url.path, key: key,
                                           extensions: deflate ? PerMessageDeflate.clientOffer : nil).utf8))
    }

    /// Small writes only (handshake, one request, pongs, close): the socket buffer always takes them.
    private func send(_ bytes: [UInt8]) {
        guard !closed else { return }
        _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    }

    /// The socket is readable: one recvmsg (epoll is level-triggered, so anything left is seen again).
    /// Returns false once the socket is closed.
    @discardableResult
    func readable(buffer: UnsafeMutableRawBufferPointer, control: UnsafeMutableRawBufferPointer,
                  clockOffset: Int64, progress: NIOLockedValueBox<SpectatorSwarm.Progress>) -> Bool {
        var vector = iovec(iov_base: buffer.baseAddress, iov_len: buffer.count)
        var message = msghdr()
        let count = withUnsafeMutablePointer(to: &vector) { vectorPointer -> Int in
            message.msg_iov = vectorPointer
            message.msg_iovlen = 1
            message.msg_control = control.baseAddress
            message.msg_controllen = control.count
            return recvmsg(fd, &message, 0)
        }
        let readAt = monotonicNanoseconds()
        if count == 0 || (count < 0 && errno != EAGAIN && errno != EINTR) {
            closed(count == 0 ? "closed by the server" : "read error \(errno)", progress: progress)
            return false
        }
        guard count > 0 else { return true }
        let stamp = Self.receiveTimestamp(message, clockOffset: clockOffset)
        let arrivedAt = stamp ?? readAt
        // Only reads that carry states count: the kernel sometimes leaves the handshake's response
        // (the first data on a fresh connection) unstamped under load, and no arrival is taken from it.
        var countedUnstamped = false
        var statesInRead = 0
        lastReadLag = 0
        let bytes = UnsafeRawBufferPointer(rebasing: buffer[..<count])
        if open {
            wireBytes += count
            codec.receive(bytes)
        } else {
            handshake.append(contentsOf: bytes)
            switch ClientHandshake.evaluate(response: handshake, key: key) {
            case .incomplete:
                return true
            case .rejected(let reason):
                closed("handshake refused: \(reason)", progress: progress)
                return false
            case .accepted(let headLength):
                open = true
                if deflate {
                    guard let agreement = ClientHandshake.header("Sec-WebSocket-Extensions", inResponse: handshake, headLength: headLength)
                        .flatMap(PerMessageDeflate.accepted(responseHeaderValue:)) else {
                        closed("permessage-deflate was not negotiated", progress: progress)
                        return false
                    }
                    codec = ClientConnection(configuration: Self.limits, deflate: agreement)
                }
                let rest = Array(handshake[headLength...])
                wireBytes += rest.count
                handshake = []
                let request = "{\"type\":\"spectate\",\"game\":\"\(game)\",\"id\":\"s\"\(patchesOf == nil ? "" : ",\"patches\":true")}"
                send(WebSocketFrameEncoder.maskedFrame(opcode: .text, payload: Array(request.utf8),
                                                       maskingKey: ClientConnection.randomMaskingKey()))
                codec.receive(rest)
            }
        }
        while let action = codec.nextAction() {
            switch action {
            case .message(.text(let text)):
                if let seq = sequence.find(in: text) ?? patchesOf.flatMap({ StatePatch.header(in: Array(text.utf8), game: $0)?.seq }) {
                    arrivals.append(.init(seq: seq, arrived: min(arrivedAt, readAt), read: readAt))
                    statesInRead += 1
                    lastReadLag = readAt - min(arrivedAt, readAt)
                    if statesInRead == 2 { sharedStampReads += 1 }
                    if stamp == nil && !countedUnstamped {
                        countedUnstamped = true
                        unstampedReads += 1
                    }
                } else if !welcomed {
                    if text.contains("\"type\":\"welcome\"") {
                        welcomed = true
                        progress.withLockedValue { $0.welcomed += 1 }
                    } else {
                        closed("refused: \(text)", progress: progress)
                        return false
                    }
                }
            case .message(.binary):
                break
            case .write(let bytes):
                send(bytes)
            case .pongReceived:
                break
            case .closeTransport:
                closed("closed by the server", progress: progress)
                return false
            }
        }
        return true
    }

    /// The SCM_TIMESTAMPNS control message of a recvmsg, as monotonic ns.
    private static func receiveTimestamp(_ message: msghdr, clockOffset: Int64) -> UInt64? {
        guard let control = message.msg_control, message.msg_controllen >= 32 else { return nil }
        // struct cmsghdr { size_t len; int level; int type; } then the data, 8-byte aligned.
        var offset = 0
        while offset + 16 <= message.msg_controllen {
            let length = control.load(fromByteOffset: offset, as: Int.self)
            let level = control.load(fromByteOffset: offset + 8, as: Int32.self)
            let type = control.load(fromByteOffset: offset + 12, as: Int32.self)
            guard length >= 16 else { return nil }
            if level == SOL_SOCKET, type == 35, length >= 32 {
                let seconds = control.load(fromByteOffset: offset + 16, as: Int64.self)
                let nanoseconds = control.load(fromByteOffset: offset + 24, as: Int64.self)
                let realtime = seconds * 1_000_000_000 + nanoseconds
                return UInt64(clamping: realtime - clockOffset)
            }
            offset += (length + 7) & ~7
        }
        return nil
    }

    private func closed(_ reason: String, progress: NIOLockedValueBox<SpectatorSwarm.Progress>) {
        guard !closed else { return }
        closedReason = reason
        if !welcomed { progress.withLockedValue { $0.failures.append(reason) } }
        close()
    }

    /// Closes TCP (the benchmark is over; the gateway counts the hang-up like a browser tab closing).
    func close() {
        guard !closed else { return }
        closed = true
        Glibc.close(fd)
    }
}

/// One thread: an epoll set of spectators, read until stopped.
private final class Reader: @unchecked Sendable {
    private let epoll: Int32
    private let members = NIOLockedValueBox<[Int32: Spectator]>([:])
    private let stopped = NIOLockedValueBox(false)
    private let done = DispatchSemaphore(value: 0)
    private let progress: NIOLockedValueBox<SpectatorSwarm.Progress>

    private let stateInterval: UInt64

    init(progress: NIOLockedValueBox<SpectatorSwarm.Progress>, stateInterval: UInt64) throws {
        self.progress = progress
        self.stateInterval = stateInterval
        epoll = epoll_create1(Int32(EPOLL_CLOEXEC))
        guard epoll >= 0 else { throw GameLoadError.refused("epoll_create1: errno \(errno)") }
    }

    func start() {
        let thread = Thread { [self] in run() }
        thread.name = "spectators"
        thread.start()
    }

    func add(_ spectator: Spectator) {
        members.withLockedValue { $0[spectator.fd] = spectator }
        var event = epoll_event()
        event.events = EPOLLIN.rawValue | EPOLLRDHUP.rawValue
        event.data.fd = spectator.fd
        epoll_ctl(epoll, EPOLL_CTL_ADD, spectator.fd, &event)
    }

    /// Idempotent: the thread is joined once.
    func stop() {
        let first = stopped.withLockedValue { stopped -> Bool in
            defer { stopped = true }
            return !stopped
        }
        guard first else { return }
        done.wait()
        Glibc.close(epoll)
    }

    private func run() {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 256 << 10, alignment: 16)
        let control = UnsafeMutableRawBufferPointer.allocate(byteCount: 128, alignment: 16)
        var events = [epoll_event](repeating: epoll_event(), count: 256)
        defer {
            buffer.deallocate()
            control.deallocate()
            done.signal()
        }
        let clockOffset = Self.realtimeMinusMonotonic()
        var table: [Int32: Spectator] = [:]
        var priority = ReaderPriority(stateInterval: stateInterval)
        progress.withLockedValue { _ = $0.priorities.insert(priority.lowest) }
        defer { progress.withLockedValue { [boosts = priority.boosts] in $0.boosts += boosts } }
        while !stopped.withLockedValue({ $0 }) {
            let ready = epoll_wait(epoll, &events, Int32(events.count), 20)
            var lag: UInt64 = 0
            defer { priority.observe(lag: lag) }
            guard ready > 0 else { continue }
            for index in 0..<Int(ready) {
                let fd = events[index].data.fd
                var spectator = table[fd]
                if spectator == nil {
                    // Added since the last look: refresh this thread's copy of the table.
                    table = members.withLockedValue { $0 }
                    spectator = table[fd]
                }
                guard let spectator else { continue }
                defer { lag = max(lag, spectator.lastReadLag) }
                if !spectator.readable(buffer: buffer, control: control, clockOffset: clockOffset, progress: progress) {
                    // Closed: its descriptor number may be reused by the next socket.
                    table[fd] = nil
                    members.withLockedValue { $0[fd] = nil }
                }
            }
        }
    }

    /// CLOCK_REALTIME minus CLOCK_MONOTONIC (ns): converts the kernel's receive stamps.
    private static func realtimeMinusMonotonic() -> Int64 {
        var realtime = timespec()
        clock_gettime(CLOCK_REALTIME, &realtime)
        let monotonic = Int64(monotonicNanoseconds())
        return Int64(realtime.tv_sec) * 1_000_000_000 + Int64(realtime.tv_nsec) - monotonic
    }
}

/// A reader thread's scheduling (see `SpectatorSwarm`): nice 19 while it keeps up,
/// normal priority from a read more than 30% of the state interval late until a pass whose reads
/// are all within 20% of it (or that finds nothing to read). At 60% (the first setting) readers on
/// a loaded box still fell behind by whole states: the burst and the reads after it did not fit in
/// the interval. On Linux both settings are per
/// thread (pid or who 0: the calling thread).
private struct ReaderPriority {
    /// The priority it yields at: nice 19, or nice 0 where that is refused.
    private(set) var lowest = "nice 0"
    private(set) var boosts = 0
    private var yielding = false
    private let behind: UInt64
    private let caughtUp: UInt64

    init(stateInterval: UInt64) {
        behind = stateInterval / 10 * 3
        caughtUp = stateInterval / 5
        yield()
    }

    mutating func observe(lag: UInt64) {
        if yielding, lag > behind {
            // Lowering the nice value again needs CAP_SYS_NICE (or RLIMIT_NICE): without it the
            // reader stays at 19, and only successful returns are counted.
            guard setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, 0) == 0 else { return }
            yielding = false
            boosts += 1
        } else if !yielding, lag <= caughtUp {
            yield()
        }
    }

    private mutating func yield() {
        guard setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, 19) == 0 else { return }
        lowest = "nice 19"
        yielding = true
    }
}
