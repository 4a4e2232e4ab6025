import WebSocket

/// Decodes the same masked client byte streams with our `WebSocket` codec and with NIOWebSocket's
/// `WebSocketFrameDecoder` (+ `unmaskedData`) in one run, and reports payload throughput of both.
///
/// Both sides get the stream in the same 64 KiB pieces, the size of a typical socket read, so
/// frames straddle reads exactly as they would on a connection. NIO runs in an `EmbeddedChannel`
/// behind `ByteToMessageHandler`, which is how a NIO server uses it.
public enum CodecBenchmark {
    public struct Row: Sendable {
        public var kind: String
        public var payloadSize: Int
        public var ours: Double          // MB/s of payload
        public var nio: Double           // MB/s of payload
        /// Text only: NIO plus `String(buffer:)`, what it takes a NIO server to get a String.
        public var nioWithString: Double?
        public var ratio: Double { ours / nio }
    }

    public struct Report: Sendable, CustomStringConvertible {
        public var rows: [Row]
        public var readSize: Int

        public var description: String {
            var lines = [
                "WebSocket codec: decode + unmask of masked client frames, payload MB/s (1 MB = 10^6 bytes), best of runs",
                "stream fed in \(readSize / 1024) KiB reads; NIO = NIOWebSocket WebSocketFrameDecoder (ByteToMessageHandler in an EmbeddedChannel) + frame.unmaskedData",
                "",
                pad("frames", 24) + pad("payload", 10, right: true) + pad("ours MB/s", 12, right: true)
                    + pad("NIO MB/s", 12, right: true) + pad("ours/NIO", 10, right: true)
                    + pad("NIO+String", 12, right: true),
            ]
            for row in rows {
                lines.append(pad(row.kind, 24) + pad(sizeLabel(row.payloadSize), 10, right: true)
                    + pad(format(row.ours), 12, right: true) + pad(format(row.nio), 12, right: true)
                    + pad(format(row.ratio) + "x", 10, right: true)
                    + pad(row.nioWithString.map(format) ?? "-", 12, right: true))
            }
            lines.append("")
            lines.append("text rows: ours validates UTF-8 (fail-fast, rejects invalid text with 1007) and builds a String.")
            lines.append("NIOWebSocket has no UTF-8 validation: its MB/s (and the ratio) is decode + unmask only;")
            lines.append("NIO+String adds String(buffer:), which a NIO server needs for text (it repairs invalid UTF-8, never rejects).")
            return lines.joined(separator: "\n")
        }
    }

    public static let payloadSizes = [16, 125, 1024, 64 * 1024, 1024 * 1024]

    /// - Parameters:
    ///   - streamBytes: size of each generated stream (many frames of one payload size).
    ///   - minimumDuration: each codec decodes the stream repeatedly for at least this long per run.
    ///   - runs: runs per codec and case; the best one is reported (least disturbed by other load).
    public static func run(
        streamBytes: Int = 16 << 20, minimumDuration: Duration = .milliseconds(250), runs: Int = 3,
        readSize: Int = 64 * 1024, log: (String) -> Void = { _ in }
    ) -> Report {
        var rows: [Row] = []
        for kind in [Kind.binary, .asciiText, .text] {
            for size in payloadSizes {
                let frameCount = max(4, streamBytes / (size + 14))
                let stream = makeStream(kind: kind, payloadSize: size, frames: frameCount)
                let payloadBytes = Double(size * frameCount)
                let nio = NIOCodecDriver(stream: stream, readSize: readSize)
                let maxFrameSize = configuration.maxFrameSize
                var best = (ours: Duration.zero, nio: Duration.zero, nioWithString: Duration.zero)
                func keepBest(_ value: Duration, _ slot: inout Duration) {
                    if slot == .zero || value < slot { slot = value }
                }
                for _ in 0..<runs {
                    keepBest(measure(minimumDuration) { decodeWithOurs(stream, readSize: readSize, expected: frameCount) }, &best.ours)
                    keepBest(measure(minimumDuration) { nio.decode(expected: frameCount, maxFrameSize: maxFrameSize, makeStrings: false) }, &best.nio)
                    if kind != .binary {
                        keepBest(measure(minimumDuration) { nio.decode(expected: frameCount, maxFrameSize: maxFrameSize, makeStrings: true) }, &best.nioWithString)
                    }
                }
                let mbps = { (time: Duration) in payloadBytes / seconds(time) / 1e6 }
                let row = Row(kind: kind.label, payloadSize: size, ours: mbps(best.ours), nio: mbps(best.nio),
                              nioWithString: kind != .binary ? mbps(best.nioWithString) : nil)
                log("\(row.kind) \(sizeLabel(size)): ours \(format(row.ours)) MB/s, NIO \(format(row.nio)) MB/s"
                    + (row.nioWithString.map { ", NIO+String \(format($0)) MB/s" } ?? ""))
                rows.append(row)
            }
        }
        return Report(rows: rows, readSize: readSize)
    }

