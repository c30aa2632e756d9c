import Foundation

/// The few NumPy routines diffusers builds schedules with, reproduced to the last bit in
/// float64 so that timesteps (which are rounded) and sigmas come out identical.
enum NumPyMath {
    /// `np.arange(start, stop, step)` for floats: `ceil((stop - start) / step)` values.
    /// Like NumPy's fill, the first two are `start` and `start + step`, and the rest
    /// `start + i * delta` with `delta` re-derived from those two.
    static func arange(start: Double, stop: Double, step: Double) -> [Double] {
        let length = Int(((stop - start) / step).rounded(.up))
        guard length > 0 else { return [] }
        let second = start + step
        let delta = second - start
        return (0..<length).map { i in
            switch i {
            case 0: return start
            case 1: return second
            default: return start + Double(i) * delta
            }
        }
    }

    /// `np.linspace(start, stop, count, endpoint=endpoint)` in float64.
    static func linspace(start: Double, stop: Double, count: Int, endpoint: Bool = true) -> [Double] {
        let divisions = endpoint ? count - 1 : count
        let span = stop - start
        var values: [Double]
        if divisions > 0 {
            let step = span / Double(divisions)
            values = (0..<count).map { Double($0) * step + start }
        } else {
            values = (0..<count).map { Double($0) * span + start }
        }
        if endpoint && count > 1 { values[count - 1] = stop }
        return values
    }

    /// `np.round`: halves go to the even neighbour.
    @inline(__always)
    static func round(_ x: Double) -> Double { x.rounded(.toNearestOrEven) }

    /// `np.interp(x, arange(len(table)), table)` for one point.
    static func interp(_ x: Double, table: [Float]) -> Double {
        let last = table.count - 1
        if x <= 0 { return Double(table[0]) }
        if x >= Double(last) { return Double(table[last]) }
        let j = Int(x.rounded(.down))
        let xj = Double(j)
        if xj == x { return Double(table[j]) }
        let slope = (Double(table[j + 1]) - Double(table[j])) / (Double(j + 1) - xj)
        return slope * (x - xj) + Double(table[j])
    }
}
