import Testing
@testable import WebSocket

/// permessage-deflate negotiation (RFC 7692 section 5 and 7.1, RFC 6455 section 9.1): which offer
/// the server accepts and what it answers; a malformed header or offer is ignored, never fatal.
@Suite struct PerMessageDeflateNegotiationTests {
    private func negotiate(_ values: String...) -> PerMessageDeflate? {
        PerMessageDeflate.negotiate(headers: values.map { HTTPHeaderField(name: "Sec-WebSocket-Extensions", value: $0) })
    }

    /// Both directions without context takeover, the server's window as offered.
    private static func agreed(server bits: Int = 15) -> String {
        "permessage-deflate; server_no_context_takeover; client_no_context_takeover"
            + (bits == 15 ? "" : "; server_max_window_bits=\(bits)")
    }

    @Test(arguments: [
        // Chromium's offer.
        ("permessage-deflate; client_max_window_bits", agreed()),
        ("permessage-deflate", agreed()),
        ("PerMessage-Deflate ;  Client_Max_Window_Bits", agreed()),
        // Autobahn 13.*'s offers.
        ("permessage-deflate; client_no_context_takeover; client_max_window_bits", agreed()),
        ("permessage-deflate; client_no_context_takeover; client_max_window_bits; server_no_context_takeover", agreed()),
        ("permessage-deflate; client_no_context_takeover; client_max_window_bits; server_max_window_bits=9", agreed(server: 9)),
        ("permessage-deflate; client_no_context_takeover; client_max_window_bits; server_no_context_takeover; server_max_window_bits=15", agreed()),
        ("permessage-deflate; server_max_window_bits=8", agreed(server: 8)),
        ("permessage-deflate; client_max_window_bits=10", agreed()),
        // Quoted values (section 9.1: a token once unescaped).
        ("permessage-deflate; server_max_window_bits=\"10\"", agreed(server: 10)),
        ("permessage-deflate; server_max_window_bits=\"1\\2\"", agreed(server: 12)),
        // Other extensions are skipped; the first acceptable deflate offer wins.
        ("x-webkit-deflate-frame, permessage-deflate; server_max_window_bits=11", agreed(server: 11)),
        ("permessage-deflate; server_max_window_bits=11, permessage-deflate", agreed(server: 11)),
        // Empty list elements are allowed (RFC 7230 section 7).
        (" , permessage-deflate ,, ", agreed()),
    ])
    func acceptsOffer(header: String, response: String) {
        #expect(negotiate(header)?.responseHeaderValue == response)
    }

    @Test(arguments: [
        // Declined offers (section 5): unknown, repeated or invalid parameters.
        "permessage-deflate; mystery",
        "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
        "permessage-deflate; server_no_context_takeover=1",
        "permessage-deflate; client_no_context_takeover=\"x\"",
        "permessage-deflate; server_max_window_bits",
        "permessage-deflate; server_max_window_bits=7",
        "permessage-deflate; server_max_window_bits=16",
        "permessage-deflate; server_max_window_bits=010",
        "permessage-deflate; server_max_window_bits=99999999999999999999999",
        "permessage-deflate; server_max_window_bits=-9",
        "permessage-deflate; client_max_window_bits=0",
        "permessage-deflate; client_max_window_bits=abc",
        // Malformed headers (section 9.1): ignored as a whole.
        "permessage-deflate;",
        "permessage-deflate; =9",
        "permessage-deflate; server_max_window_bits=",
        "permessage-deflate; server_max_window_bits=\"10",
        "permessage-deflate; server_max_window_bits=\"\"",
        "permessage-deflate; server_max_window_bits=\"1 0\"",
        "permessage-deflate server_max_window_bits",
        "\"permessage-deflate\"",
        "permessage-deflate; a=b=c",
        "permessage-deflate; a/b",
        "permessage-déflate",
        ";;;",
        "",
        "x-other",
    ])
    func declinesOffer(header: String) {
        #expect(negotiate(header) == nil)
    }

    @Test func aMalformedLineSpoilsTheWholeHeader() {
        #expect(negotiate("permessage-deflate", "permessage-deflate; =") == nil)
        #expect(negotiate("x-other", "permessage-deflate")?.responseHeaderValue == Self.agreed())
    }

    @Test func aDeclinedOfferFallsBackToTheNextOne() {
        // Autobahn 13.7 sends three offers; a client may list alternatives in preference order.
        let agreement = negotiate("permessage-deflate; server_max_window_bits=7, permessage-deflate; server_max_window_bits=9, permessage-deflate")
        #expect(agreement?.serverMaxWindowBits == 9)
    }

    @Test func aHugeHeaderIsIgnoredNotParsed() {
        let header = "permessage-deflate" + String(repeating: "; client_max_window_bits", count: 1000)
        #expect(negotiate(header) == nil)
    }

    @Test func withoutTheHeaderThereIsNoAgreement() {
        #expect(PerMessageDeflate.negotiate(headers: [HTTPHeaderField(name: "Host", value: "x")]) == nil)
    }

    @Test func anEightBitWindowIsCompressedWithNine() {
        // zlib refuses raw 8-bit windows; 9 bits never reach back more than 250 bytes.
        #expect(negotiate("permessage-deflate; server_max_window_bits=8")?.serverCompressionWindowBits == 9)
        #expect(negotiate("permessage-deflate")?.serverCompressionWindowBits == 15)
    }

    @Test(arguments: [
        ("permessage-deflate; server_no_context_takeover; client_no_context_takeover",
         PerMessageDeflate()),
        ("permessage-deflate; server_max_window_bits=10; client_max_window_bits=9",
         PerMessageDeflate(serverMaxWindowBits: 10, clientMaxWindowBits: 9, serverNoContextTakeover: false, clientNoContextTakeover: false)),
    ])
    func aClientReadsTheResponse(header: String, agreement: PerMessageDeflate) {
        #expect(PerMessageDeflate.accepted(responseHeaderValue: header) == agreement)
    }

    @Test(arguments: [
        "permessage-deflate; client_max_window_bits",
        "permessage-deflate; mystery",
        "permessage-deflate, permessage-deflate",
        "x-other",
    ])
    func aClientRefusesAResponseItDidNotOffer(header: String) {
        #expect(PerMessageDeflate.accepted(responseHeaderValue: header) == nil)
    }

    @Test func parsesTheListGrammar() {
        let offers = ExtensionHeader.parse(["a; b=1 ; c=\"d\\\"\" , e"])
        // The quoted value holds a quote once unescaped: not a token.
        #expect(offers == nil)
        #expect(ExtensionHeader.parse(["a; b=1 ; c=\"d\" , e"]) == [
            ExtensionOffer(name: "a", parameters: [("b", "1"), ("c", "d")]),
            ExtensionOffer(name: "e"),
        ])
    }
}
