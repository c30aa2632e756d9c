import Foundation
import XCTest

@testable import TesseraModels

/// Checks `CLIPTokenizer` against ids that transformers' `CLIPTokenizer` produced
/// (`Tests/Fixtures/tokenizer/prompts.json`, written by `tools/fixtures/tokenizer_fixtures.py`).
final class CLIPTokenizerTests: XCTestCase {
    private struct Prompt: Decodable {
        let text: String
        let ids: [Int32]
        let sd1: [Int32]
        let sd2: [Int32]
    }

    private static let clipFolder = Fixtures.url("tokenizer/clip")
    private static let vocabURL = clipFolder.appendingPathComponent("vocab.json")
    private static let mergesURL = clipFolder.appendingPathComponent("merges.txt")

    /// Loaded once: parsing 49,408 tokens and 48,894 merges is the slow part in debug builds.
    private static let loaded: Result<(sd1: CLIPTokenizer, sd2: CLIPTokenizer), Error> = Result {
        let sd1 = try CLIPTokenizer(folder: clipFolder)
        let sd2 = try CLIPTokenizer(
            vocabURL: vocabURL,
            mergesURL: mergesURL,
            configURL: Fixtures.url("tokenizer/clip-sd2/tokenizer_config.json")
        )
        return (sd1, sd2)
    }

    private func tokenizers() throws -> (sd1: CLIPTokenizer, sd2: CLIPTokenizer) {
        try Self.loaded.get()
    }

    private func prompts() throws -> [Prompt] {
        let data = try Data(contentsOf: Fixtures.url("tokenizer/prompts.json"))
        return try JSONDecoder().decode([Prompt].self, from: data)
    }

