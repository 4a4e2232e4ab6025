import CHiredis
import NIOCore

/// hiredis's RESP reader behind a Swift face. One per connection (after a protocol error the
/// reader is unusable; the connection is dropped and the next one gets a fresh reader).
/// Not thread-safe: used only on the connection's event loop.
final class HiredisReader {
    private let reader: UnsafeMutablePointer<redisReader>
    private let maximumReplyBytes: Int

    init(maximumReplyBytes: Int) {
        guard let reader = redisReaderCreate() else { fatalError("hiredis: out of memory creating a reader") }
        self.reader = reader
        self.maximumReplyBytes = maximumReplyBytes
        // Keep up to 64 KiB of consumed buffer before compacting (hiredis default 16 KiB).
        chiredis_reader_set_maxbuf(reader, 64 * 1024)
    }

    deinit { redisReaderFree(reader) }

    /// Feeds bytes, then calls `body` for each complete reply, in order.
    /// Throws ``RedisError/protocolError(_:)`` on malformed input or a reply over the limits;
    /// replies decoded before the bad bytes have already been delivered.
    func feed(_ buffer: ByteBuffer, _ body: (RESPValue) throws -> Void) throws {
        let status = buffer.withUnsafeReadableBytes { raw -> Int32 in
            guard let base = raw.baseAddress, raw.count > 0 else { return REDIS_OK }
            return redisReaderFeed(reader, base.assumingMemoryBound(to: CChar.self), raw.count)
        }
        guard status == REDIS_OK else { throw readerError() }
        while true {
            var replyPointer: UnsafeMutableRawPointer?
            guard redisReaderGetReply(reader, &replyPointer) == REDIS_OK else { throw readerError() }
            guard let replyPointer else { break }
            let reply = replyPointer.assumingMemoryBound(to: redisReply.self)
            let value = Self.convert(reply)
            freeReplyObject(replyPointer)
            try body(value)
        }
        let unparsed = chiredis_reader_unparsed_bytes(reader)
        if unparsed > maximumReplyBytes {
            throw RedisError.protocolError("reply exceeds the \(maximumReplyBytes)-byte limit (\(unparsed) bytes buffered and still incomplete)")
        }
    }

    private func readerError() -> RedisError {
        let message = String(cString: chiredis_reader_error(reader))
        return .protocolError(message.isEmpty ? "hiredis reader error \(chiredis_reader_error_code(reader))" : message)
    }

    private static func convert(_ reply: UnsafeMutablePointer<redisReply>) -> RESPValue {
        let r = reply.pointee
        switch r.type {
        case REDIS_REPLY_STRING:
            return .bulkString(bytes(r.str, r.len))
        case REDIS_REPLY_STATUS:
            return .simpleString(String(decoding: bytes(r.str, r.len), as: UTF8.self))
        case REDIS_REPLY_ERROR:
            return .error(String(decoding: bytes(r.str, r.len), as: UTF8.self))
        case REDIS_REPLY_INTEGER:
            return .integer(Int(r.integer))
        case REDIS_REPLY_NIL:
            return .null
        case REDIS_REPLY_ARRAY:
            var values: [RESPValue] = []
            values.reserveCapacity(r.elements)
            for i in 0..<r.elements {
                if let element = r.element[i] { values.append(convert(element)) } else { values.append(.null) }
            }
            return .array(values)
        default:
            return .error("unknown hiredis reply type \(r.type)")
        }
    }

    @inline(__always)
    private static func bytes(_ str: UnsafeMutablePointer<CChar>?, _ len: Int) -> [UInt8] {
        guard let str, len > 0 else { return [] }
        return Array(UnsafeRawBufferPointer(start: str, count: len))
    }
}

/// Encodes commands with hiredis's `redisFormatCommandArgv` (binary-safe: every argument is a
/// length-prefixed bulk string, so \r\n and NUL are fine).
///
/// The reference encoder: ``RESPEncoder`` is checked byte for byte against it in the tests. Not on
/// the hot path because hiredis 0.14 formats with `sprintf` and mallocs every command (~220 ns per
/// PUBLISH, a quarter of the client's CPU per request in `monopoly bench redis`).
///
/// The arguments are copied into a reusable scratch area and argv/lengths live in reusable arrays,
/// so encoding allocates nothing on the Swift side. Not thread-safe.
final class HiredisCommandEncoder {
    private var scratch: UnsafeMutableRawPointer
    private var scratchCapacity: Int
    private var argv: UnsafeMutablePointer<UnsafePointer<CChar>?>
    private var lengths: UnsafeMutablePointer<Int>
    private var argvCapacity: Int

