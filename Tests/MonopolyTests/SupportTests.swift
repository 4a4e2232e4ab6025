import Testing
@testable import Monopoly

/// The test helpers themselves: a broken invariant fails the one test, not the whole run.
@Suite struct SupportTests {
    @Test func aBrokenInvariantRecordsAnIssueInsteadOfCrashing() throws {
        var g = newGame(2)
        g.bank.houses -= 1  // 31 houses in all: the house count invariant no longer holds
        try withKnownIssue("run records the broken invariant") {
            try g.run(.roll, "p1", dice: [1, 2])
        }
        #expect(g.player("p1")?.position == 3, "the command was still applied")
    }
}
