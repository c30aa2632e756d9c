/// Splits normalised text into the words that byte-pair encoding sees.
///
/// This reproduces the two pre-tokenizers Hugging Face `tokenizers` chains for CLIP, working
/// on Unicode scalars (not grapheme clusters):
///
/// 1. `Split` keeps the matches of
///    `<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+`
///    (leftmost, first alternative wins) and drops whatever lies between (whitespace).
///    Runs of letters and runs of "other" scalars are one word each; every number scalar is
///    a word by itself.
/// 2. `ByteLevel` splits each of those again with GPT-2's pattern. That only changes the two
///    special-token literals, which become `<|`, the letters, and `|>`; all other words pass
///    through whole.
enum CLIPPreTokenizer {
    private static let specialLiterals: [[Unicode.Scalar]] = [
        Array("<|startoftext|>".unicodeScalars),
        Array("<|endoftext|>".unicodeScalars),
    ]
    private static let contractions: [[Unicode.Scalar]] = ["s", "t", "re", "ve", "m", "ll", "d"].map {
        Array(("'" + $0).unicodeScalars)
    }

    /// The words of `text[range]`, as index ranges into `text`, in order.
    static func words(in text: [Unicode.Scalar], range: Range<Int>) -> [Range<Int>] {
        var words: [Range<Int>] = []
        let end = range.upperBound
        var i = range.lowerBound
        while i < end {
            let scalar = text[i]
            let kind = CLIPCharacterClass.of(scalar)
            switch kind {
            case .whitespace:
                i += 1
                continue
            case .number:
                words.append(i..<(i + 1))
                i += 1
                continue
            case .letter:
                var j = i + 1
                while j < end, CLIPCharacterClass.of(text[j]) == .letter { j += 1 }
                words.append(i..<j)
                i = j
                continue
            case .other:
                break
            }
            if scalar == "<", let literal = specialLiterals.first(where: { hasPrefix(text, at: i, end: end, $0) }) {
                // GPT-2's pattern splits the literal into "<|", the letters, "|>".
                let j = i + literal.count
                words.append(i..<(i + 2))
                words.append((i + 2)..<(j - 2))
                words.append((j - 2)..<j)
                i = j
                continue
            }
            if scalar == "'", let contraction = contractions.first(where: { hasPrefix(text, at: i, end: end, $0) }) {
                words.append(i..<(i + contraction.count))
                i += contraction.count
                continue
            }
            var j = i + 1
            while j < end, CLIPCharacterClass.of(text[j]) == .other { j += 1 }
            words.append(i..<j)
            i = j
        }
        return words
    }

    @inline(__always)
    private static func hasPrefix(_ text: [Unicode.Scalar], at start: Int, end: Int, _ prefix: [Unicode.Scalar]) -> Bool {
        guard end - start >= prefix.count else { return false }
        for k in 0..<prefix.count where text[start + k] != prefix[k] { return false }
        return true
    }
}