    init() {
        scratchCapacity = 4096
        scratch = .allocate(byteCount: scratchCapacity, alignment: 8)
        argvCapacity = 16
        argv = .allocate(capacity: argvCapacity)
        lengths = .allocate(capacity: argvCapacity)
    }

    deinit {
        scratch.deallocate()
        argv.deallocate()
        lengths.deallocate()
    }

    func encode(_ arguments: [RedisArgument], into buffer: inout ByteBuffer) {
        precondition(!arguments.isEmpty, "a Redis command needs at least one argument")
        let count = arguments.count
        var total = 0
        for argument in arguments { total += argument.bytes.count }
        reserve(arguments: count, bytes: total)
        var offset = 0
        for (index, argument) in arguments.enumerated() {
            let length = argument.bytes.count
            argument.bytes.withUnsafeBytes { bytes in
                if length > 0 { (scratch + offset).copyMemory(from: bytes.baseAddress!, byteCount: length) }
            }
            argv[index] = UnsafePointer((scratch + offset).assumingMemoryBound(to: CChar.self))
            lengths[index] = length
            offset += length
        }
        var target: UnsafeMutablePointer<CChar>?
        let written = redisFormatCommandArgv(&target, Int32(count), argv, lengths)
        guard written >= 0, let target else { fatalError("hiredis: out of memory formatting a command") }
        buffer.writeBytes(UnsafeRawBufferPointer(start: target, count: Int(written)))
        redisFreeCommand(target)
    }

    private func reserve(arguments: Int, bytes: Int) {
        if bytes > scratchCapacity {
            scratch.deallocate()
            scratchCapacity = max(bytes, scratchCapacity * 2)
            scratch = .allocate(byteCount: scratchCapacity, alignment: 8)
        }
        if arguments > argvCapacity {
            argv.deallocate()
            lengths.deallocate()
            argvCapacity = max(arguments, argvCapacity * 2)
            argv = .allocate(capacity: argvCapacity)
            lengths = .allocate(capacity: argvCapacity)
        }
    }
}

/// RESP2 command encoding in Swift, straight into the outbound ByteBuffer:
/// `*<argc>\r\n` then `$<len>\r\n<bytes>\r\n` per argument — exactly the bytes
/// `redisFormatCommandArgv` produces (verified against ``HiredisCommandEncoder`` in the tests),
/// without its `sprintf` and per-command `malloc`. Binary-safe: arguments are length-prefixed.
enum RESPEncoder {
    static func encode(_ arguments: [RedisArgument], into buffer: inout ByteBuffer) {
        precondition(!arguments.isEmpty, "a Redis command needs at least one argument")
        var size = 1 + digits(arguments.count) + 2
        for argument in arguments {
            let length = argument.bytes.count
            size += 1 + digits(length) + 2 + length + 2
        }
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: size) { raw in
            let out = raw.baseAddress!.assumingMemoryBound(to: UInt8.self)
            var position = 0
            out[position] = UInt8(ascii: "*")
            position += 1
            position += writeDecimal(arguments.count, to: out + position)
            out[position] = 13; out[position + 1] = 10
            position += 2
            for argument in arguments {
                out[position] = UInt8(ascii: "$")
                position += 1
                let length = argument.bytes.count
                position += writeDecimal(length, to: out + position)
                out[position] = 13; out[position + 1] = 10
                position += 2
                if length > 0 {
                    argument.bytes.withUnsafeBufferPointer { bytes in
                        (out + position).update(from: bytes.baseAddress!, count: length)
                    }
                    position += length
                }
                out[position] = 13; out[position + 1] = 10
                position += 2
            }
            return position
        }
    }

    @inline(__always)
    private static func digits(_ value: Int) -> Int {
        var count = 1
        var v = value
        while v >= 10 { v /= 10; count += 1 }
        return count
    }

    @inline(__always)
    private static func writeDecimal(_ value: Int, to out: UnsafeMutablePointer<UInt8>) -> Int {
        let count = digits(value)
        var v = value
        var index = count - 1
        while index >= 0 {
            out[index] = UInt8(truncatingIfNeeded: 48 + v % 10)
            v /= 10
            index -= 1
        }
        return count
    }
}
