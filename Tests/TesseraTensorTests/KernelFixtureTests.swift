import Foundation
import XCTest
@testable import TesseraTensor

/// Every kernel against references computed by PyTorch in float64 (tools/fixtures/kernels.py).
final class KernelFixtureTests: XCTestCase {
    struct Case: Decodable {
        let `case`: String
        let op: String
        let params: [String: JSONValue]
        let inputs: [String]
    }

    enum JSONValue: Decodable {
        case number(Double), bool(Bool), string(String), array([JSONValue]), null
        init(from decoder: Decoder) throws {
            let c = try decoder.singleValueContainer()
            if c.decodeNil() { self = .null }
            else if let b = try? c.decode(Bool.self) { self = .bool(b) }
            else if let d = try? c.decode(Double.self) { self = .number(d) }
            else if let s = try? c.decode(String.self) { self = .string(s) }
            else { self = .array(try c.decode([JSONValue].self)) }
        }
        var double: Double? { if case .number(let d) = self { return d }; return nil }
        var int: Int? { double.map { Int($0) } }
        var bool: Bool? { if case .bool(let b) = self { return b }; return nil }
        var string: String? { if case .string(let s) = self { return s }; return nil }
        var pair: (Int, Int)? {
            if case .array(let a) = self, a.count == 2, let x = a[0].int, let y = a[1].int { return (x, y) }
            return nil
        }
    }

    static let knownOps: Set<String> = [
        "conv2d", "linear", "matmul", "group_norm", "layer_norm", "silu", "gelu", "gelu_tanh", "quick_gelu",
        "tanh", "sigmoid", "clamp", "softmax", "attention", "upsample_nearest2x", "avg_pool2x2",
        "concat_channels", "add", "mul", "add_broadcast_channel",
    ]

    func loadCases() throws -> [Case] {
        try JSONDecoder().decode([Case].self, from: Data(contentsOf: Fixtures.url("kernels/index.json")))
    }

    func run(_ c: Case) throws -> Tensor {
        let dir = Fixtures.url("kernels/\(c.case)")
        var t: [String: Tensor] = [:]
        for name in c.inputs { t[name] = try NpyFile.read(dir.appendingPathComponent("\(name).npy")) }
        let p = c.params
        switch c.op {
        case "conv2d":
            let o = Conv2dOptions(stride: p["stride"]!.pair!, padding: p["padding"]!.pair!,
                                  paddingModeY: PaddingMode(rawValue: p["pad_mode_y"]!.string!)!,
                                  paddingModeX: PaddingMode(rawValue: p["pad_mode_x"]!.string!)!)
            return Ops.conv2d(t["x"]!, weight: t["w"]!, bias: t["b"], options: o)
        case "linear": return Ops.linear(t["x"]!, weight: t["w"]!, bias: t["b"])
        case "matmul": return Ops.matmul(t["a"]!, t["y"]!)
        case "group_norm":
            return Ops.groupNorm(t["x"]!, groups: p["groups"]!.int!, weight: t["w"], bias: t["b"], eps: Float(p["eps"]!.double!))
        case "layer_norm": return Ops.layerNorm(t["x"]!, weight: t["w"], bias: t["b"], eps: Float(p["eps"]!.double!))
        case "silu", "gelu", "gelu_tanh", "quick_gelu", "tanh", "sigmoid":
            return Ops.activate(t["x"]!, Activation(rawValue: c.op == "gelu_tanh" ? "gelu_tanh" : c.op)!)
        case "clamp": return Ops.clamp(t["x"]!, min: Float(p["min"]!.double!), max: Float(p["max"]!.double!))
        case "softmax": return Ops.softmax(t["x"]!)
        case "attention":
            return Ops.attention(q: t["q"]!, k: t["k"]!, v: t["v"]!, heads: p["heads"]!.int!, causal: p["causal"]!.bool!)
        case "upsample_nearest2x": return Ops.upsampleNearest2x(t["x"]!)
        case "avg_pool2x2": return Ops.avgPool2x2(t["x"]!)
        case "concat_channels": return Ops.concatChannels([t["a"]!, t["y"]!])
        case "add": return Ops.add(t["a"]!, t["y"]!)
        case "mul": return Ops.mul(t["a"]!, t["y"]!)
        case "add_broadcast_channel": return Ops.addPerChannel(t["a"]!, t["y"]!)
        default: throw XCTSkip("unknown op \(c.op)")
        }
    }

    func testAllKernelFixtures() throws {
        let cases = try loadCases()
        XCTAssertGreaterThanOrEqual(cases.count, 35, "kernel fixture index looks truncated")
        XCTAssertEqual(Set(cases.map(\.op)), Self.knownOps, "fixture ops and tested ops differ")
        for c in cases {
            let expected = try NpyFile.read(Fixtures.url("kernels/\(c.case)/out.npy"))
            let got = try run(c)
            XCTAssertEqual(got.shape, expected.shape, "\(c.case): shape")
            guard got.shape == expected.shape else { continue }
            var worst: Float = 0
            var scale: Float = 1
            for i in 0..<got.count {
                worst = max(worst, abs(got.data[i] - expected.data[i]))
                scale = max(scale, abs(expected.data[i]))
            }
            XCTAssertLessThanOrEqual(worst, 2e-5 * scale, "\(c.case): max abs error \(worst) (scale \(scale))")
        }
    }
}
