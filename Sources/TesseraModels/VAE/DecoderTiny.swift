import TesseraTensor

/// diffusers' `DecoderTiny`: soft-clamps the latents with `tanh(x / 3) * 3`, then conv-act,
/// then per stage its `AutoencoderTinyBlock`s followed by nearest upsampling and a bias-free
/// conv (the last stage: no upsampling, a biased conv to the image channels), and finally
/// maps [0, 1] to [-1, 1]. The last 2x of each upsampling and the conv after it run as one
/// `UpsampledConv2d`, which never builds the upsampled image.
struct DecoderTiny: Sendable {
    enum Layer: Sendable {
        case conv(Conv2d)
        /// A conv followed by the activation (diffusers' layers i and i + 1).
        case activatedConv(Conv2d)
        case block(AutoencoderTinyBlock)
        /// Nearest upsampling by the configured factor, then a conv: the first doublings
        /// plain, the last one folded into the conv.
        case upsampledConv(UpsampledConv2d)
    }

    let layers: [Layer]
    let activation: TinyActivation
    /// Number of nearest-2x passes per upsampling layer (the factor is a power of two).
    let doublings: Int

    /// Loads `layers.<i>` under `w` (the model's `decoder`), numbered as diffusers' `nn.Sequential` numbers them
    /// (activations and upsamplers take indices too).
    init(_ w: Weights, config: AutoencoderTinyConfig, activation: TinyActivation) throws {
        var layers: [Layer] = []
        // diffusers' index of the next layer; the first activation (layers.1) is fused into layers.0.
        var index = 0
        func next(_ count: Int = 1) -> Weights { defer { index += count }; return w.scoped("layers.\(index)") }
        let widths = config.decoderBlockOutChannels
        let doublings = config.upsamplingScalingFactor.trailingZeroBitCount
        layers.append(.activatedConv(try Conv2d(next(2), inChannels: config.latentChannels, outChannels: widths[0],
                                                kernel: 3, padding: 1)))
        let stages = config.numDecoderBlocks.count
        for (stage, blocks) in config.numDecoderBlocks.enumerated() {
            let width = widths[stage]
            let last = stage == stages - 1
            for _ in 0..<blocks {
                layers.append(.block(try AutoencoderTinyBlock(next(), inChannels: width, outChannels: width,
                                                              activation: activation)))
            }
            if !last { index += 1 }  // the upsampler
            let conv = try Conv2d(next(), inChannels: width, outChannels: last ? config.outChannels : width,
                                  kernel: 3, padding: 1, bias: last)
            // A factor of 1 upsamples nothing: the conv stays plain.
            layers.append(last || doublings == 0 ? .conv(conv) : .upsampledConv(UpsampledConv2d(conv)))
        }
        self.layers = layers
        self.activation = activation
        self.doublings = doublings
    }

    /// Raw latents [N, latentChannels, h, w] to an image in (nominally) [-1, 1].
    /// Runs channels-last in between when the backend prefers it (every layer is a conv,
    /// an elementwise op or an upsampling, so only the ends are transposed).
    func callAsFunction(_ latents: Tensor, tiling: Tiling) -> Tensor {
        let last = Compute.backend.prefersChannelsLast
        var h = Ops.affine(Ops.activate(Ops.affine(latents, scale: 1 / 3), .tanh), scale: 3)
        if last { h = Ops.toChannelsLast(h) }
        for layer in layers {
            switch layer {
            case .conv(let conv): h = conv(h, tiling: tiling, channelsLast: last)
            case .activatedConv(let conv): h = activation.conv(conv, h, tiling: tiling, channelsLast: last)
            case .block(let block): h = block(h, tiling: tiling, channelsLast: last)
            case .upsampledConv(let conv):
                for _ in 1..<doublings { h = last ? Ops.upsampleNearest2xChannelsLast(h) : Ops.upsampleNearest2x(h) }
                h = conv(h, tiling: tiling, channelsLast: last)
            }
        }
        if last { h = Ops.toChannelsFirst(h) }
        return Ops.affine(h, scale: 2, shift: -1)
    }
}
