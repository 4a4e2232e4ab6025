import Testing
@testable import Gateway

/// A PROXY v2 header: `command` 0 LOCAL / 1 PROXY, `family` 0x11 TCP4, 0x21 TCP6, `payload` the
/// address block and TLVs.
func proxyV2(command: UInt8 = 1, family: UInt8, payload: [UInt8], version: UInt8 = 2) -> [UInt8] {
    ProxyHeader.v2Signature + [version << 4 | command, family, UInt8(payload.count >> 8), UInt8(payload.count & 0xFF)] + payload
}

/// PROXY v2 from an IPv4 client (TCP, to 10.0.0.1:8080), optionally with TLVs.
func proxyV2(ipv4 source: [UInt8], port: UInt16, tlvs: [UInt8] = []) -> [UInt8] {
    proxyV2(family: 0x11, payload: source + [10, 0, 0, 1] + [UInt8(port >> 8), UInt8(port & 0xFF), 0x1F, 0x90] + tlvs)
}

func proxyV2(ipv6 source: [UInt8], port: UInt16) -> [UInt8] {
    proxyV2(family: 0x21, payload: source + [UInt8](repeating: 0, count: 15) + [1] + [UInt8(port >> 8), UInt8(port & 0xFF), 0x1F, 0x90])
}

