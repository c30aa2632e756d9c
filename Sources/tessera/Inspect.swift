import ArgumentParser
import Foundation
import TesseraModels

/// `tessera inspect`: lists the tensors of a safetensors file or shard index.
struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List tensors in a .safetensors file or .safetensors.index.json.")

    @Argument(help: "Path to a .safetensors file or shard index.")
    var path: String

    func run() throws {
        let url = URL(fileURLWithPath: path)
        if url.lastPathComponent.hasSuffix(".index.json") {
            let archive = try SafeTensorsArchive(url: url)
            for name in archive.names { print(name) }
            print("\(archive.names.count) tensors")
            return
        }
        let file = try SafeTensorsFile(url: url)
        var params = 0
        for name in file.names {
            let e = file.entries[name]!
            params += e.shape.reduce(1, *)
            print("\(name)\t\(e.dtype.rawValue)\t\(e.shape)")
        }
        print("\(file.names.count) tensors, \(params) elements")
    }
}
