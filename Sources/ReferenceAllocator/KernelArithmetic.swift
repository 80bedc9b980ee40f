/// The kernel's integer helpers, with their exact semantics (truncating division throughout).
enum KernelArithmetic {
    /// `clamp(value, low, high)` of `include/linux/minmax.h`: `value >= high ? high :
    /// (value <= low ? low : value)`. When `low > high` this yields `high` for values at or above
    /// `high` and `low` otherwise, which is what the kernel computes.
    static func clamp(_ value: Int, _ low: Int, _ high: Int) -> Int {
        if value >= high { return high }
        if value <= low { return low }
        return value
    }

    /// `mult_frac(x, numerator, denominator)`: `x * numerator / denominator` without
    /// overflowing the intermediate product.
    static func multFrac(_ x: Int, _ numerator: Int, _ denominator: Int) -> Int {
        (x / denominator) * numerator + ((x % denominator) * numerator) / denominator
    }

    /// `int_sqrt`: the integer square root, rounded down.
    static func intSqrt(_ x: Int) -> Int {
        precondition(x >= 0, "int_sqrt of a negative number")
        var root = 0
        var bit = 1 << 62
        var remainder = x
        while bit > remainder { bit >>= 2 }
        while bit != 0 {
            if remainder >= root + bit {
                remainder -= root + bit
                root = (root >> 1) + bit
            } else {
                root >>= 1
            }
            bit >>= 2
        }
        return root
    }

    /// `rounddown_pow_of_two(x)` for `x >= 1`.
    static func roundDownPowerOfTwo(_ x: Int) -> Int {
        precondition(x >= 1, "rounddown_pow_of_two of \(x)")
        return 1 << (Int.bitWidth - 1 - x.leadingZeroBitCount)
    }
}
