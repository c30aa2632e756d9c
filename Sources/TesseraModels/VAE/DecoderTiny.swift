import TesseraTensor

/// diffusers' `DecoderTiny`: soft-clamps the latents with `tanh(x / 3) * 3`, then conv-act,
/// then per stage its `AutoencoderTinyBlock`s followed by nearest upsampling and a bias-free
/// conv (the last stage: no upsampling, a biased conv to the image channels), and finally
/// maps [0, 1] to [-1, 1].
struct DecoderTiny: Sendable {
    enum Layer: Sendable {
        case conv(Conv2d)
        case activation
        case block(AutoencoderTinyBlock)
        case upsample
    }

    let layers: [Layer]
    let activation: TinyActivation
    /// Number of nearest-2x passes per upsampling layer (the factor is a power of two).
    let doublings: Int

    /// Loads `layers.<i>` under `w` (the model's `decoder`), numbered as diffusers' `nn.Sequential` numbers them
    /// (activations and upsamplers take indices too).
    init(_ w: Weights, config: AutoencoderTinyConfig, activation: TinyActivation) throws {
        var layers: [Layer] = []
        func next() -> Weights { w.scoped("layers.\(layers.count)") }
        let widths = config.decoderBlockOutChannels
        layers.append(.conv(try Conv2d(next(), inChannels: config.latentChannels, outChannels: widths[0],
                                       kernel: 3, padding: 1)))
        layers.append(.activation)
        let stages = config.numDecoderBlocks.count
        for (stage, blocks) in config.numDecoderBlocks.enumerated() {
            let width = widths[stage]
            let last = stage == stages - 1
            for _ in 0..<blocks {
                layers.append(.block(try AutoencoderTinyBlock(next(), inChannels: width, outChannels: width,
                                                              activation: activation)))
            }
            if !last { layers.append(.upsample) }
            layers.append(.conv(try Conv2d(next(), inChannels: width, outChannels: last ? config.outChannels : width,
                                           kernel: 3, padding: 1, bias: last)))
        }
        self.layers = layers
        self.activation = activation
        self.doublings = config.upsamplingScalingFactor.trailingZeroBitCount
    }

    /// Raw latents [N, latentChannels, h, w] to an image in (nominally) [-1, 1].
    func callAsFunction(_ latents: Tensor, tiling: Tiling) -> Tensor {
        var h = Ops.affine(Ops.activate(Ops.affine(latents, scale: 1 / 3), .tanh), scale: 3)
        for layer in layers {
            switch layer {
            case .conv(let conv): h = conv(h, tiling: tiling)
            case .activation: h = activation(h)
            case .block(let block): h = block(h, tiling: tiling)
            case .upsample: for _ in 0..<doublings { h = Ops.upsampleNearest2x(h) }
            }
        }
        return Ops.affine(h, scale: 2, shift: -1)
    }
}
