/// `gfp_t`: the allocation flags, with the bit values of `include/linux/gfp_types.h` (x86_64,
/// Linux 6.18, without the config-dependent bits above `__GFP_ZEROTAGS`).
public struct GFPFlags: OptionSet, Hashable, Sendable, Codable {
    public var rawValue: UInt32
    @inlinable public init(rawValue: UInt32) { self.rawValue = rawValue }

    // Zone modifiers (`GFP_ZONEMASK`).
    /// `__GFP_DMA`
    public static let dma = GFPFlags(rawValue: 0x1)
    /// `__GFP_HIGHMEM`
    public static let highmem = GFPFlags(rawValue: 0x2)
    /// `__GFP_DMA32`
    public static let dma32 = GFPFlags(rawValue: 0x4)
    /// `__GFP_MOVABLE` (also a mobility hint)
    public static let movable = GFPFlags(rawValue: 0x8)
    /// `__GFP_RECLAIMABLE`
    public static let reclaimable = GFPFlags(rawValue: 0x10)
    /// `__GFP_HIGH`
    public static let high = GFPFlags(rawValue: 0x20)
    /// `__GFP_IO`
    public static let io = GFPFlags(rawValue: 0x40)
    /// `__GFP_FS`
    public static let fs = GFPFlags(rawValue: 0x80)
    /// `__GFP_ZERO`
    public static let zero = GFPFlags(rawValue: 0x100)
    /// `__GFP_DIRECT_RECLAIM`
    public static let directReclaim = GFPFlags(rawValue: 0x400)
    /// `__GFP_KSWAPD_RECLAIM`
    public static let kswapdReclaim = GFPFlags(rawValue: 0x800)
    /// `__GFP_WRITE`
    public static let write = GFPFlags(rawValue: 0x1000)
    /// `__GFP_NOWARN`
    public static let noWarn = GFPFlags(rawValue: 0x2000)
    /// `__GFP_RETRY_MAYFAIL`
    public static let retryMayFail = GFPFlags(rawValue: 0x4000)
    /// `__GFP_NOFAIL`
    public static let noFail = GFPFlags(rawValue: 0x8000)
    /// `__GFP_NORETRY`
    public static let noRetry = GFPFlags(rawValue: 0x10000)
    /// `__GFP_MEMALLOC`
    public static let memalloc = GFPFlags(rawValue: 0x20000)
    /// `__GFP_COMP`
    public static let comp = GFPFlags(rawValue: 0x40000)
    /// `__GFP_NOMEMALLOC`
    public static let noMemalloc = GFPFlags(rawValue: 0x80000)
    /// `__GFP_HARDWALL`
    public static let hardwall = GFPFlags(rawValue: 0x100000)
    /// `__GFP_THISNODE`
    public static let thisNode = GFPFlags(rawValue: 0x200000)
    /// `__GFP_ACCOUNT`
    public static let account = GFPFlags(rawValue: 0x400000)
    /// `__GFP_ZEROTAGS`
    public static let zeroTags = GFPFlags(rawValue: 0x800000)

    /// `__GFP_RECLAIM`
    public static let reclaim: GFPFlags = [.directReclaim, .kswapdReclaim]
    /// `GFP_ZONEMASK`
    public static let zoneMask: GFPFlags = [.dma, .highmem, .dma32, .movable]
    /// `GFP_MOVABLE_MASK`
    public static let movableMask: GFPFlags = [.reclaimable, .movable]

    /// `GFP_ATOMIC`
    public static let atomic: GFPFlags = [.high, .kswapdReclaim]
    /// `GFP_KERNEL`
    public static let kernel: GFPFlags = [.reclaim, .io, .fs]
    /// `GFP_KERNEL_ACCOUNT`
    public static let kernelAccount: GFPFlags = [.kernel, .account]
    /// `GFP_NOWAIT`
    public static let noWait: GFPFlags = [.kswapdReclaim, .noWarn]
    /// `GFP_NOIO`
    public static let noIO: GFPFlags = [.reclaim]
    /// `GFP_NOFS`
    public static let noFS: GFPFlags = [.reclaim, .io]
    /// `GFP_USER`
    public static let user: GFPFlags = [.reclaim, .io, .fs, .hardwall]
    /// `GFP_DMA`
    public static let gfpDMA: GFPFlags = [.dma]
    /// `GFP_DMA32`
    public static let gfpDMA32: GFPFlags = [.dma32]
    /// `GFP_HIGHUSER`
    public static let highUser: GFPFlags = [.user, .highmem]
    /// `GFP_HIGHUSER_MOVABLE` (`__GFP_SKIP_KASAN` is config-dependent and left out)
    public static let highUserMovable: GFPFlags = [.highUser, .movable]
    /// `GFP_TRANSHUGE_LIGHT`
    public static let transhugeLight = GFPFlags([.highUserMovable, .comp, .noMemalloc, .noWarn]).subtracting(.reclaim)
    /// `GFP_TRANSHUGE`
    public static let transhuge: GFPFlags = [.transhugeLight, .directReclaim]
}
