import Testing
@testable import WebSocket

@Suite struct PingPongTests {
    @Test func answersPingWithPongCarryingSamePayload() {
        let payload: [UInt8] = [1, 2, 3, 250]
        #expect(actions(for: clientFrame(.ping, payload)) == [.write(WebSocketFrameEncoder.frame(opcode: .pong, payload: payload))])
    }

    @Test func answersEmptyPing() {
        #expect(actions(for: clientFrame(.ping, [])) == [.write([0x8A, 0x00])])
    }

    @Test func reportsPongToTheShell() {
        #expect(actions(for: clientFrame(.pong, [4, 2])) == [.pongReceived([4, 2])])
    }

    @Test func answersEveryPingOfABurstInOrder() {
        let bytes = (0..<10).flatMap { clientFrame(.ping, [UInt8($0)]) }
        #expect(actions(for: bytes) == (0..<10).map { .write(WebSocketFrameEncoder.frame(opcode: .pong, payload: [UInt8($0)])) })
    }
}
