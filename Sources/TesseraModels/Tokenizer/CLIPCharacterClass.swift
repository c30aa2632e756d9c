/// How CLIP's pre-tokenizer sees one Unicode scalar.
///
/// The classes follow the Oniguruma regex engine that Hugging Face `tokenizers` runs CLIP's
/// split pattern with: `\s` is the Unicode `White_Space` property (25 scalars, including
/// U+0085, U+00A0 and U+3000, but not U+180E, U+200B or U+FEFF), `\p{L}` is general
/// category L (Lu, Ll, Lt, Lm, Lo) and `\p{N}` is general category N (Nd, Nl, No).
/// Everything else, combining marks, symbols, emoji, controls and unassigned code points
/// included, is `other`.
///
/// The Oniguruma in `tokenizers` 0.23 knows Unicode 16.0, while the Swift runtime may know a
/// later version (Swift 6.3: Unicode 17.0). Scalars assigned after `referenceUnicodeVersion`
/// are unassigned to the reference, hence `other`, whatever category Swift gives them.
enum CLIPCharacterClass: UInt8, Sendable {
    /// Unicode `White_Space`: separates words and is dropped.
    case whitespace
    /// General category L: runs of letters form one word.
    case letter
    /// General category N: every number scalar is a word of its own.
    case number
    /// Anything else: runs of these form one word.
    case other

    /// The Unicode version of the reference tokenizer's character tables.
    static let referenceUnicodeVersion: Unicode.Version = (major: 16, minor: 0)

    /// Classes of the 128 ASCII scalars, the common case.
    private static let ascii: [CLIPCharacterClass] = (0..<128).map { classifySlow(Unicode.Scalar(UInt8($0))) }

    /// The class of `scalar`.
    @inline(__always)
    static func of(_ scalar: Unicode.Scalar) -> CLIPCharacterClass {
        scalar.value < 128 ? ascii[Int(scalar.value)] : classifySlow(scalar)
    }

    private static func classifySlow(_ scalar: Unicode.Scalar) -> CLIPCharacterClass {
        let properties = scalar.properties
        if properties.isWhitespace { return .whitespace }
        let kind: CLIPCharacterClass
        switch properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter:
            kind = .letter
        case .decimalNumber, .letterNumber, .otherNumber:
            kind = .number
        default:
            return .other
        }
        if let age = properties.age, age > referenceUnicodeVersion { return .other }
        return kind
    }
}
