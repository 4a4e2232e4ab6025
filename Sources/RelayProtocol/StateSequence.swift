import Foundation

/// The `seq` of a state message, found without parsing it.
///
/// The authority writes states with sorted keys (`{"cmd":…,"events":[…],"game":"G","seq":N,…}`),
/// so the top-level seq directly follows `"game":"G",`. Inside a JSON string every quote is
/// escaped, so that marker cannot match there, and no nested object has a `game` key. Gateways
/// read the seq of every state they fan out, and the load generator of every state it receives:
/// a byte scan instead of decoding 6 KiB of JSON each time.
public struct StateSequence: Sendable {
    private let marker: [UInt8]

    public init(game: String) {
        marker = Array("\"game\":\"\(game)\",\"seq\":".utf8)
    }

    /// The seq, or nil when `bytes` is not a state of this game in that form.
    public func find(in bytes: UnsafeRawBufferPointer) -> Int? {
        guard let base = bytes.baseAddress, bytes.count > marker.count else { return nil }
        let count = bytes.count
        // memchr for the marker's second byte (`g`, rarer than `"`), then compare the whole marker.
        var from = 1
        while from < count {
            guard let hit = memchr(base + from, Int32(marker[1]), count - from) else { return nil }
            let at = base.distance(to: UnsafeRawPointer(hit)) - 1
            guard at + marker.count < count else { return nil }
            if memcmp(base + at, marker, marker.count) == 0 {
                return Self.integer(in: bytes, from: at + marker.count)
            }
            from = at + 2
        }
        return nil
    }

    /// The non-negative integer starting at `start` and ending the value (a `,` or `}` follows):
    /// nil for a number that is not an Int (too long, a fraction, an exponent), as a decode says.
    private static func integer(in bytes: UnsafeRawBufferPointer, from start: Int) -> Int? {
        var index = start
        var value = 0
        while index < bytes.count, (48...57).contains(bytes[index]) {
            let (times10, overflowed) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflowedAdding) = times10.addingReportingOverflow(Int(bytes[index] - 48))
            guard !overflowed, !overflowedAdding else { return nil }
            value = sum
            index += 1
        }
        guard index > start, index < bytes.count, bytes[index] == UInt8(ascii: ",") || bytes[index] == UInt8(ascii: "}") else { return nil }
        return value
    }

    public func find(in bytes: [UInt8]) -> Int? {
        bytes.withUnsafeBytes { find(in: $0) }
    }

    public func find(in text: String) -> Int? {
        var text = text
        return text.withUTF8 { find(in: UnsafeRawBufferPointer($0)) }
    }
}
