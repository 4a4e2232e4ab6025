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
/// never earlier), so a reader must not fall behind: one that reads a state more than half the
/// state interval after it arrived (its 1,000 reads, about 9 ms, would then not end well before
/// the next state) goes back to normal priority until it has caught up (`ReaderPriority`). Not `SCHED_IDLE`: any waking thread of any process preempts that
/// at once, and on a box shared with builds the readers fell behind by whole states.
///
/// What a spectator checks: every state's seq (the benchmark then counts each (state, spectator)
/// pair), and in the patch modes its own chain: each patch must be made from the state that
/// spectator holds (its base's seq and epoch) and, applied to it, make a state that parses and
/// names the patch's seq and epoch; a patch that does not is counted (`brokenPatches`) and its
/// state is not delivered. A gateway writes the same bytes to all of its members (a state is
/// encoded, and compressed, once per broadcast), so a reader decodes a frame once (inflates it,
/// finds the seq, parses the state or patch) and recognises the same bytes read from its other
/// spectators by comparing them whole with those it decoded (`FrameMemo`): identical bytes,
/// received where the codec holds nothing and carries no compression context over, are the
/// identical message. A patch applied to the same base (the same shared state, reached the same
/// way) makes the same state, so that result is shared too; any other base is patched for itself.
final class SpectatorSwarm: @unchecked Sendable {
    struct Arrival {
        var seq: Int
        /// Monotonic ns (converted from the kernel's CLOCK_REALTIME stamp).
        var arrived: UInt64
        /// Monotonic ns.
        var read: UInt64
        /// The kernel stamped the read (else `arrived` is the read time).
        var stamped: Bool
    }

    struct Outcome {
        var arrivals: [Arrival]
        var closedReason: String?
        /// Reads that held more than one state: the kernel gives a read one stamp, the last
        /// segment's, so the earlier states in it count as arriving later than they did.
        var sharedStampReads: Int
        /// Bytes read after the opening handshake (frames as on the wire), and the states among them.
        var wireBytes: Int
        var states: Int
        /// Patch modes: patches that did not continue this spectator's chain (another base than
        /// the state it held) or did not apply to it; the states they name count as not delivered.
        var brokenPatches: Int
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
        /// States and patches the readers decoded whole (and remembered), and frames they
        /// recognised as the same bytes as one of those (`FrameMemo`).
        var framesDecoded = 0
        var framesRecognised = 0
    }

    /// The reader threads' scheduling, e.g. `nice 19 (normal priority while behind: 3 times)`.
    var readerPriority: String {
        progress.withLockedValue { "\($0.priorities.sorted().joined(separator: ", ")) (normal priority while behind: \($0.boosts) times)" }
    }

