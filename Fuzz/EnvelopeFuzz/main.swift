// libFuzzer entry for the authority's envelope decoder (what it reads from `monopoly:{GAME}:cmd`,
// which anyone with Redis access can write). Built like Fuzz/ClientMessageFuzz by scripts/fuzz.
//
// Oracles, beyond "no crash, no sanitizer report":
// - a payload refused by the shape check is never decoded;
// - a decoded envelope, written back as the gateway would, decodes to the same envelope;
// - a refusal names who to answer only when the payload held a readable header.
import Monopoly

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let payload = Array(UnsafeBufferPointer(start: data, count: size))
    let refusedShape = JSONShape.check(payload, limits: .message) != nil
    switch CommandEnvelope.decode(payload) {
    case .success(let envelope):
        precondition(!refusedShape, "an envelope decoded from a payload past the limits")
        let written = Array(WireJSON.encode(envelope).utf8)
        guard case .success(let again) = CommandEnvelope.decode(written) else {
            preconditionFailure("a decoded envelope cannot be read back: \(String(decoding: written, as: UTF8.self))")
        }
        precondition(again == envelope, "an envelope changed on a round trip")
    case .failure(let error):
        precondition(!error.message.isEmpty, "a refusal without a reason")
        if error.replyTo != nil {
            precondition(!refusedShape, "a payload past the limits was read for its header")
        }
    }
    return 0
}
