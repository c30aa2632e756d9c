// swift-tools-version:6.0
import Foundation
import PackageDescription

/// Tessera's kernels are SIMD8<Float> loops. On x86-64 they are compiled for Haswell's
/// instruction set (AVX2, FMA, F16C; every x86-64 server CPU since 2013 and every Zen),
/// which runs them on 256-bit registers instead of pairs of SSE ones: 4% off the SD-size
/// bf16 UNet and half the time of the RGBA8 conversion (docs/BENCHMARKS.md).
/// `TESSERA_TARGET_CPU=x86-64 swift build` builds for older CPUs; `=native` for this one.
let targetCPU: [SwiftSetting] = {
    #if arch(x86_64)
    let cpu = ProcessInfo.processInfo.environment["TESSERA_TARGET_CPU"] ?? "haswell"
    return [.unsafeFlags(["-target-cpu", cpu])]
    #else
    return []
    #endif
}()

/// Tessera: few-step diffusion texture daemon.
///
/// Layers (imports point downward only):
///   tesserad / tessera  ->  TesseraDiffusion  ->  TesseraModels  ->  TesseraTensor  ->  COpenBLAS, CDNNL, CTesseraKernels
/// Later layers (Diffusion, Wire, Server) slot in between as their issues land.
let package = Package(
    name: "Tessera",
    products: [
        .executable(name: "tesserad", targets: ["tesserad"]),
        .executable(name: "tessera", targets: ["tessera"]),
        .library(name: "TesseraTensor", targets: ["TesseraTensor"]),
        .library(name: "TesseraModels", targets: ["TesseraModels"]),
        .library(name: "TesseraDiffusion", targets: ["TesseraDiffusion"]),
        .library(name: "TesseraImage", targets: ["TesseraImage"]),
        .library(name: "TesseraWire", targets: ["TesseraWire"]),
        .library(name: "TesseraZMQ", targets: ["TesseraZMQ"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.6.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
    ],
    targets: [
        // System libraries. Each names its pkg-config module and the Debian package providing it.
        .systemLibrary(name: "CZeroMQ", pkgConfig: "libzmq", providers: [.apt(["libzmq3-dev"])]),
        .systemLibrary(name: "COpenBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CPNG", pkgConfig: "libpng", providers: [.apt(["libpng-dev"])]),
        // Debian's libdnnl-dev ships no pkg-config file; the module map links dnnl and gomp.
        .systemLibrary(name: "CDNNL", providers: [.apt(["libdnnl-dev"])]),

        // AVX-512 kernels that Swift cannot express (bf16 conversion instructions), each
        // compiled for its instruction set per function and called only where the CPU has it.
        // Optimised in debug builds too, like TesseraTensor.
        .target(name: "CTesseraKernels", cSettings: [.unsafeFlags(["-O2"])]),

        // Numerical core: tensors and kernels over OpenBLAS (reference) and oneDNN (convolutions).
        .target(
            name: "TesseraTensor",
            dependencies: ["COpenBLAS", "CDNNL", "CTesseraKernels"],
            // Kernels are optimised in debug builds too: unoptimised SIMD code is orders of
            // magnitude slower and would dominate the test suite's run time.
            swiftSettings: targetCPU + [.unsafeFlags(["-Ounchecked"], .when(configuration: .release)),
                                        .unsafeFlags(["-O"], .when(configuration: .debug))]
        ),
        // Model files and networks: safetensors, configs, tokenizer, CLIP text encoder.
        .target(name: "TesseraModels", dependencies: ["TesseraTensor"], swiftSettings: targetCPU),
        // Pipelines, schedulers, torch-compatible random source.
        .target(name: "TesseraDiffusion", dependencies: ["TesseraModels"], swiftSettings: targetCPU),
        // Image encoding: PNG through libpng's simplified API, RGBA8 mip chains.
        .target(name: "TesseraImage", dependencies: ["CPNG"], swiftSettings: targetCPU),
        // Protocol messages and codec: pure, no I/O.
        .target(name: "TesseraWire"),
        // Swift wrapper over libzmq: sockets, multipart messages, poll.
        .target(name: "TesseraZMQ", dependencies: ["CZeroMQ"]),
        // The daemon core: transport thread, EDF scheduler, caches, result encoding.
        .target(name: "TesseraServer", dependencies: ["TesseraDiffusion", "TesseraImage", "TesseraWire", "TesseraZMQ"]),

        .executableTarget(
            name: "tessera",
            dependencies: ["TesseraDiffusion", "TesseraImage", "TesseraWire", "TesseraZMQ", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        .executableTarget(
            name: "tesserad",
            dependencies: ["TesseraServer", .product(name: "ArgumentParser", package: "swift-argument-parser"),
                           .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                           .product(name: "Logging", package: "swift-log")]
        ),

        .testTarget(name: "TesseraTensorTests", dependencies: ["TesseraTensor"]),
        .testTarget(name: "TesseraModelsTests", dependencies: ["TesseraModels"]),
        .testTarget(name: "TesseraDiffusionTests", dependencies: ["TesseraDiffusion"]),
        .testTarget(name: "TesseraImageTests", dependencies: ["TesseraImage"]),
        .testTarget(name: "TesseraWireTests", dependencies: ["TesseraWire"]),
        .testTarget(name: "TesseraZMQTests", dependencies: ["TesseraZMQ"]),
        .testTarget(name: "TesseraServerTests", dependencies: ["TesseraServer"]),
    ]
)
