import TesseraTensor

/// diffusers' `EncoderTiny`: maps the image from [-1, 1] to [0, 1], then per stage a conv
/// (3x3; stride 2 without bias after the first stage) and that stage's
/// `AutoencoderTinyBlock`s, then a 3x3 conv to the latent channels.
struct EncoderTiny: Sendable {
    enum Layer: Sendable {
        case conv(Conv2d)
        case block(AutoencoderTinyBlock)
    }

    let layers: [Layer]

    /// Loads `layers.<i>` under `w` (the model's `encoder`), numbered as diffusers' `nn.Sequential` numbers them.
    init(_ w: Weights, config: AutoencoderTinyConfig, activation: TinyActivation) throws {
        var layers: [Layer] = []
        func next() -> Weights { w.scoped("layers.\(layers.count)") }
        for (stage, blocks) in config.numEncoderBlocks.enumerated() {
            let width = config.encoderBlockOutChannels[stage]
            if stage == 0 {
                layers.append(.conv(try Conv2d(next(), inChannels: config.inChannels, outChannels: width,
                                               kernel: 3, padding: 1)))
            } else {
                layers.append(.conv(try Conv2d(next(), inChannels: width, outChannels: width,
                                               kernel: 3, stride: 2, padding: 1, bias: false)))
            }
            for _ in 0..<blocks {
                layers.append(.block(try AutoencoderTinyBlock(next(), inChannels: width, outChannels: width,
                                                              activation: activation)))
            }
        }
        layers.append(.conv(try Conv2d(next(), inChannels: config.encoderBlockOutChannels.last!,
                                       outChannels: config.latentChannels, kernel: 3, padding: 1)))
        self.layers = layers
    }

    /// Image [N, C, H, W] in [-1, 1] to raw latents.
    func callAsFunction(_ image: Tensor, tiling: Tiling) -> Tensor {
        var h = Ops.affine(image, scale: 0.5, shift: 0.5) // x.add(1).div(2), bit for bit
        for layer in layers {
            switch layer {
            case .conv(let conv): h = conv(h, tiling: tiling)
            case .block(let block): h = block(h, tiling: tiling)
            }
        }
        return h
    }
}
