import Foundation
import Monopoly
import Testing

/// The README's error-code table is `ErrorCode.markdownTable`: a code added to the enum and not to
/// the README (as `game_exists` once was), or listed there and sent by nothing, fails here.
@Suite struct ErrorCodeTableTests {
    static let begin = "<!-- error codes: generated from ErrorCode.meaning -->\n"
    static let end = "\n<!-- end of error codes -->"

    @Test func theReadmeListsEveryErrorCodeFromTheEnum() throws {
        let readmeURL = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../README.md")
        let readme = try String(contentsOf: readmeURL, encoding: .utf8)
        let start = try #require(readme.range(of: Self.begin), "README.md has no generated error-code table")
        let stop = try #require(readme.range(of: Self.end, range: start.upperBound..<readme.endIndex))
        let table = String(readme[start.upperBound..<stop.lowerBound])
        #expect(table == ErrorCode.markdownTable, "README.md's error-code table differs from ErrorCode; paste this:\n\(ErrorCode.markdownTable)")
    }

    @Test func everyCodeIsLowercaseWordsAndUnique() {
        let codes = ErrorCode.allCases.map(\.rawValue)
        #expect(Set(codes).count == codes.count)
        for code in codes {
            #expect(!code.isEmpty && code.allSatisfy { ("a"..."z").contains($0) || $0 == "_" }, "\(code)")
        }
        #expect(ErrorCode.gameExists.rawValue == "game_exists")
    }
}
