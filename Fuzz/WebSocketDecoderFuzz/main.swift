// libFuzzer entry for the WebSocket codec. Not a package target: scripts/fuzz-websocket compiles it
// together with Sources/WebSocket/*.swift (one module, so internals are visible) using
// `swiftc -sanitize=fuzzer,address -parse-as-library`.
//
// Oracles, beyond "no crash, no sanitizer report":
// - the same bytes split into input-derived pieces give exactly the actions of one receive;
// - nothing follows .closeTransport, every close we write carries a code valid on the wire;
// - the incremental UTF-8 validator agrees with the standard library;
// - the handshake and base64 decoder take arbitrary text without trapping;
// - one input in three is decoded with permessage-deflate negotiated (with or without the client's
//   context takeover), so compressed frames reach the inflater and its bounds;
// - what the deflater compresses inflates back to the same bytes through the codec;
// - an accepted extension offer's response header reads back as the same agreement.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = Array(UnsafeBufferPointer(start: data, count: size))
    guard let control = input.first else { return 0 }
    let stream = Array(input.dropFirst())

    // Small limits so 1009 paths are reached and memory stays bounded.
    let configuration = WebSocketConfiguration(
        maxFrameSize: 1 << Int(control & 0x0F),
        maxMessageSize: 1 << (Int(control >> 4) + 2)
    )

    // One input in four also has the server start the close handshake part-way through.
    let closeAt: Int? = size % 4 == 0 ? (size &* 7919) % (stream.count + 1) : nil
    let deflate: PerMessageDeflate? = size % 3 == 0 ? PerMessageDeflate(clientNoContextTakeover: size % 2 == 0) : nil
    let whole = decode(stream, configuration: configuration, deflate: deflate, pieces: [stream.count], closeAt: closeAt)
    var pieces: [Int] = []
    var state = UInt64(control) &* 0x9E37_79B9_7F4A_7C15 &+ UInt64(size)
    var covered = 0
    while covered < stream.count {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        let piece = Int(state >> 59) + 1  // 1...32 bytes
        pieces.append(piece)
        covered += piece
    }
    let split = decode(stream, configuration: configuration, deflate: deflate, pieces: pieces, closeAt: closeAt)
    precondition(whole == split, "actions depend on how the stream was split")
    // One byte at a time is the harshest split but costs a receive per byte: long inputs would
    // slow the whole run down, and the random split above already covers them.
    if stream.count <= 512 {
        let oneByte = decode(stream, configuration: configuration, deflate: deflate, pieces: Array(repeating: 1, count: stream.count), closeAt: closeAt)
        precondition(whole == oneByte, "actions differ when fed one byte at a time")
    }
    checkInvariants(whole)

    var validator = UTF8Validator()
    let ours = validator.validate(stream) && validator.isComplete
    precondition(ours == (String(validating: stream, as: UTF8.self) != nil), "UTF-8 validator disagrees with the standard library")

    let text = String(decoding: stream, as: UTF8.self)
    if let decoded = Base64.decode(text) {
        precondition(Base64.encode(decoded) == text, "base64 is not canonical")
    }
    let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
    let headers = lines.map { line -> HTTPHeaderField in
        let parts = line.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        return HTTPHeaderField(name: String(parts[0]), value: parts.count > 1 ? String(parts[1]) : "")
    }
    if let agreement = PerMessageDeflate.negotiate(headers: headers) {
        precondition(PerMessageDeflate.accepted(responseHeaderValue: agreement.responseHeaderValue) == agreement,
                     "the response header does not state the agreement")
    }
    _ = ExtensionHeader.parse([text])
    if size % 3 == 1 { checkRoundTrip(stream) }
    _ = OpeningHandshake.evaluate(method: control & 1 == 0 ? "GET" : text, httpVersion: (1, Int(control >> 6)),
                                  headers: headers, originPolicy: control & 2 == 0 ? nil : OriginPolicy(allowed: ["https://a.example"]))
    return 0
}

/// Feeds `stream` in `pieces`; when `closeAt` is set, the server calls `close` once that many bytes
/// have been received (the same offset whatever the split, so the oracle still holds).
private func decode(
    _ stream: [UInt8], configuration: WebSocketConfiguration, deflate: PerMessageDeflate?, pieces: [Int], closeAt: Int?
) -> [ServerConnectionAction] {
    var connection = ServerConnection(configuration: configuration, deflate: deflate)
    var actions: [ServerConnectionAction] = []
    var cuts: [Int] = []
    var position = 0
    for piece in pieces where position < stream.count {
        position = min(stream.count, position + piece)
        cuts.append(position)
    }
    if let closeAt { cuts.append(closeAt) }
    cuts = Array(Set(cuts)).sorted()
    func closeIfDue(_ offset: Int) {
        guard offset == closeAt else { return }
        if let frame = connection.close(code: .goingAway, reason: "fuzz") { actions.append(.write(frame)) }
        while let action = connection.nextAction() { actions.append(action) }
    }
    closeIfDue(0)
    var start = 0
    stream.withUnsafeBytes { all in
        for end in cuts where end > start {
            connection.receive(UnsafeRawBufferPointer(rebasing: all[start..<end]))
            while let action = connection.nextAction() { actions.append(action) }
            closeIfDue(end)
            start = end
        }
    }
    return actions
}

private func checkInvariants(_ actions: [ServerConnectionAction]) {
    if let end = actions.firstIndex(of: .closeTransport) {
        precondition(end == actions.count - 1, "actions after closeTransport")
    }
    var sentClose = false
    for action in actions {
        if case .message = action { precondition(!sentClose, "message delivered after our close") }
        guard case .write(let frame) = action else { continue }
        precondition(!sentClose, "a frame written after our close frame")
        precondition(frame.count >= 2 && frame[1] & 0x80 == 0, "server frames are unmasked")
        if frame[0] == 0x88 {
            precondition(frame.count >= 4, "our close frames carry a code")
            let code = WebSocketCloseCode(rawValue: UInt16(frame[2]) << 8 | UInt16(frame[3]))
            precondition(code.isValidOnWire, "we sent an invalid close code")
            sentClose = true
        } else {
            precondition(frame[0] == 0x8A && frame.count <= 127, "only pongs and closes are written")
        }
    }
}

/// The input compressed by the server's deflater, sent back as a client's compressed binary
/// message, inflates to exactly the input.
private func checkRoundTrip(_ stream: [UInt8]) {
    let compressed = Deflater(windowBits: 9 + stream.count % 7)!.compress(stream)
    var connection = ServerConnection(configuration: .init(maxFrameSize: 1 << 16, maxMessageSize: 1 << 16), deflate: PerMessageDeflate())
    connection.receive(WebSocketFrameEncoder.maskedFrame(opcode: .binary, payload: compressed, compressed: true, maskingKey: (1, 2, 3, 4)))
    precondition(connection.nextAction() == .message(.binary(stream)), "deflate then inflate changed the bytes")
}
