// libFuzzer entry for the gateway's client message parser. Not a package target: scripts/fuzz
// compiles it together with Sources/RelayProtocol/*.swift (one module, so internals are visible)
// against an instrumented Monopoly module, using `swiftc -sanitize=fuzzer,address`.
//
// Oracles, beyond "no crash, no sanitizer report":
// - the shape check and the value-building parse agree (same scanner, same limits);
// - a parsed value written back by the wire encoder parses to the same value;
// - an accepted request forwards a message that encodes within the limits and decodes, on the
//   authority's side, to the same typed message; its name or chat text is already normalized.
import Monopoly

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: size)

    let shape = JSONShape.check(bytes, limits: .message)
    let value: JSONValue?
    do {
        value = try JSONValue(parsing: bytes, limits: .message)
        precondition(shape == nil, "the parse accepted what the shape check refused: \(shape!)")
    } catch {
        value = nil
        // Building stops at a number no double holds, which the shape check reads past.
        let agree = error.kind == .numberOutOfRange ? (shape.map { $0.offset > error.offset } ?? true) : shape == error
        precondition(agree, "the shape check and the parse disagree: \(String(describing: shape)) vs \(error)")
    }
    if let value {
        let written = WireJSON.encode(value)
        let reread = try? JSONValue(parsing: written.utf8, limits: .document)
        precondition(reread == value, "a value does not survive the wire encoder: \(written)")
    }

    let result = ClientRequest.parse(bytes: bytes)
    if value == nil, case .success = result { preconditionFailure("a request was decoded from text the parser refused") }
    guard case .success(let request) = result else { return 0 }
    switch request.id {
    case .null: break
    case .string(let id): precondition(id.utf8.count <= ClientRequest.maximumIDBytes, "an id past its bound")
    case .number(let id): precondition(id.rounded() == id && abs(id) <= JSONValue.maximumExactInteger, "an id past its bound")
    default: preconditionFailure("an id of another kind: \(request.id)")
    }
    let message: EnvelopeMessage
    switch request.kind {
    case .lobby, .spectate, .rejoin, .leave: return 0
    case .create(let name, let options):
        precondition(PlayerText.name(name) == .success(name), "a name the gateway forwards is not stored as is")
        precondition((try? options.validated()) == options, "options the gateway forwards are not valid")
        message = .create(name: name, options: options)
    case .join(_, let name):
        precondition(PlayerText.name(name) == .success(name), "a name the gateway forwards is not stored as is")
        message = .join(name: name)
    case .chat(let text):
        precondition(PlayerText.chat(text) == .success(text), "a chat line the gateway forwards is not broadcast as is")
        message = .chat(text: text)
    case .addBot:
        message = .addBot
    case .command(let command):
        precondition(!command.isSystem && command != .resign, "a command only the authority issues")
        message = .command(command)
    }
    let envelope = CommandEnvelope(id: "gw-1", gateway: "gw", connection: "1", game: GameID(rawValue: "ABC234")!,
                                   player: "p1", message: message)
    let wire = Array(WireJSON.encode(envelope).utf8)
    precondition(JSONShape.check(wire, limits: .message) == nil, "a forwarded envelope past the limits")
    guard case .success(let decoded) = CommandEnvelope.decode(wire) else { preconditionFailure("the authority cannot read a forwarded envelope") }
    precondition(decoded == envelope, "the envelope changed on its way through Redis")
    return 0
}
