import Monopoly
import RelayProtocol
import Testing

/// How many log lines a reader asks Redis for (`LRANGE 0 count-1`): whatever `monopoly:{GAME}:last`
/// holds, one request reads at most what a log can hold.
@Suite struct GameLogFileTests {
    @Test(arguments: [
        (#"{"game":"ABC234","seq":7,"state":{}}"#, 7),
        (#"{"game":"ABC234","seq":1,"state":{}}"#, 1),
        // seq 0 made the count 0, and `LRANGE 0 -1` is the whole list.
        (#"{"game":"ABC234","seq":0,"state":{}}"#, 1),
        (#"{"game":"ABC234","seq":100001,"state":{}}"#, 100_001),
        (#"{"game":"ABC234","seq":100002,"state":{}}"#, 100_001),
        (#"{"game":"ABC234","seq":9223372036854775807}"#, 100_001),
        (#"{"game":"ABC234","seq":-1,"state":{}}"#, 100_001),
        (#"{"game":"ZZZ999","seq":3,"state":{}}"#, 100_001),
        ("not json", 100_001),
    ])
    func linesToReadStayWithinWhatALogHolds(last: String, lines: Int) {
        #expect(GameLogFile.linesToRead(last: last, game: GameID(rawValue: "ABC234")!) == lines)
        #expect(GameLogFile.maximumEntries + 1 == 100_001)
    }
}
