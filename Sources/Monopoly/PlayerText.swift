import Foundation

/// Text a player chose (a name, a chat line): what may be stored and shown to every other player.
/// Limits count both graphemes (what a reader sees) and UTF-8 bytes (what is stored and sent): one
/// grapheme can carry any number of combining marks, so a grapheme limit alone bounds nothing.
/// Invisible or reordering characters (controls, bidi overrides, zero-width) are refused: they let
/// one name pose as another or scramble the game log around it.
public enum PlayerText {
    public static let maximumNameGraphemes = 24, maximumNameBytes = 64
    public static let maximumChatGraphemes = 300, maximumChatBytes = 1024

    /// The name as stored (trimmed, NFC) or why it is refused.
    public static func name(_ raw: String) -> Result<String, PlayerTextViolation> {
        validate(raw, kind: .name)
    }

    /// The chat line as broadcast (trimmed, NFC) or why it is refused.
    public static func chat(_ raw: String) -> Result<String, PlayerTextViolation> {
        validate(raw, kind: .chat)
    }

    private enum Kind {
        case name, chat

        var noun: String { self == .name ? "a name" : "a chat line" }
        var maximumGraphemes: Int { self == .name ? PlayerText.maximumNameGraphemes : PlayerText.maximumChatGraphemes }
        var maximumBytes: Int { self == .name ? PlayerText.maximumNameBytes : PlayerText.maximumChatBytes }
        var tooLong: PlayerTextViolation {
            PlayerTextViolation(message: "\(noun) is at most \(maximumGraphemes) characters and \(maximumBytes) bytes")
        }
    }

    private static func validate(_ raw: String, kind: Kind) -> Result<String, PlayerTextViolation> {
        // NFC can shrink text (a decomposed Hangul syllable: 9 bytes to 3), never by more than a
        // few times: anything far past the limit is refused before paying for normalization.
        guard raw.utf8.count <= 4 * kind.maximumBytes else { return .failure(kind.tooLong) }
        let text = trimmed(raw.precomposedStringWithCanonicalMapping)
        guard !text.isEmpty else { return .failure(PlayerTextViolation(message: "\(kind.noun) cannot be empty")) }
        guard text.utf8.count <= kind.maximumBytes else { return .failure(kind.tooLong) }
        for scalar in text.unicodeScalars where !isAllowed(scalar, in: kind) {
            return .failure(PlayerTextViolation(message:
                "\(kind.noun) cannot contain U+\(String(scalar.value, radix: 16, uppercase: true).leftPadded(to: 4)) "
                    + "(no control, format, private-use, unassigned or separator characters\(kind == .name ? ", invisible characters, tabs or line breaks" : ""))"))
        }
        guard text.count <= kind.maximumGraphemes else { return .failure(kind.tooLong) }
        if kind == .name, !text.unicodeScalars.contains(where: isVisible) {
            return .failure(PlayerTextViolation(message: "a name needs a visible letter, digit, punctuation mark or symbol"))
        }
        return .success(text)
    }

    /// A scalar that shows as ink: a letter, digit, punctuation mark or symbol, not one of the
    /// letters and symbols that render as nothing (Hangul fillers, the blank Braille pattern).
    /// A name of combining marks, spaces or such blanks alone would show as a blank player.
    private static func isVisible(_ scalar: Unicode.Scalar) -> Bool {
        guard !scalar.properties.isDefaultIgnorableCodePoint, scalar != "\u{2800}" else { return false }
        switch scalar.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
             .decimalNumber, .letterNumber, .otherNumber,
             .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
             .initialPunctuation, .finalPunctuation, .otherPunctuation,
             .mathSymbol, .currencySymbol, .modifierSymbol, .otherSymbol:
            return true
        default:
            return false
        }
    }

    private static func isAllowed(_ scalar: Unicode.Scalar, in kind: Kind) -> Bool {
        switch scalar.properties.generalCategory {
        case .control:
            // A chat line may span lines or hold a tab; a name is one line of visible text.
            return kind == .chat && (scalar == "\n" || scalar == "\t")
        case .format, .privateUse, .surrogate, .unassigned, .lineSeparator, .paragraphSeparator:
            return false
        default:
            // Invisible letters and marks (Hangul fillers, the combining grapheme joiner, variation
            // selectors but the emoji's text and emoji presentation ones): a name holding them
            // reads like another, or blank.
            return kind == .chat || !scalar.properties.isDefaultIgnorableCodePoint
                || scalar == "\u{FE0E}" || scalar == "\u{FE0F}"
        }
    }

    private static func trimmed(_ text: String) -> String {
        guard let first = text.firstIndex(where: { !$0.isWhitespace }),
              let last = text.lastIndex(where: { !$0.isWhitespace })
        else { return "" }
        return String(text[first...last])
    }
}

/// Why a player's text is refused; `message` names the limit, for the player who typed it.
public struct PlayerTextViolation: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String

    public init(message: String) {
        self.message = message
    }

    public var description: String { message }
}

private extension String {
    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
