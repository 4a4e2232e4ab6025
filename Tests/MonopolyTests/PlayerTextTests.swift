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
        // Refused: names that render blank (they passed before), and invisible letters and marks.
        ("\u{3164}", nil),                                  // Hangul filler, a letter that shows nothing
        ("\u{3164}\u{3164}\u{3164}", nil),
        ("\u{115F}\u{1160}", nil),                          // Hangul choseong and jungseong fillers
        ("\u{FFA0}", nil),                                  // halfwidth Hangul filler
        ("\u{2800}\u{2800}", nil),                          // the blank Braille pattern
        ("\u{0301}\u{0301}\u{0301}", nil),                  // combining marks alone
        ("\u{00A0}\u{2003}\u{3000}", nil),                  // spaces alone (trimmed to nothing)
        ("\u{FE0F}", nil),                                  // a variation selector alone
        ("Al\u{034F}ice", nil),                             // combining grapheme joiner
        ("Ali\u{FE00}ce", nil),                             // a variation selector where it shows nothing
        ("Bob\u{3164}", nil),                               // a filler that makes "Bob" a second Bob
        ("Ana ❤\u{FE0F}", "Ana ❤\u{FE0F}"),                // the emoji presentation selector stays
        ("\u{2800}x", "\u{2800}x"),                          // something visible in it
        ("-", "-"),
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

    /// Names one game may not hold twice: alike but for case, compatibility forms, invisible
    /// selectors and runs of spaces (before, a second "Alice" or "ALICE" joined).
    static let namesakes: [(String, String, Bool)] = [
        ("Alice", "Alice", true),
        ("Alice", "ALICE", true),
        ("Alice", "\u{FF21}\u{FF2C}\u{FF29}\u{FF23}\u{FF25}", true),   // fullwidth
        ("Straße", "STRASSE", true),
        ("Ana ❤\u{FE0F}", "ana ❤", true),
        ("Jean  Luc", "jean luc", true),
        ("Jean\u{3000}Luc", "Jean Luc", true),
        ("ﬁona", "Fiona", true),                                        // ligature
        ("Zoë", "Zoe\u{0308}", true),
        ("Alice", "\u{0410}lice", true),                                  // Cyrillic А
        ("Alice", "\u{0410}li\u{0441}\u{0435}", true),                    // А, с, е Cyrillic
        ("Bob", "\u{0412}\u{041E}\u{0412}", true),                        // ВОВ
        ("Niko", "\u{039D}\u{0399}\u{039A}\u{039F}", true),              // Greek capitals
        ("Alice", "AIice", true),                                         // capital I for l
        ("Bob", "B0b", true),
        ("Alice", "Alicia", false),
        ("Ian", "Jan", false),
        ("Mia", "Max", false),
        ("José", "Jose", false),
        ("Bot 1", "Bot 2", false),
    ]

    @Test(arguments: namesakes) func namesakesShareAKey(_ first: String, _ second: String, _ alike: Bool) {
        #expect((PlayerText.nameKey(first) == PlayerText.nameKey(second)) == alike)
    }

    @Test func aGameHoldsNoTwoNamesThatReadAlike() throws {
        var g = GameState(seed: 1)
        _ = try g.join(name: "Alice")
        for namesake in ["Alice", " alice ", "ALICE", "\u{FF21}lice"] {
            #expect(violation { _ = try g.join(name: namesake) } == .nameTaken, "\(namesake)")
        }
        let bob = try g.join(name: "Bob")
        #expect(violation { _ = try g.join(name: "bob", bot: true) } == .nameTaken)
        _ = try g.leave(bob)
        _ = try g.join(name: "bob")   // a name is free again once its player left
        #expect(g.players.map(\.name) == ["Alice", "bob"])
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