@Suite("PROXY protocol header parser")
struct ProxyHeaderTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var bytes: [UInt8]
        /// The client's address text (nil: the peer stays the client), or nil with `valid` false.
        var source: String?
        var command: ProxyHeader.Command = .proxy
        var valid = true
        var testDescription: String { name }
    }

    static let ipv6Client: [UInt8] = [0x20, 0x01, 0x0d, 0xb8] + [UInt8](repeating: 0, count: 11) + [7]

    static let cases: [Case] = [
        Case(name: "v2 TCP4", bytes: proxyV2(ipv4: [203, 0, 113, 7], port: 51_000), source: "203.0.113.7"),
        Case(name: "v2 TCP6", bytes: proxyV2(ipv6: ipv6Client, port: 443), source: "2001:db8::7"),
        Case(name: "v2 TCP6 carrying an IPv4-mapped client", bytes: proxyV2(ipv6: [UInt8](repeating: 0, count: 10) + [0xFF, 0xFF, 198, 51, 100, 9], port: 1), source: "198.51.100.9"),
        Case(name: "v2 TCP4 with TLVs", bytes: proxyV2(ipv4: [192, 0, 2, 1], port: 1, tlvs: [0x04, 0, 0, 0x05, 0, 3, 0x61, 0x62, 0x63]), source: "192.0.2.1"),
        Case(name: "v2 LOCAL (health check)", bytes: proxyV2(command: 0, family: 0, payload: []), source: nil, command: .local),
        Case(name: "v2 LOCAL with an address block", bytes: proxyV2(command: 0, family: 0x11, payload: [UInt8](repeating: 9, count: 12)), source: nil, command: .local),
        Case(name: "v2 PROXY UNSPEC", bytes: proxyV2(family: 0, payload: []), source: nil),
        Case(name: "v2 PROXY Unix socket", bytes: proxyV2(family: 0x31, payload: [UInt8](repeating: 0x2F, count: 216)), source: nil),
        Case(name: "v1 TCP4", bytes: Array("PROXY TCP4 203.0.113.7 10.0.0.1 51000 8080\r\n".utf8), source: "203.0.113.7"),
        Case(name: "v1 TCP6", bytes: Array("PROXY TCP6 2001:DB8::7 ::1 51000 8080\r\n".utf8), source: "2001:db8::7"),
        Case(name: "v1 UNKNOWN", bytes: Array("PROXY UNKNOWN ffff::1 ffff::2 1 2\r\n".utf8), source: nil),

        Case(name: "wrong v2 signature", bytes: [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0B, 0x21, 0x11, 0, 0], valid: false),
        Case(name: "HTTP request instead of a header", bytes: Array("GET / HTTP/1.1\r\n\r\n".utf8), valid: false),
        Case(name: "TLS hello instead of a header", bytes: [0x16, 0x03, 0x01, 0x02, 0x00], valid: false),
        Case(name: "v2 version 1", bytes: proxyV2(family: 0x11, payload: [UInt8](repeating: 1, count: 12), version: 1), valid: false),
        Case(name: "v2 version 3", bytes: proxyV2(family: 0x11, payload: [UInt8](repeating: 1, count: 12), version: 3), valid: false),
        Case(name: "v2 command 2", bytes: proxyV2(command: 2, family: 0x11, payload: [UInt8](repeating: 1, count: 12)), valid: false),
        Case(name: "v2 UDP", bytes: proxyV2(family: 0x12, payload: [UInt8](repeating: 1, count: 12)), valid: false),
        Case(name: "v2 family 4", bytes: proxyV2(family: 0x41, payload: []), valid: false),
        Case(name: "v2 TCP4 addresses truncated", bytes: proxyV2(family: 0x11, payload: [UInt8](repeating: 1, count: 11)), valid: false),
        Case(name: "v2 TCP6 given IPv4 addresses", bytes: proxyV2(family: 0x21, payload: [UInt8](repeating: 1, count: 12)), valid: false),
        Case(name: "v2 length beyond the bound", bytes: proxyV2(ipv4: [1, 2, 3, 4], port: 1, tlvs: [0xE0, 0x03, 0xF5] + [UInt8](repeating: 0, count: 1013)), valid: false),
        Case(name: "v2 length field 65535 (refused before the payload)", bytes: ProxyHeader.v2Signature + [0x21, 0x11, 0xFF, 0xFF], valid: false),
        Case(name: "v2 TLV longer than the header", bytes: proxyV2(ipv4: [1, 2, 3, 4], port: 1, tlvs: [0x04, 0x00, 0x10, 1, 2]), valid: false),
        Case(name: "v2 TLV header truncated", bytes: proxyV2(ipv4: [1, 2, 3, 4], port: 1, tlvs: [0x04, 0x00]), valid: false),
        Case(name: "v1 without CRLF", bytes: Array("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n".utf8), valid: false),
        Case(name: "v1 line too long", bytes: Array(("PROXY TCP4 " + String(repeating: "1", count: 120) + "\r\n").utf8), valid: false),
        Case(name: "v1 IPv6 address as TCP4", bytes: Array("PROXY TCP4 ::1 ::1 1 2\r\n".utf8), valid: false),
        Case(name: "v1 bad address", bytes: Array("PROXY TCP4 1.2.3.256 5.6.7.8 1 2\r\n".utf8), valid: false),
        Case(name: "v1 port out of range", bytes: Array("PROXY TCP4 1.2.3.4 5.6.7.8 65536 2\r\n".utf8), valid: false),
        Case(name: "v1 port with a leading zero", bytes: Array("PROXY TCP4 1.2.3.4 5.6.7.8 080 2\r\n".utf8), valid: false),
        Case(name: "v1 double space", bytes: Array("PROXY TCP4  1.2.3.4 5.6.7.8 1 2\r\n".utf8), valid: false),
        Case(name: "v1 UDP4", bytes: Array("PROXY UDP4 1.2.3.4 5.6.7.8 1 2\r\n".utf8), valid: false),
        Case(name: "v1 lower case", bytes: Array("proxy TCP4 1.2.3.4 5.6.7.8 1 2\r\n".utf8), valid: false),
        Case(name: "v1 control character", bytes: Array("PROXY TCP4 1.2.3.4\u{0} 5.6.7.8 1 2\r\n".utf8), valid: false),
    ]

    @Test(arguments: cases)
    func parsesWholeAndByteByByte(_ test: Case) {
        let whole = ProxyHeader.parse(test.bytes)
        if test.valid {
            guard case .complete(let header, let length) = whole else {
                Issue.record("\(test.name): \(whole)")
                return
            }
            #expect(length == test.bytes.count)
            #expect(header.command == test.command)
            #expect(header.source?.address.text == test.source)
        } else {
            guard case .invalid = whole else {
                Issue.record("\(test.name) was accepted: \(whole)")
                return
            }
        }
        // Arriving one byte at a time: undecided until the last byte of a valid header, and a bad
        // one is refused no later than its end.
        var decided: ProxyHeader.ParseResult?
        for count in 1...test.bytes.count {
            let result = ProxyHeader.parse(Array(test.bytes.prefix(count)))
            if result == .incomplete { continue }
            decided = result
            if test.valid { #expect(count == test.bytes.count, "\(test.name) decided at byte \(count)") }
            break
        }
        #expect(decided == whole)
    }

    @Test func bytesAfterTheHeaderAreNotPartOfIt() {
        let request = Array("GET / HTTP/1.1\r\n\r\n".utf8)
        for header in [proxyV2(ipv4: [203, 0, 113, 7], port: 1), Array("PROXY TCP4 203.0.113.7 10.0.0.1 1 2\r\n".utf8)] {
            guard case .complete(_, let length) = ProxyHeader.parse(header + request) else {
                Issue.record("not parsed")
                continue
            }
            #expect(length == header.count)
        }
    }

    @Test func oversizedLengthIsRefusedWithoutWaitingForThePayload() {
        #expect(ProxyHeader.parse(ProxyHeader.v2Signature + [0x21, 0x11, 0x04, 0x01]) != .incomplete)
    }

    @Test func truncatedHeadersWaitForMore() {
        let full = proxyV2(ipv6: Self.ipv6Client, port: 443)
        for count in [1, 11, 12, 13, 15, 16, 40, full.count - 1] {
            #expect(ProxyHeader.parse(Array(full.prefix(count))) == .incomplete, "\(count) bytes")
        }
        #expect(ProxyHeader.parse(Array("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r".utf8)) == .incomplete)
        #expect(ProxyHeader.parse([]) == .incomplete)
    }
}

