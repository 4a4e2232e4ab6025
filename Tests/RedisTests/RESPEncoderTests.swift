@testable import Redis
import NIOCore
import Testing

/// The Swift encoder must produce exactly the bytes of hiredis's redisFormatCommandArgv.
@Suite struct RESPEncoderTests {
    static func both(_ command: [RedisArgument]) -> (swift: [UInt8], hiredis: [UInt8]) {
        var a = ByteBuffer()
        RESPEncoder.encode(command, into: &a)
        var b = ByteBuffer()
        HiredisCommandEncoder().encode(command, into: &b)
        return (Array(a.readableBytesView), Array(b.readableBytesView))
    }

    @Test func matchesHiredisForFixedCommands() {
        let commands: [[RedisArgument]] = [
            ["PING"],
            ["SET", "key", "value", "PX", 1500],
            ["PUBLISH", "ch", RedisArgument((0...255).map { UInt8($0) })],
            ["SET", "", ""],
            ["ECHO", RedisArgument(Array("a\r\nb\0c".utf8))],
            ["SET", "big", RedisArgument([UInt8](repeating: 7, count: 100_000))],
            Array(repeating: "x", count: 1234),
        ]
        for command in commands {
            let (swift, hiredis) = Self.both(command)
            #expect(swift == hiredis, "\(command.prefix(3).map(\.string))")
        }
        #expect(Self.both(["SET", "k", "v"]).swift == Array("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n".utf8))
    }

    @Test func matchesHiredisForRandomCommands() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<300 {
            let argc = Int.random(in: 1...12, using: &generator)
            let command = (0..<argc).map { _ -> RedisArgument in
                let length = [0, 1, 9, 10, 99, 100, 1000, Int.random(in: 0...2000, using: &generator)].randomElement(using: &generator)!
                return RedisArgument((0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) })
            }
            let (swift, hiredis) = Self.both(command)
            #expect(swift == hiredis)
            if swift != hiredis { return }
        }
    }
}
