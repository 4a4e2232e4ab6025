import Testing
@testable import RelayProtocol

/// The envelope's own string fields are bounded where the authority decodes it: Redis input is
/// hostile, and a 60 KB `client` was stored as a record's creator.
@Suite struct EnvelopeFieldBoundsTests {
    static let seat = String(repeating: "0123456789abcdef", count: 4)

    static func payload(id: String = "gw1-7", gateway: String = "gw1", conn: String = "3", player: String = "p1",
                        seat: String = seat, client: String = "127.0.0.1", key: String = "s:c7") -> [UInt8] {
        Array(#"{"id":"\#(id)","gateway":"\#(gateway)","conn":"\#(conn)","game":"ABC234","player":"\#(player)","seat":"\#(seat)","#
            .utf8) + Array(#""client":"\#(client)","key":"\#(key)","msg":{"type":"create","name":"Ada"}}"#.utf8)
    }

    static let atTheBound = String(repeating: "x", count: CommandEnvelope.maximumFieldBytes)
    static let pastTheBound = String(repeating: "x", count: 60_000)

    @Test func fieldsUpToTheBoundAreRead() throws {
        let envelope = try CommandEnvelope.decode(Self.payload(id: Self.atTheBound, gateway: Self.atTheBound, conn: Self.atTheBound,
                                                               player: Self.atTheBound, client: Self.atTheBound, key: Self.atTheBound)).get()
        #expect(envelope.client == Self.atTheBound && envelope.seat == Self.seat && envelope.key == Self.atTheBound)
    }

    static let refused: [([UInt8], String, answerable: Bool)] = [
        (payload(client: pastTheBound), #""client" is longer than 128 bytes"#, true),
        (payload(client: atTheBound + "é"), #""client" is longer than 128 bytes"#, true),
        (payload(player: pastTheBound), #""player" is longer than 128 bytes"#, true),
        (payload(key: pastTheBound), #""key" is longer than 128 bytes"#, true),
        // The header names whom to answer: past the bound there is nobody to answer.
        (payload(id: pastTheBound), #""id" is longer than 128 bytes"#, false),
        (payload(gateway: atTheBound + "x"), #""gateway" is longer than 128 bytes"#, false),
        (payload(conn: pastTheBound), #""conn" is longer than 128 bytes"#, false),
        (payload(seat: "abc"), #""seat" must be 64 lowercase hex digits"#, true),
        (payload(seat: seat.uppercased()), #""seat" must be 64 lowercase hex digits"#, true),
        (payload(seat: seat + "0"), #""seat" must be 64 lowercase hex digits"#, true),
        (payload(seat: String(seat.dropLast()) + "g"), #""seat" must be 64 lowercase hex digits"#, true),
    ]

    @Test(arguments: refused)
    func fieldsPastTheirBoundAreRefused(_ payload: [UInt8], _ message: String, _ answerable: Bool) {
        guard case .failure(let error) = CommandEnvelope.decode(payload) else {
            Issue.record("decoded")
            return
        }
        #expect(error.code == .badRequest)
        #expect(error.message == message)
        #expect((error.replyTo != nil) == answerable)
    }
}