    /// How the readers took the states and patches they read: decoded, or recognised by their bytes.
    var frames: (decoded: Int, recognised: Int) {
        progress.withLockedValue { ($0.framesDecoded, $0.framesRecognised) }
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
                           sharedStampReads: spectator.sharedStampReads, wireBytes: spectator.wireBytes,
                           states: spectator.arrivals.count, brokenPatches: spectator.brokenPatches)
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
    /// The permessage-deflate the server agreed to (nil: none): frames are recognised by their
    /// bytes only among spectators with the same agreement.
    private var agreement: PerMessageDeflate?
    private let deflate: Bool
    private(set) var wireBytes = 0
    private(set) var arrivals: [SpectatorSwarm.Arrival] = []
    private(set) var closedReason: String?
    private(set) var sharedStampReads = 0
    private(set) var brokenPatches = 0
    /// How long after its arrival the last read's newest state was read (0: the read held none).
    private(set) var lastReadLag: UInt64 = 0
    private var closed = false
    /// The game, to read patch headers (nil: the spectator takes whole states only).
    private let patchesOf: GameID?
    /// Patch modes: the state this spectator holds, which its next patch must be made from (nil:
    /// none yet, or its chain broke and it waits for a whole state).
    private var held: StateDocument?

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
                  clockOffset: Int64, memo: FrameMemo, progress: NIOLockedValueBox<SpectatorSwarm.Progress>) -> Bool {
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
        var read = Read(stamp: Self.receiveTimestamp(message, clockOffset: clockOffset), at: readAt)
        lastReadLag = 0
        let bytes = UnsafeRawBufferPointer(rebasing: buffer[..<count])
        guard open else {
            switch handshake(bytes, progress: progress) {
            case .incomplete: return true
            case .closed: return false
            case .opened: return drain(&read, remember: nil, memo: memo, progress: progress)
            }
        }
        wireBytes += count
        // The gateway writes the same frame bytes to every spectator of a state (encoded, and
        // compressed, once per broadcast). A whole frame that starts where the codec has nothing
        // buffered and decodes a message from its bytes alone (no compression context carried
        // over), and that is byte for byte a frame this reader decoded before, is that same
        // message: its seq (and patch) comes from the memo. What is this spectator's own, its
        // arrival and its patch chain, is still taken and checked here. Anything else (a frame
        // not seen before, a part of one, a ping) goes through the codec.
        var rest = bytes
        while !rest.isEmpty {
            guard codec.decodesNextMessageAlone, let length = ClientConnection.wholeFrameLength(in: rest) else {
                codec.receive(rest)
                return drain(&read, remember: nil, memo: memo, progress: progress)
            }
            let frame = UnsafeRawBufferPointer(rebasing: rest[..<length])
            rest = UnsafeRawBufferPointer(rebasing: rest[length...])
            if let known = memo.frame(matching: frame, agreement: agreement) {
                take(known, &read)
                continue
            }
            codec.receive(frame)
            guard drain(&read, remember: frame, memo: memo, progress: progress) else { return false }
        }
        return true
    }

    /// Performs the codec's actions after a `receive`. `remember`: the whole frame received, to
    /// remember when it was one state or patch and nothing else (the codec was, and is again,
    /// between messages). False once the connection is closed.
    private func drain(_ read: inout Read, remember frame: UnsafeRawBufferPointer?, memo: FrameMemo,
                       progress: NIOLockedValueBox<SpectatorSwarm.Progress>) -> Bool {
        var decoded: DecodedFrame?
        var others = 0
        while let action = codec.nextAction() {
            switch action {
            case .message(.text(var text)):
                if let frame = text.withUTF8({ decode(UnsafeRawBufferPointer($0)) }) {
                    take(frame, &read)
                    others += decoded == nil ? 0 : 1
                    decoded = frame
                } else {
                    others += 1
                    guard welcomed(text, progress: progress) else { return false }
                }
            case .message(.binary), .pongReceived:
                others += 1
            case .write(let bytes):
                others += 1
                send(bytes)
            case .closeTransport:
                closed("closed by the server", progress: progress)
                return false
            }
        }
        if let frame, others == 0, let decoded, codec.decodesNextMessageAlone {
            memo.remember(decoded, bytes: frame, agreement: agreement)
        }
        return true
    }

    /// The time stamps of one read and the states found in it.
    private struct Read {
        var stamp: UInt64?
        var at: UInt64
        var states = 0
    }

    private enum Handshake { case incomplete, closed, opened }

    /// Bytes before (and with) the opening handshake's response; once it is accepted, the bytes
    /// after it go to the codec.
    private func handshake(_ bytes: UnsafeRawBufferPointer, progress: NIOLockedValueBox<SpectatorSwarm.Progress>) -> Handshake {
        handshake.append(contentsOf: bytes)
        switch ClientHandshake.evaluate(response: handshake, key: key) {
        case .incomplete:
            return .incomplete
        case .rejected(let reason):
            closed("handshake refused: \(reason)", progress: progress)
            return .closed
        case .accepted(let headLength):
            open = true
            if deflate {
                guard let agreement = ClientHandshake.header("Sec-WebSocket-Extensions", inResponse: handshake, headLength: headLength)
                    .flatMap(PerMessageDeflate.accepted(responseHeaderValue:)) else {
                    closed("permessage-deflate was not negotiated", progress: progress)
                    return .closed
                }
                self.agreement = agreement
                codec = ClientConnection(configuration: Self.limits, deflate: agreement)
            }
            let rest = Array(handshake[headLength...])
            wireBytes += rest.count
            handshake = []
            let request = "{\"type\":\"spectate\",\"game\":\"\(game)\",\"id\":\"s\"\(patchesOf == nil ? "" : ",\"patches\":true")}"
            send(WebSocketFrameEncoder.maskedFrame(opcode: .text, payload: Array(request.utf8),
                                                   maskingKey: ClientConnection.randomMaskingKey()))
            codec.receive(rest)
            return .opened
        }
    }

    /// A message that is neither a state nor a patch: the first one must be the welcome.
    private func welcomed(_ text: String, progress: NIOLockedValueBox<SpectatorSwarm.Progress>) -> Bool {
        guard !welcomed else { return true }
        if text.contains("\"type\":\"welcome\"") {
            welcomed = true
            progress.withLockedValue { $0.welcomed += 1 }
            return true
        }
        closed("refused: \(text)", progress: progress)
        return false
    }

    /// What a text message is: a state (its seq found by a byte scan; in the patch modes parsed,
    /// as the base of the next patch), a patch (patch modes), or nil for anything else.
    private func decode(_ text: UnsafeRawBufferPointer) -> DecodedFrame? {
        if let seq = sequence.find(in: text) {
            guard patchesOf != nil else { return DecodedFrame(.state(seq: seq, document: nil)) }
            // A state that does not parse is no base: the patches after it are counted as broken.
            let document = (try? JSONValue(parsing: text)).flatMap(StateDocument.init(document:))
            return DecodedFrame(.state(seq: seq, document: document))
        }
        guard let game = patchesOf else { return nil }
        let payload = Array(text)
        guard let header = StatePatch.header(in: payload, game: game) else { return nil }
        // Unreadable ops make a patch that applies to nothing (counted where it arrives).
        let ops = (try? JSONValue(parsing: payload)).flatMap { try? StatePatch(json: $0) }?.ops
        return DecodedFrame(.patch(PatchMessage(header: header, ops: ops)))
    }

    /// A state or patch arrived in this read: the arrival, and in the patch modes this
    /// spectator's chain.
    private func take(_ frame: DecodedFrame, _ read: inout Read) {
        let seq: Int
        switch frame.content {
        case .state(let stateSeq, let document):
            seq = stateSeq
            held = document
        case .patch(let patch):
            // The patch must be made from the state this spectator holds (the memo keeps the
            // state it made from each base, so spectators that hold the same state share it).
            guard let base = held, let made = patch.applied(to: base) else {
                brokenPatches += 1
                held = nil
                return
            }
            held = made
            seq = patch.header.seq
        }
        let arrivedAt = min(read.stamp ?? read.at, read.at)
        arrivals.append(.init(seq: seq, arrived: arrivedAt, read: read.at, stamped: read.stamp != nil))
        read.states += 1
        lastReadLag = read.at - arrivedAt
        if read.states == 2 { sharedStampReads += 1 }
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

/// What one frame decoded to, for its reader's `FrameMemo`.
private final class DecodedFrame {
    enum Content {
        /// A whole state: its seq and, in the patch modes, the state as a base for patches (nil
        /// when it did not parse: the patches after it do not apply).
        case state(seq: Int, document: StateDocument?)
        case patch(PatchMessage)
    }

    let content: Content

    init(_ content: Content) { self.content = content }
}

/// A state message as a spectator holds it in the patch modes: what its next patch applies to.
/// Immutable, so spectators that hold the same state (the same bytes, or the same patch applied to
/// the same state) share one.
private final class StateDocument {
    let version: StateVersion
    let document: JSONValue

    init?(document: JSONValue) {
        guard let seq = document["seq"]?.intValue, let epoch = StateEpoch(json: document["epoch"]) else { return nil }
        self.version = StateVersion(epoch: epoch, seq: seq)
        self.document = document
    }
}

/// A patch message, parsed once per reader, and the states it made from the bases it was applied
/// to: a spectator holding one of those same states (the same object, or an equal one) gets the
/// same result without applying the ops again; any other base is patched for itself.
private final class PatchMessage {
    let header: StatePatch.Header
    /// nil: the ops did not parse (the patch applies to nothing).
    private let ops: [JSONPatch.Operation]?
    private var made: [(base: StateDocument, result: StateDocument?)] = []

    init(header: StatePatch.Header, ops: [JSONPatch.Operation]?) {
        self.header = header
        self.ops = ops
    }

    /// The state this patch makes from `base`: nil when it is not the patch's base (another seq or
    /// epoch), an op does not apply, or the result is not the state the header names.
    func applied(to base: StateDocument) -> StateDocument? {
        if let known = made.first(where: { $0.base === base }) { return known.result }
        // The same state held as another object (decoded from its own bytes): equal bases make
        // equal results.
        if let known = made.first(where: { $0.base.version == base.version && $0.base.document == base.document }) { return known.result }
        var result: StateDocument?
        if base.version == header.baseVersion, let ops, let document = try? JSONPatch.apply(ops, to: base.document),
           let state = StateDocument(document: document), state.version == header.version {
            result = state
        }
        if made.count == 4 { made.removeFirst() }
        made.append((base, result))
        return result
    }
}

/// A reader thread's last few frames decoded whole (one state or patch each),
/// to recognise the same bytes read from its other spectators' sockets: compared in full (length,
/// then memcmp), never by a hash, and only under the same permessage-deflate agreement.
private final class FrameMemo {
    private struct Entry {
        var bytes: [UInt8]
        var agreement: PerMessageDeflate?
        var frame: DecodedFrame
    }

    /// The last 64 frames: a reader that has fallen behind by many states reads a run of them
    /// from each of its sockets in turn, and with room for fewer than the run every one of them
    /// would be pushed out before the next socket asked for it (8 did that: a third of the patches
    /// decoded again, at load average 8, and the reader fell further behind).
    private static let capacity = 64
    private var entries: [Entry] = []
    /// Where the next frame goes (the oldest, once full).
    private var next = 0
    /// Frames recognised, and frames decoded and remembered.
    private(set) var recognised = 0
    private(set) var remembered = 0

    /// Newest first: the frames of the state being fanned out now are asked for most.
    func frame(matching bytes: UnsafeRawBufferPointer, agreement: PerMessageDeflate?) -> DecodedFrame? {
        let count = entries.count
        for back in 0..<count {
            let index = (next - 1 - back + count) % count
            guard entries[index].bytes.count == bytes.count, entries[index].agreement == agreement else { continue }
            let same = entries[index].bytes.withUnsafeBytes { memcmp($0.baseAddress!, bytes.baseAddress!, bytes.count) == 0 }
            if same {
                recognised += 1
                return entries[index].frame
            }
        }
        return nil
    }

    func remember(_ frame: DecodedFrame, bytes: UnsafeRawBufferPointer, agreement: PerMessageDeflate?) {
        remembered += 1
        let entry = Entry(bytes: Array(bytes), agreement: agreement, frame: frame)
        if entries.count < Self.capacity {
            entries.append(entry)
        } else {
            entries[next] = entry
        }
        next = (next + 1) % Self.capacity
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
        // Room for every spectator of a thread (1,000 with 2,000 over 2 threads): one epoll_wait
        // after a burst of writes hands all of them over.
        var events = [epoll_event](repeating: epoll_event(), count: 1024)
        let memo = FrameMemo()
        defer {
            buffer.deallocate()
            control.deallocate()
            done.signal()
        }
        let clockOffset = Self.realtimeMinusMonotonic()
        var table: [Int32: Spectator] = [:]
        var priority = ReaderPriority(stateInterval: stateInterval)
        progress.withLockedValue { _ = $0.priorities.insert(priority.lowest) }
        defer {
            progress.withLockedValue { [boosts = priority.boosts] in
                $0.boosts += boosts
                $0.framesDecoded += memo.remembered
                $0.framesRecognised += memo.recognised
            }
        }
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
                if !spectator.readable(buffer: buffer, control: control, clockOffset: clockOffset, memo: memo, progress: progress) {
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
/// normal priority from a read more than half the state interval late until a pass whose reads
/// are all within 20% of it (or that finds nothing to read). At 30% (the setting before) a reader
/// on a quiet box returned to nice 0 for 18 to 123 of 200 states, always in a gateway's burst (a
/// burst is 12 to 15 ms of 50, so the first reads after it are that late), and competed with the
/// writes it measures; at half, 0 or 1 times, with as many reads holding two states (they are
/// counted and only overstate). At 60% readers on a box loaded by builds fell behind by whole
/// states. On Linux both settings are per thread (pid or who 0: the calling thread).
private struct ReaderPriority {
    /// The priority it yields at: nice 19, or nice 0 where that is refused.
    private(set) var lowest = "nice 0"
    private(set) var boosts = 0
    private var yielding = false
    private let behind: UInt64
    private let caughtUp: UInt64

    init(stateInterval: UInt64) {
        behind = stateInterval / 2
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
