import Testing
@testable import Monopoly

/// Names and chat lines: what is stored and shown to everyone, bounded in graphemes and in bytes.
@Suite struct PlayerTextTests {
    static let nameTooLong = "a name is at most 24 characters and 64 bytes"
    static let chatTooLong = "a chat line is at most 300 characters and 1024 bytes"

    /// Raw text, then the stored name (nil: refused).
    static let names: [(String, String?)] = [
        ("Alice", "Alice"),
        ("  Bob \t", "Bob"),
        ("\n Carol\r\n", "Carol"),
        ("Jean-Luc Picard", "Jean-Luc Picard"),
        ("Zoë", "Zoë"),
        ("Zoe\u{0308}", "Zo\u{00EB}"),                     // decomposed: stored in NFC
        ("\u{1100}\u{1161}\u{11A8}", "\u{AC01}"),          // Hangul jamo compose to one syllable
        ("山田太郎", "山田太郎"),
        ("Ana 🎲", "Ana 🎲"),
        ("🇫🇷 Léa", "🇫🇷 Léa"),                            // a flag is two regional indicators, one grapheme
        ("a\u{3000}b", "a\u{3000}b"),                       // ideographic space inside
        (String(repeating: "x", count: 24), String(repeating: "x", count: 24)),
        (String(repeating: "é", count: 24), String(repeating: "é", count: 24)), // 48 bytes
        (String(repeating: "😀", count: 16), String(repeating: "😀", count: 16)), // 64 bytes
        // Refused: empty, too long in graphemes, too long in bytes.
        ("", nil),
        ("   \t\n ", nil),
        (String(repeating: "x", count: 25), nil),
        (String(repeating: "😀", count: 17), nil),         // 17 graphemes but 68 bytes
        (String(repeating: "山", count: 22), nil),          // 22 graphemes, 66 bytes
        ("a" + String(repeating: "\u{0301}", count: 20_000), nil), // ONE grapheme, 40,001 bytes
        ("a" + String(repeating: "\u{0301}", count: 40), nil),     // one grapheme, 81 bytes
        (String(repeating: " ", count: 10_000) + "a", nil),         // padding past any sane size
        // Refused: invisible, reordering or unassigned characters.
        ("Ali\u{202E}ecila", nil),                          // right-to-left override
        ("\u{2066}Bob\u{2069}", nil),                       // bidi isolates
        ("Al\u{200B}ice", nil),                             // zero-width space
        ("Al\u{200D}ice", nil),                             // zero-width joiner
        ("\u{FEFF}Alice", nil),                             // byte order mark
        ("Al\u{00AD}ice", nil),                             // soft hyphen
        ("Alice\u{E0041}", nil),                            // tag character
        ("Al\u{E000}ice", nil),                             // private use
        ("Al\u{F0000}ice", nil),                            // supplementary private use
        ("Al\u{0378}ice", nil),                             // unassigned
        ("Al\u{FFFF}ice", nil),                             // noncharacter
        ("Al\u{0000}ice", nil),
        ("Al\u{001B}[31mice", nil),                         // terminal escape
        ("Al\u{007F}ice", nil),
        ("Al\u{0085}ice", nil),                             // next line (C1)
        ("Ali\nce", nil),
        ("Ali\tce", nil),
        ("Ali\rce", nil),
        ("Ali\u{2028}ce", nil),                             // line separator
        ("Ali\u{2029}ce", nil),                             // paragraph separator
    ]

    @Test(arguments: names) func name(_ raw: String, _ stored: String?) {
        switch PlayerText.name(raw) {
        case .success(let text): #expect(text == stored)
        case .failure(let violation): #expect(stored == nil, "\(violation.message)")
        }
    }

    /// Raw text, then the broadcast line (nil: refused).
    static let chats: [(String, String?)] = [
        ("hello", "hello"),
        ("  gg  ", "gg"),
        ("two\nlines", "two\nlines"),
        ("a\ttab", "a\ttab"),
        ("Cafe\u{0301}?", "Caf\u{00E9}?"),
        (String(repeating: "x", count: 300), String(repeating: "x", count: 300)),
        (String(repeating: "é", count: 300), String(repeating: "é", count: 300)), // 600 bytes
        (String(repeating: "😀", count: 256), String(repeating: "😀", count: 256)), // 1024 bytes
        ("", nil),
        (" \n\t ", nil),
        (String(repeating: "x", count: 301), nil),
        (String(repeating: "😀", count: 257), nil),        // 1028 bytes
        (String(repeating: "山", count: 299) + "é", String(repeating: "山", count: 299) + "é"), // 899 bytes
        (String(repeating: "山", count: 342), nil),        // 342 graphemes, 1,026 bytes
        ("a" + String(repeating: "\u{0301}", count: 20_000), nil),
        ("a" + String(repeating: "\u{0301}", count: 600), nil),    // one grapheme, 1,201 bytes
        ("buy\u{202E}lles", nil),
        ("free\u{200B}money", nil),
        ("cr\rlf", nil),
        ("bell\u{0007}", nil),
        ("x\u{2028}y", nil),
        ("\u{F8FF}", nil),
    ]

    @Test(arguments: chats) func chat(_ raw: String, _ broadcast: String?) {
        switch PlayerText.chat(raw) {
        case .success(let text): #expect(text == broadcast)
        case .failure(let violation): #expect(broadcast == nil, "\(violation.message)")
        }
    }

    @Test func refusalsNameTheLimit() {
        #expect(PlayerText.name(String(repeating: "x", count: 25)) == .failure(PlayerTextViolation(message: Self.nameTooLong)))
        #expect(PlayerText.name("a" + String(repeating: "\u{0301}", count: 20_000)) == .failure(PlayerTextViolation(message: Self.nameTooLong)))
        #expect(PlayerText.chat(String(repeating: "x", count: 301)) == .failure(PlayerTextViolation(message: Self.chatTooLong)))
        #expect(PlayerText.chat(String(repeating: "😀", count: 257)) == .failure(PlayerTextViolation(message: Self.chatTooLong)))
        #expect(PlayerText.name(" ") == .failure(PlayerTextViolation(message: "a name cannot be empty")))
        guard case .failure(let bidi) = PlayerText.name("Ali\u{202E}ecila") else { Issue.record("accepted"); return }
        #expect(bidi.message.hasPrefix("a name cannot contain U+202E"))
    }

    @Test func theEngineStoresTheValidatedName() throws {
        var g = GameState(seed: 1)
        _ = try g.join(name: " Zoe\u{0308} ")
        #expect(g.player("p1")?.name == "Zo\u{00EB}")
        #expect(violation { _ = try g.join(name: "a" + String(repeating: "\u{0301}", count: 20_000)) } == .invalidName)
        #expect(violation { _ = try g.join(name: String(repeating: "x", count: 25)) } == .invalidName)
        #expect(violation { _ = try g.join(name: "Bob\u{202E}") } == .invalidName)
        #expect(g.players.count == 1)
    }
}
