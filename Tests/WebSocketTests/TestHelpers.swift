@testable import WebSocket

/// The masking key of the RFC 6455 section 5.7 examples.
let rfcKey: (UInt8, UInt8, UInt8, UInt8) = (0x37, 0xFA, 0x21, 0x3D)

/// A masked client frame, as a browser would send it.
func clientFrame(_ opcode: WebSocketOpcode, _ payload: [UInt8], fin: Bool = true, key: (UInt8, UInt8, UInt8, UInt8) = rfcKey) -> [UInt8] {
    WebSocketFrameEncoder.maskedFrame(opcode: opcode, payload: payload, fin: fin, maskingKey: key)
}

func clientText(_ text: String, fin: Bool = true) -> [UInt8] {
    clientFrame(.text, Array(text.utf8), fin: fin)
}

func clientClose(code: UInt16, reason: [UInt8] = []) -> [UInt8] {
    clientFrame(.close, [UInt8(code >> 8), UInt8(code & 0xFF)] + reason)
}

/// Feeds `bytes` to a fresh connection and drains every action.
func actions(for bytes: [UInt8], configuration: WebSocketConfiguration = .init()) -> [ServerConnectionAction] {
    var connection = ServerConnection(configuration: configuration)
    return feed(&connection, bytes)
}

func feed(_ connection: inout ServerConnection, _ bytes: [UInt8]) -> [ServerConnectionAction] {
    connection.receive(bytes)
    return drain(&connection)
}

func drain(_ connection: inout ServerConnection) -> [ServerConnectionAction] {
    var result: [ServerConnectionAction] = []
    while let action = connection.nextAction() { result.append(action) }
    return result
}

/// The status code of the first close frame among the actions' writes, if any.
func closeCode(in actions: [ServerConnectionAction]) -> UInt16? {
    for case .write(let bytes) in actions where bytes.first == 0x88 {
        guard bytes.count >= 4 else { return nil }
        return UInt16(bytes[2]) << 8 | UInt16(bytes[3])
    }
    return nil
}

/// True when the actions end the connection with a close frame carrying `code`.
func failed(_ actions: [ServerConnectionAction], with code: UInt16) -> Bool {
    closeCode(in: actions) == code && actions.last == .closeTransport
        && !actions.contains { if case .message = $0 { return true } else { return false } }
}

/// Deterministic RNG for property tests: a failure is reproducible from its seed.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
