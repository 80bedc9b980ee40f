/// `ALLOC_*`: the page allocator's internal flags (`mm/internal.h`, Linux 6.18).
///
/// The low two bits are not flags but the watermark index (`ALLOC_WMARK_MASK`); use
/// `watermark` to read it and the `wmark*` constants to build a value.
public struct AllocFlags: OptionSet, Hashable, Sendable, Codable {
    public var rawValue: UInt32
    @inlinable public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// `ALLOC_WMARK_MIN` (watermark index 0)
    public static let wmarkMin = AllocFlags([])
    /// `ALLOC_WMARK_LOW` (watermark index 1)
    public static let wmarkLow = AllocFlags(rawValue: 0x1)
    /// `ALLOC_WMARK_HIGH` (watermark index 2)
    public static let wmarkHigh = AllocFlags(rawValue: 0x2)
    /// `ALLOC_WMARK_MASK`
    public static let wmarkMask = AllocFlags(rawValue: 0x3)
    /// `ALLOC_NO_WATERMARKS`
    public static let noWatermarks = AllocFlags(rawValue: 0x04)
    /// `ALLOC_OOM`
    public static let oom = AllocFlags(rawValue: 0x08)
    /// `ALLOC_NON_BLOCK`
    public static let nonBlock = AllocFlags(rawValue: 0x10)
    /// `ALLOC_MIN_RESERVE`
    public static let minReserve = AllocFlags(rawValue: 0x20)
    /// `ALLOC_CPUSET`
    public static let cpuset = AllocFlags(rawValue: 0x40)
    /// `ALLOC_CMA`
    public static let cma = AllocFlags(rawValue: 0x80)
    /// `ALLOC_NOFRAGMENT`
    public static let noFragment = AllocFlags(rawValue: 0x100)
    /// `ALLOC_HIGHATOMIC`
    public static let highatomic = AllocFlags(rawValue: 0x200)
    /// `ALLOC_TRYLOCK`
    public static let trylock = AllocFlags(rawValue: 0x400)
    /// `ALLOC_KSWAPD` (same bit as `__GFP_KSWAPD_RECLAIM`)
    public static let kswapd = AllocFlags(rawValue: 0x800)
    /// `ALLOC_RESERVES`: any of these lowers or skips the watermark.
    public static let reserves: AllocFlags = [.nonBlock, .minReserve, .highatomic, .oom]

    /// The watermark this value selects (`alloc_flags & ALLOC_WMARK_MASK`).
    @inlinable public var watermark: Watermark { Watermark(rawValue: Int(rawValue & 0x3))! }
}

/// `enum zone_watermarks`: the index into `zone->_watermark[]`.
public enum Watermark: Int, CaseIterable, Sendable, Codable {
    case min = 0
    case low = 1
    case high = 2
    case promo = 3
}
