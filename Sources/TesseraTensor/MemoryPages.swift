import Foundation

/// Hands memory pages back to the kernel (`MADV_DONTNEED`).
public enum MemoryPages {
    /// Drops the pages lying wholly inside `byteCount` bytes at `start` from this process's
    /// resident memory; partial pages at either end are left alone. A private file mapping
    /// faults the file's bytes back in on the next read; anonymous memory reads as zeros.
    public static func release(_ start: UnsafeRawPointer, byteCount: Int) {
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let from = Int(bitPattern: start), to = from + byteCount
        let first = (from + page - 1) / page * page, last = to / page * page
        guard last > first else { return }
        _ = madvise(UnsafeMutableRawPointer(bitPattern: first), last - first, Int32(MADV_DONTNEED))
    }
}
