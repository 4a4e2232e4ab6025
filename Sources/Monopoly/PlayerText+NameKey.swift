import Foundation

extension PlayerText {
    /// What two names of one game may not share (`GameState.join` refuses the second): names that
    /// read alike are compared alike. Compatibility forms (fullwidth `Ａ`, ligatures) and case are
    /// folded, invisible characters (emoji variation selectors) dropped, whitespace runs read as
    /// one space, and letters that look like Latin ones (Cyrillic `а`, Greek `ο`; `I`, `l`, `1`;
    /// `0` and `O`) read as those. A heuristic, not Unicode's whole confusables table: it stops
    /// the poses one can type on a common keyboard layout, and refuses at worst a name only
    /// alike to another of the same game.
    public static func nameKey(_ name: String) -> String {
        let folded = name.precomposedStringWithCompatibilityMapping
            .folding(options: [.caseInsensitive], locale: nil)
            .precomposedStringWithCompatibilityMapping
        var key = String.UnicodeScalarView()
        var pendingSpace = false
        for scalar in folded.unicodeScalars where !scalar.properties.isDefaultIgnorableCodePoint {
            if scalar.properties.isWhitespace {
                pendingSpace = !key.isEmpty
                continue
            }
            if pendingSpace { key.append(" ") }
            pendingSpace = false
            key.append(latinLookAlikes[scalar] ?? scalar)
        }
        return String(key)
    }

    /// Case-folded letters and digits that show as a Latin letter in common fonts. Folding lost
    /// case, so `i` joins `l`: a capital `I` and a small `l` are the same stroke in sans-serif.
    private static let latinLookAlikes: [Unicode.Scalar: Unicode.Scalar] = {
        let pairs: [(String, Unicode.Scalar)] = [
            ("\u{0430}\u{03B1}", "a"),                             // Cyrillic а, Greek α
            ("\u{0432}\u{03B2}", "b"),                             // в (В), β
            ("\u{0441}", "c"),                                     // с (the lunate sigma reads as σ after NFKC)
            ("\u{0501}", "d"),                                     // ԁ
            ("\u{0435}\u{03B5}", "e"),                             // е, ε
            ("\u{043D}\u{04BB}\u{03B7}", "h"),                      // н (Н), һ, η (Η)
            ("il1|\u{0131}\u{0456}\u{04CF}\u{03B9}", "l"),            // i, l, 1, |, dotless ı, і (І), ӏ (Ӏ), ι (Ι)
            ("\u{0458}\u{03F3}", "j"),                             // ј, ϳ
            ("\u{043A}\u{03BA}", "k"),                             // к (К), κ (Κ)
            ("\u{043C}\u{03BC}", "m"),                             // м (М), μ (Μ)
            ("\u{03BD}", "n"),                                     // ν (Ν)
            ("0\u{043E}\u{03BF}", "o"),                             // 0, о, ο
            ("\u{0440}\u{03C1}", "p"),                             // р, ρ
            ("\u{051B}", "q"),                                     // ԛ
            ("\u{0455}", "s"),                                     // ѕ
            ("\u{0442}\u{03C4}", "t"),                             // т (Т), τ (Τ)
            ("\u{051D}", "w"),                                     // ԝ
            ("\u{0445}\u{03C7}", "x"),                             // х, χ
            ("\u{0443}\u{04AF}\u{03C5}", "y"),                      // у, ү, υ (Υ)
            ("\u{03B6}", "z"),                                     // ζ (Ζ)
        ]
        var table: [Unicode.Scalar: Unicode.Scalar] = [:]
        for (lookAlikes, latin) in pairs {
            for scalar in lookAlikes.unicodeScalars { table[scalar] = latin }
        }
        return table
    }()
}
