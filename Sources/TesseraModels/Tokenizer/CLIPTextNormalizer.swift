/// CLIP's text normaliser, as Hugging Face `tokenizers` builds it for `CLIPTokenizer`:
/// NFC, then every run of whitespace replaced by one space, then lowercasing.
///
/// Lowercasing is per scalar with the full, context-free Unicode mapping (Rust's
/// `char::to_lowercase`): `İ` becomes `i` + U+0307, and a final `Σ` becomes `σ`, never `ς`.
/// The result is not renormalised afterwards.
enum CLIPTextNormalizer {
    /// Normalises `scalars` into a fresh array.
    static func normalize<C: Collection>(_ scalars: C) -> [Unicode.Scalar] where C.Element == Unicode.Scalar {
        var output: [Unicode.Scalar] = []
        output.reserveCapacity(scalars.count)
        if scalars.allSatisfy({ $0.isASCII }) {
            appendCollapsingAndLowercasing(scalars, to: &output)
        } else {
            var text = String()
            text.unicodeScalars.append(contentsOf: scalars)
            let composed = String(decoding: text._nfcCodeUnits, as: UTF8.self)
            appendCollapsingAndLowercasing(composed.unicodeScalars, to: &output)
        }
        return output
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
