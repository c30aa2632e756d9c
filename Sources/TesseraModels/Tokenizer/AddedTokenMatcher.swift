/// Finds added tokens in text, leftmost-longest, and splits the text around them.
struct AddedTokenMatcher: Sendable {
    /// One piece of split text.
    enum Segment: Equatable {
        /// A matched added token.
        case token(Int32)
        /// Text between matches, as an index range into the input.
        case text(Range<Int>)
    }

    private struct Pattern: Sendable {
        var scalars: [Unicode.Scalar]
        var id: Int32
    }

    private let patterns: [Pattern]
    private let firstScalars: Set<Unicode.Scalar>

    /// A matcher for the given literal patterns; empty patterns are ignored.
    init(_ patterns: [(scalars: [Unicode.Scalar], id: Int32)]) {
        // Longest first, so the first hit at a position is the longest one.
        self.patterns = patterns.filter { !$0.scalars.isEmpty }
            .map { Pattern(scalars: $0.scalars, id: $0.id) }
            .sorted { $0.scalars.count > $1.scalars.count }
        self.firstScalars = Set(self.patterns.map { $0.scalars[0] })
    }

    /// Whether there is nothing to match.
    var isEmpty: Bool { patterns.isEmpty }

    /// Splits `text[range]` into added tokens and the text between them (empty text is left out).
    func split(_ text: [Unicode.Scalar], range: Range<Int>) -> [Segment] {
        if patterns.isEmpty { return range.isEmpty ? [] : [.text(range)] }
        var segments: [Segment] = []
        var textStart = range.lowerBound
        var i = range.lowerBound
        while i < range.upperBound {
            if firstScalars.contains(text[i]), let pattern = longestMatch(text, at: i, limit: range.upperBound) {
                if textStart < i { segments.append(.text(textStart..<i)) }
                segments.append(.token(pattern.id))
                i += pattern.scalars.count
                textStart = i
            } else {
                i += 1
            }
        }
        if textStart < range.upperBound { segments.append(.text(textStart..<range.upperBound)) }
        return segments
    }

    private func longestMatch(_ text: [Unicode.Scalar], at start: Int, limit: Int) -> Pattern? {
        outer: for pattern in patterns where pattern.scalars.count <= limit - start {
            for k in 0..<pattern.scalars.count where text[start + k] != pattern.scalars[k] { continue outer }
            return pattern
        }
        return nil
    }
}