    enum Kind {
        case binary, asciiText, text
        var label: String {
            switch self {
            case .binary: return "binary"
            case .asciiText: return "text, ASCII JSON"
            case .text: return "text, mixed UTF-8"
            }
        }
    }

    /// Frames of one payload size with varying masking keys. ASCII text is game-message JSON;
    /// mixed text has a two- and a three-byte character every 57 bytes, like chat with names in it
    /// (the slow case for any UTF-8 validator).
    static func makeStream(kind: Kind, payloadSize: Int, frames: Int) -> [UInt8] {
        var payload: [UInt8]
        switch kind {
        case .binary:
            payload = (0..<payloadSize).map { UInt8(truncatingIfNeeded: $0 &* 131 &+ 7) }
        case .asciiText, .text:
            let sample = kind == .text
                ? Array(#"{"type":"move","player":"Zoë","square":"Boardwalk €400"} "#.utf8)
                : Array(#"{"type":"move","player":"p3","square":"Boardwalk","price":400} "#.utf8)
            payload = (0..<payloadSize).map { sample[$0 % sample.count] }
            // Never end on a partial character: pad the tail with ASCII.
            var end = payloadSize
            while end > 0, payload[end - 1] & 0x80 != 0 { end -= 1 }
            for i in end..<payloadSize { payload[i] = 0x20 }
        }
        let opcode: WebSocketOpcode = kind == .binary ? .binary : .text
        var stream: [UInt8] = []
        stream.reserveCapacity(frames * (payloadSize + 14))
        for i in 0..<frames {
            let key: (UInt8, UInt8, UInt8, UInt8) = (UInt8(truncatingIfNeeded: i), UInt8(truncatingIfNeeded: i >> 8), 0x5A, 0xC3)
            stream += WebSocketFrameEncoder.maskedFrame(opcode: opcode, payload: payload, maskingKey: key)
        }
        return stream
    }

    static let configuration = WebSocketConfiguration(maxFrameSize: 2 << 20, maxMessageSize: 2 << 20)

    static func decodeWithOurs(_ stream: [UInt8], readSize: Int, expected: Int) {
        var connection = ServerConnection(configuration: configuration)
        var messages = 0
        stream.withUnsafeBytes { all in
            var start = 0
            while start < all.count {
                let end = min(all.count, start + readSize)
                connection.receive(UnsafeRawBufferPointer(rebasing: all[start..<end]))
                while let action = connection.nextAction() {
                    if case .message = action { messages += 1 }
                }
                start = end
            }
        }
        precondition(messages == expected, "our codec decoded \(messages) of \(expected) messages")
    }

    /// Time per pass over the stream: repeats `body` until `minimum` has elapsed.
    static func measure(_ minimum: Duration, _ body: () -> Void) -> Duration {
        let clock = ContinuousClock()
        var passes = 0
        let start = clock.now
        var elapsed = Duration.zero
        repeat {
            body()
            passes += 1
            elapsed = clock.now - start
        } while elapsed < minimum
        return elapsed / passes
    }

    static func seconds(_ duration: Duration) -> Double {
        let parts = duration.components
        return Double(parts.seconds) + Double(parts.attoseconds) / 1e18
    }

    static func sizeLabel(_ bytes: Int) -> String {
        if bytes >= 1 << 20 { return "\(bytes >> 20) MiB" }
        if bytes >= 1 << 10 { return "\(bytes >> 10) KiB" }
        return "\(bytes) B"
    }

    static func format(_ value: Double) -> String {
        let rounded = (value * 100).rounded() / 100
        if value >= 100 { return String(Int(value.rounded())) }
        return String(rounded)
    }

    static func pad(_ text: String, _ width: Int, right: Bool = false) -> String {
        let fill = String(repeating: " ", count: max(0, width - text.count))
        return right ? fill + text : text + fill
    }
}
