/// A dense, contiguous, row-major float32 tensor (NCHW for images).
///
/// `Tensor` is a thin value wrapper around shared `TensorStorage`: copying a `Tensor`
/// or reshaping it shares the buffer. Kernels never mutate their inputs; they return
/// fresh tensors whose storage comes from the shared `BufferPool`, so a forward pass
/// reuses the buffers of the previous one instead of churning the heap.
public struct Tensor: @unchecked Sendable {
    /// Dimensions, outermost first.
    public let shape: [Int]
    /// The buffer holding at least `count` floats.
    public let storage: TensorStorage

    /// Number of elements (product of `shape`).
    @inlinable public var count: Int { shape.reduce(1, *) }
    /// Number of dimensions.
    @inlinable public var rank: Int { shape.count }
    /// Base pointer of the elements. Valid while this tensor (or any sharing its storage) lives.
    @inlinable public var data: UnsafeMutablePointer<Float> { storage.pointer }

    /// An uninitialised tensor whose buffer comes from the shared pool.
    public init(uninitialized shape: [Int]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in \(shape)")
        self.shape = shape
        self.storage = TensorStorage(count: shape.reduce(1, *), pool: .shared)
    }

    /// A tensor filled with zeros.
    public init(zeros shape: [Int]) {
        self.init(uninitialized: shape)
        data.initialize(repeating: 0, count: count)
    }

    /// A tensor filled with `value`.
    public init(repeating value: Float, shape: [Int]) {
        self.init(uninitialized: shape)
        data.initialize(repeating: value, count: count)
    }

    /// A tensor holding a copy of `values`, which must have `shape`'s element count.
    public init(shape: [Int], values: [Float]) {
        precondition(shape.reduce(1, *) == values.count,
                     "shape \(shape) needs \(shape.reduce(1, *)) values, got \(values.count)")
        self.init(uninitialized: shape)
        values.withUnsafeBufferPointer { data.update(from: $0.baseAddress!, count: values.count) }
    }

    /// Wraps existing storage. Used by reshape and by loaders.
    public init(shape: [Int], storage: TensorStorage) {
        precondition(shape.reduce(1, *) <= storage.count, "shape \(shape) exceeds storage of \(storage.count)")
        self.shape = shape
        self.storage = storage
    }

    /// The same elements viewed with another shape of equal element count. Shares storage.
    /// One dimension may be `-1` and is inferred.
    public func reshaped(_ newShape: [Int]) -> Tensor {
        var dims = newShape
        if let inferred = dims.firstIndex(of: -1) {
            let known = dims.enumerated().filter { $0.offset != inferred }.reduce(1) { $0 * $1.element }
            precondition(known > 0 && count % known == 0, "cannot infer -1 in \(newShape) from \(shape)")
            dims[inferred] = count / known
        }
        precondition(dims.reduce(1, *) == count, "cannot reshape \(shape) to \(newShape)")
        return Tensor(shape: dims, storage: storage)
    }

    /// A deep copy with its own buffer.
    public func copy() -> Tensor {
        let out = Tensor(uninitialized: shape)
        out.data.update(from: data, count: count)
        return out
    }

    /// A copy of the slices `range` along the first dimension, on the heap like loaded
    /// weights (so that `DNNLWeightCache` may release its plain pages), not in the pool.
    public func heapCopy(rows range: Range<Int>) -> Tensor {
        let width = shape.dropFirst().reduce(1, *)
        let out = Tensor(shape: [range.count] + shape.dropFirst(), storage: TensorStorage(count: range.count * width, pool: nil))
        out.data.update(from: data + range.lowerBound * width, count: range.count * width)
        return out
    }

    /// The elements as a Swift array (for tests and small tensors).
    public var scalars: [Float] { Array(UnsafeBufferPointer(start: data, count: count)) }

    /// Element at a multi-dimensional index (slow; for tests and debugging).
    public subscript(_ index: Int...) -> Float {
        get { data[flatIndex(index)] }
        nonmutating set { data[flatIndex(index)] = newValue }
    }

    private func flatIndex(_ index: [Int]) -> Int {
        precondition(index.count == shape.count, "index \(index) does not match shape \(shape)")
        var flat = 0
        for (i, d) in zip(index, shape) {
            precondition(i >= 0 && i < d, "index \(index) out of bounds for \(shape)")
            flat = flat * d + i
        }
        return flat
    }
}

extension Tensor: CustomStringConvertible {
    public var description: String { "Tensor\(shape)" }
}

/// Owns one float buffer. Pool-backed buffers return to their pool on release.
public final class TensorStorage: @unchecked Sendable {
    /// Base pointer of the buffer.
    public let pointer: UnsafeMutablePointer<Float>
    /// Number of floats the buffer holds.
    public let count: Int
    private let pool: BufferPool?
    /// Whether the buffer came from the heap (weights) rather than a pool (activations).
    var isHeap: Bool { pool == nil }
    /// Set while the buffer's pages are handed back to the kernel because a backend holds
    /// the values in another layout (`DNNLWeightCache`); the buffer then reads as zeros.
    /// Changed only under that cache's lock.
    var pagesReleased = false

    /// Allocates `count` floats from `pool`, or from the heap when `pool` is nil
    /// (long-lived data such as weights should not occupy pool buckets).
    public init(count: Int, pool: BufferPool?) {
        self.count = count
        self.pool = pool
        if let pool {
            self.pointer = pool.acquire(count)
        } else {
            self.pointer = .allocate(capacity: max(count, 1))
        }
    }

    /// Hands the buffer's whole pages back to the kernel (`MADV_DONTNEED`): the memory no
    /// longer counts as resident, and reads zeros until it is written again.
    func releasePages() {
        MemoryPages.release(pointer, byteCount: count * MemoryLayout<Float>.stride)
        pagesReleased = true
    }

    deinit {
        if let pool { pool.release(pointer, count: count) } else { pointer.deallocate() }
    }
}