    /// A fresh scratch folder, removed after the test.
    private func temporaryFolder() throws -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("clip-tokenizer-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    // MARK: - Fixture corpus

    func testEveryPromptMatchesTransformers() throws {
        let (sd1, sd2) = try tokenizers()
        let prompts = try prompts()
        XCTAssertGreaterThanOrEqual(prompts.count, 300)
        var mismatches = 0
        for prompt in prompts {
            let checks: [(String, [Int32], [Int32])] = [
                ("ids", sd1.encode(prompt.text), prompt.ids),
                ("sd1", sd1.encodePadded(prompt.text), prompt.sd1),
                ("sd2", sd2.encodePadded(prompt.text), prompt.sd2),
            ]
            for (name, got, want) in checks where got != want {
                mismatches += 1
                XCTFail("\(name) mismatch for \(String(reflecting: prompt.text)):\n  got  \(got)\n  want \(want)")
            }
        }
        XCTAssertEqual(mismatches, 0, "\(mismatches) id lists differ out of \(prompts.count * 3)")
    }

    // MARK: - Behaviour

    func testWellKnownPrompt() throws {
        let (sd1, sd2) = try tokenizers()
        let want: [Int32] = [49406, 320, 1125, 539, 320, 2368, 49407]
        XCTAssertEqual(sd1.encode("a photo of a cat"), want)
        XCTAssertEqual(sd2.encode("a photo of a cat"), want)
        XCTAssertEqual(sd1.encode("  A Photo\tof a CAT \n"), want, "case and whitespace are normalised away")
    }

    func testSpecialTokenIDsAndLength() throws {
        let (sd1, sd2) = try tokenizers()
        XCTAssertEqual(sd1.modelMaxLength, 77)
        XCTAssertEqual(sd2.modelMaxLength, 77)
        XCTAssertEqual(sd1.bosTokenID, 49406)
        XCTAssertEqual(sd1.eosTokenID, 49407)
        XCTAssertEqual(sd1.padTokenID, 49407)
        XCTAssertEqual(sd2.bosTokenID, 49406)
        XCTAssertEqual(sd2.eosTokenID, 49407)
        XCTAssertEqual(sd2.padTokenID, 0)
        XCTAssertEqual(sd1.vocabularySize, 49408)
    }

    func testSD1PadsWithEndOfTextAndSD2WithExclamationMark() throws {
        let (sd1, sd2) = try tokenizers()
        let content: [Int32] = [49406, 320, 1125, 539, 320, 2368, 49407]
        let padded1 = sd1.encodePadded("a photo of a cat")
        let padded2 = sd2.encodePadded("a photo of a cat")
        XCTAssertEqual(padded1.count, 77)
        XCTAssertEqual(padded2.count, 77)
        XCTAssertEqual(padded1, content + Array(repeating: 49407, count: 70))
        XCTAssertEqual(padded2, content + Array(repeating: 0, count: 70))
    }

    func testSD2TreatsExclamationMarkAsSpecialToken() throws {
        let (sd1, sd2) = try tokenizers()
        // SD1: "!!" is one merged word-final token; SD2: each "!" is the special pad token.
        XCTAssertEqual(sd1.encode("wow!!"), [49406, 2781, 748, 49407])
        XCTAssertEqual(sd2.encode("wow!!"), [49406, 2781, 0, 0, 49407])
    }

    func testEndOfTextMatchesRawTextInSD1AndNormalisedTextInSD2() throws {
        let (sd1, sd2) = try tokenizers()
        // SD1's pad entry is a plain string, so <|endoftext|> is matched before lowercasing.
        XCTAssertEqual(sd1.encode("x<|ENDOFTEXT|>"), [49406, 343, 27, 347, 40786, 4160, 91, 285, 49407])
        XCTAssertEqual(sd2.encode("x<|ENDOFTEXT|>"), [49406, 343, 49407, 49407])
        XCTAssertEqual(sd1.encode("<|STARTOFTEXT|>a"), [49406, 49406, 320, 49407])
    }

    /// Ids from transformers 5.24 / tokenizers 0.23 for the normalisation corner cases.
    func testUnicodeCornerCases() throws {
        let (sd1, _) = try tokenizers()
        let cases: [(String, [Int32])] = [
            // NFC with Unicode 9.0 tables: U+09FE (ccc 230 since Unicode 10) is not reordered after U+0348.
            ("x\u{09FE}\u{0348}", [343, 26339, 122, 137, 486]),
            // ... and the Unicode 13 Dives Akuru pair is not composed into U+11938.
            ("\u{11935}\u{11930}", [172, 239, 97, 113, 172, 239, 97, 364]),
            // A Unicode 17 letter (U+0CDC) is not a letter to the reference's Unicode 16 regex tables.
            ("a\u{0CDC}b", [320, 20745, 506, 321]),
            // Per-scalar lowercase: final sigma stays σ, and İ becomes i + U+0307.
            ("ΣΑΣ", [139, 225, 138, 109, 139, 481]),
            ("İx", [328, 16384, 343]),
            // White_Space separates (NBSP, LINE SEPARATOR, NEL); U+180E no longer is whitespace.
            ("a\u{00A0}b\u{2028}c\u{0085}d\u{180E}e", [320, 321, 322, 323, 157, 254, 492, 324]),
            // Emoji joined by ZWJ are one run of "other" scalars, split by BPE only.
            ("👨\u{200D}👩\u{200D}👧", [25023, 26304, 964, 356]),
            ("e\u{0301}", [4166]),
            ("don't'S", [847, 713, 568]),
            ("1½", [272, 33613]),
        ]
        for (text, content) in cases {
            XCTAssertEqual(sd1.encode(text), [49406] + content + [49407], String(reflecting: text))
        }
    }

    func testEmptyPrompt() throws {
        let (sd1, sd2) = try tokenizers()
        XCTAssertEqual(sd1.encode(""), [49406, 49407])
        XCTAssertEqual(sd1.encode(" \t\n "), [49406, 49407])
        XCTAssertEqual(sd1.encodePadded(""), [49406, 49407] + Array(repeating: 49407, count: 75))
        XCTAssertEqual(sd2.encodePadded(""), [49406, 49407] + Array(repeating: 0, count: 75))
    }

    func testTruncationKeepsStartFirstTokensAndEnd() throws {
        let (sd1, sd2) = try tokenizers()
        let text = (1...60).map { "stone\($0 % 10) moss" }.joined(separator: ", ")
        let full = sd1.encode(text)
        XCTAssertGreaterThan(full.count, 77)
        let want = [49406] + full[1...75] + [49407]
        XCTAssertEqual(sd1.encodePadded(text), want)
        XCTAssertEqual(sd2.encodePadded(text), want, "no padding when truncated")
        // An explicit shorter length truncates the same way.
        XCTAssertEqual(sd1.encodePadded(text, length: 10), [49406] + full[1...8] + [49407])
        // A sequence of exactly 77 ids is left alone.
        let exact = (1...200).lazy.map { String(repeating: "a ", count: $0) }.first { sd1.encode($0).count == 77 }!
        XCTAssertEqual(sd1.encodePadded(exact), sd1.encode(exact))
    }

    func testCustomLengthPads() throws {
        let (sd1, _) = try tokenizers()
        XCTAssertEqual(sd1.encodePadded("a cat", length: 6), [49406, 320, 2368, 49407, 49407, 49407])
        XCTAssertEqual(sd1.encodePadded("a cat", length: 4), [49406, 320, 2368, 49407])
        XCTAssertEqual(sd1.encodePadded("a cat", length: 3), [49406, 320, 49407])
    }

    func testExplicitFilesWithoutConfigUseSD1Defaults() throws {
        let tokenizer = try CLIPTokenizer(vocabURL: Self.vocabURL, mergesURL: Self.mergesURL, configURL: nil)
        XCTAssertEqual(tokenizer.modelMaxLength, 77)
        XCTAssertEqual(tokenizer.padTokenID, 49407)
        XCTAssertEqual(tokenizer.encode("a photo of a cat"), [49406, 320, 1125, 539, 320, 2368, 49407])
    }

    func testHeapAndScanningMergesAgree() throws {
        let model = try BytePairEncoder(vocabURL: Self.vocabURL, mergesURL: Self.mergesURL, unknownToken: nil)
        let words = [
            "supercalifragilisticexpialidocious", String(repeating: "ab", count: 300), "aaaaaaaaaaaaaaaaaaaaa",
            "photorealistic", "!!!!!!!!!!!!!!!!!!!!!!!!!", "苔藓的石头纹理", "résumé", "🔥🔥🔥", "x",
            "antidisestablishmentarianism", "mississippi", "loooooooooooooooooooong",
        ]
        for word in words {
            var scanned: [Int32] = [], heaped: [Int32] = []
            model.encode(word: Array(word.utf8), into: &scanned, scanLimit: .max)
            model.encode(word: Array(word.utf8), into: &heaped, scanLimit: 0)
            XCTAssertEqual(scanned, heaped, word)
        }
        let (sd1, _) = try tokenizers()
        let long = String(repeating: "ab", count: 500)
        XCTAssertEqual(sd1.decode(sd1.encode(long)), long)
    }

    func testDecode() throws {
        let (sd1, sd2) = try tokenizers()
        XCTAssertEqual(sd1.decode(sd1.encode("A Photo of a cat!")), "a photo of a cat !", "as transformers: every word ends in a space")
        XCTAssertEqual(sd1.decode(sd1.encodePadded("café 🔥 x2")), "café 🔥 x 2")
        XCTAssertEqual(
            sd1.decode(sd1.encode("a cat"), skipSpecialTokens: false),
            "<|startoftext|>a cat <|endoftext|>"
        )
        XCTAssertEqual(sd2.decode(sd2.encodePadded("a cat")), "a cat")
    }

    // MARK: - Errors

    func testMissingVocabularyNamesTheFile() throws {
        let folder = try temporaryFolder()
        for name in ["merges.txt", "tokenizer_config.json"] {
            try FileManager.default.copyItem(
                at: Self.clipFolder.appendingPathComponent(name), to: folder.appendingPathComponent(name))
        }
        XCTAssertThrowsError(try CLIPTokenizer(folder: folder)) { error in
            guard let error = error as? TokenizerError, case .missingFile(let path) = error else {
                return XCTFail("expected TokenizerError.missingFile, got \(error)")
            }
            XCTAssertTrue(path.hasSuffix("vocab.json"), path)
            XCTAssertTrue(error.description.contains("vocab.json"), error.description)
        }
    }

    func testMissingConfigInFolderNamesTheFile() throws {
        let folder = try temporaryFolder()
        XCTAssertThrowsError(try CLIPTokenizer(folder: folder)) { error in
            XCTAssertTrue("\(error)".contains("tokenizer_config.json"), "\(error)")
        }
    }

    func testMalformedMergesLineNamesTheFileAndLine() throws {
        let folder = try temporaryFolder()
        let merges = folder.appendingPathComponent("merges.txt")
        try "#version: 0.2\ni n\nthis line is bad\n".write(to: merges, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try CLIPTokenizer(vocabURL: Self.vocabURL, mergesURL: merges, configURL: nil)) { error in
            guard let error = error as? TokenizerError, case .invalidMergesLine(let path, let line, _, _) = error else {
                return XCTFail("expected TokenizerError.invalidMergesLine, got \(error)")
            }
            XCTAssertEqual(path, merges.path)
            XCTAssertEqual(line, 3)
            XCTAssertTrue(error.description.contains("merges.txt"), error.description)
            XCTAssertTrue(error.description.contains("this line is bad"), error.description)
        }

        try "i n\nqqqq zzzz\n".write(to: merges, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try CLIPTokenizer(vocabURL: Self.vocabURL, mergesURL: merges, configURL: nil)) { error in
            guard let error = error as? TokenizerError, case .invalidMergesLine(_, let line, _, _) = error else {
                return XCTFail("expected TokenizerError.invalidMergesLine, got \(error)")
            }
            XCTAssertEqual(line, 2, "a symbol missing from the vocabulary is a bad line too")
        }
    }

    func testMissingSpecialTokenNamesTheVocabulary() throws {
        let folder = try temporaryFolder()
        let config = folder.appendingPathComponent("tokenizer_config.json")
        try #"{"pad_token": {"content": "<pad>", "normalized": false}, "some_future_key": [1, 2]}"#
            .write(to: config, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try CLIPTokenizer(vocabURL: Self.vocabURL, mergesURL: Self.mergesURL, configURL: config)) { error in
            guard let error = error as? TokenizerError, case .missingSpecialToken(let path, let name, let token) = error else {
                return XCTFail("expected TokenizerError.missingSpecialToken, got \(error)")
            }
            XCTAssertEqual(path, Self.vocabURL.path)
            XCTAssertEqual(name, "pad_token")
            XCTAssertEqual(token, "<pad>")
        }
    }

    func testBadConfigJSONNamesTheFile() throws {
        let folder = try temporaryFolder()
        let config = folder.appendingPathComponent("tokenizer_config.json")
        try "{ not json".write(to: config, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try CLIPTokenizer(vocabURL: Self.vocabURL, mergesURL: Self.mergesURL, configURL: config)) { error in
            guard let error = error as? TokenizerError, case .invalidJSON(let path, _) = error else {
                return XCTFail("expected TokenizerError.invalidJSON, got \(error)")
            }
            XCTAssertEqual(path, config.path)
        }
    }

    func testConfigOptionsAreRead() throws {
        let folder = try temporaryFolder()
        let config = folder.appendingPathComponent("tokenizer_config.json")
        try #"{"model_max_length": 16, "pad_token": {"__type": "AddedToken", "content": "!", "normalized": true}, "unk_token": "<|endoftext|>"}"#
            .write(to: config, atomically: true, encoding: .utf8)
        let tokenizer = try CLIPTokenizer(vocabURL: Self.vocabURL, mergesURL: Self.mergesURL, configURL: config)
        XCTAssertEqual(tokenizer.modelMaxLength, 16)
        XCTAssertEqual(tokenizer.padTokenID, 0)
        XCTAssertEqual(tokenizer.encodePadded("a cat").count, 16)
    }
}
