import Foundation
import Monopoly
import Testing
@testable import Gateway

/// The page's input limits are PlayerText's, the one place the name and chat limits live: a page
/// allowing more would have its players refused with `bad_request`, one allowing less would cut
/// names the server takes. (`maxlength` counts UTF-16 units, so it is a hint for the common case;
/// the server's grapheme and byte limits decide.)
@Suite struct BundledPageLimitTests {
    /// The `maxlength` of the element with `id` in the bundled index.html.
    static func maxLength(of id: String) throws -> Int? {
        let file = try #require(StaticFiles.bundled().lookup(target: "/index.html"))
        let page = String(decoding: file.body.readableBytesView, as: UTF8.self)
        let tag = try #require(page.range(of: #"<input id="\#(id)"[^>]*>"#, options: .regularExpression).map { page[$0] })
        return tag.range(of: #"maxlength="[0-9]+""#, options: .regularExpression)
            .flatMap { Int(tag[$0].dropFirst("maxlength=\"".count).dropLast()) }
    }

    @Test func theNameAndChatInputsTakeWhatTheServerTakes() throws {
        #expect(try Self.maxLength(of: "name-input") == PlayerText.maximumNameGraphemes)
        #expect(try Self.maxLength(of: "chat-input") == PlayerText.maximumChatGraphemes)
    }
}
