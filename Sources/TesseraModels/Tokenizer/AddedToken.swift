/// A token that is cut out of the text before normalisation and byte-pair encoding,
/// as Hugging Face `tokenizers` does with special tokens.
///
/// `normalized` decides where it is looked for: `false` matches the raw text, `true` matches
/// the text after `CLIPTextNormalizer` (and the token's content is normalised the same way).
/// transformers makes a special token given as a plain string `normalized: false`, and one
/// given as an AddedToken dictionary takes that dictionary's flag (false when absent). When
/// several special tokens share content, the last one in the order bos, eos, unk, sep, pad,
/// cls, mask decides. `lstrip`/`rstrip` cannot change CLIP's ids (whitespace yields no
/// tokens) and `single_word` is not supported.
struct AddedToken: Sendable, Equatable {
    /// The literal text of the token.
    var content: String
    /// Whether it is matched after normalisation rather than on the raw text.
    var normalized: Bool
}