@Suite("IP addresses and trusted proxies")
struct TrustedProxiesTests {
    @Test(arguments: [
        ("127.0.0.1", "127.0.0.1"), ("::1", "::1"), ("2001:DB8:0:0:1:0:0:1", "2001:db8::1:0:0:1"),
        ("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"), ("::", "::"), ("fe80::", "fe80::"),
        ("::ffff:10.1.2.3", "10.1.2.3"), ("1:0:0:2:0:0:0:3", "1:0:0:2::3"),
    ])
    func addressText(_ input: String, _ expected: String) throws {
        #expect(try #require(IPAddress(input)).text == expected)
    }

    @Test(arguments: ["", "1.2.3", "1.2.3.4.5", "256.1.1.1", "fe80::1%eth0", "[::1]", "localhost", "1.2.3.4:80"])
    func notAnAddress(_ input: String) {
        #expect(IPAddress(input) == nil)
    }

    @Test func rangesMatchByPrefix() throws {
        let trusted = try TrustedProxies(parsing: " 10.0.0.0/8, 192.168.1.7 ,,fd00::/8, ::1, 172.16.0.0/12 ")
        for address in ["10.255.1.2", "192.168.1.7", "fd12::1", "::1", "172.31.255.255", "::ffff:10.0.0.1"] {
            #expect(trusted.contains(try #require(IPAddress(address))), "\(address)")
        }
        for address in ["11.0.0.1", "192.168.1.8", "fe00::1", "::2", "172.32.0.0", "127.0.0.1"] {
            #expect(!trusted.contains(try #require(IPAddress(address))), "\(address)")
        }
        #expect(try TrustedProxies(parsing: "0.0.0.0/0").contains(try #require(IPAddress("8.8.8.8"))))
        #expect(try !TrustedProxies(parsing: "0.0.0.0/0").contains(try #require(IPAddress("::8"))))
        #expect(try TrustedProxies(parsing: "").isEmpty)
    }

    @Test(arguments: ["10.0.0.0/33", "::/129", "10.0.0.0/", "10.0.0.0/-1", "10.0.0.0/+8", "nope", "10.0.0.0/8/8", "*"])
    func badEntriesAreRefused(_ list: String) {
        #expect(throws: TrustedProxies.Invalid.self) { try TrustedProxies(parsing: "127.0.0.1," + list) }
    }
}
