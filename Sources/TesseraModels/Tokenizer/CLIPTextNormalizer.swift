/// CLIP's text normaliser, as Hugging Face `tokenizers` builds it for `CLIPTokenizer`:
/// NFC, then every run of whitespace replaced by one space, then lowercasing.
///
/// NFC follows the reference's tables, which are Unicode 9.0 (`tokenizers` composes with the
/// `unicode-normalization-alignments` crate): scalars assigned later have no decomposition, no
/// combining class and compose with nothing there. So text is composed in chunks split at such
/// scalars, which pass through untouched. (Without this, e.g. U+09FE, combining class 230 since
/// Unicode 10, would be reordered after a following U+0348, and the ids would differ.)
///
/// Lowercasing is per scalar with the full, context-free Unicode mapping (Rust's
/// `char::to_lowercase`): `İ` becomes `i` + U+0307, and a final `Σ` becomes `σ`, never `ς`.
/// The result is not renormalised afterwards.
enum CLIPTextNormalizer {
    /// Normalises `scalars` into a fresh array.
    static func normalize<C: Collection>(_ scalars: C) -> [Unicode.Scalar] where C.Element == Unicode.Scalar {
        var output: [Unicode.Scalar] = []
        output.reserveCapacity(scalars.count)
        // Below U+0300 there are no combining marks and nothing that NFC changes.
        if scalars.allSatisfy({ $0.value < 0x300 }) {
            appendCollapsingAndLowercasing(scalars, to: &output)
        } else {
            appendCollapsingAndLowercasing(composed(scalars), to: &output)
        }
        return output
    }

    /// The Unicode version of the reference's normalisation tables.
    static let normalizationUnicodeVersion: Unicode.Version = (major: 9, minor: 0)

    /// NFC as the reference computes it: scalars newer than `normalizationUnicodeVersion`
    /// split the text and are kept as they are; the chunks between them are composed.
    static func composed<C: Collection>(_ scalars: C) -> [Unicode.Scalar] where C.Element == Unicode.Scalar {
        var result: [Unicode.Scalar] = []
        result.reserveCapacity(scalars.count)
        var chunk = String()
        func flush() {
            guard !chunk.isEmpty else { return }
            result.append(contentsOf: String(decoding: chunk._nfcCodeUnits, as: UTF8.self).unicodeScalars)
            chunk = String()
        }
        for scalar in scalars {
            if scalar.value >= 0x300, let age = scalar.properties.age, age > normalizationUnicodeVersion {
                flush()
                result.append(scalar)
            } else {
                chunk.unicodeScalars.append(scalar)
            }
        }
        flush()
        return result
    }

    private static func appendCollapsingAndLowercasing<C: Collection>(
        _ scalars: C, to output: inout [Unicode.Scalar]
    ) where C.Element == Unicode.Scalar {
        var inWhitespace = false
        for scalar in scalars {
            if CLIPCharacterClass.of(scalar) == .whitespace {
                if !inWhitespace { output.append(" ") }
                inWhitespace = true
                continue
            }
            inWhitespace = false
            if scalar.isASCII {
                let value = scalar.value
                output.append((0x41...0x5A).contains(value) ? Unicode.Scalar(value + 0x20)! : scalar)
            } else {
                output.append(contentsOf: scalar.properties.lowercaseMapping.unicodeScalars)
            }
        }
    }
}
