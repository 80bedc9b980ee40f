import BuddyVocabulary

// The flag values the hot paths test, as module-local literals. The vocabulary's `GFPFlags`,
// `AllocFlags` and `ZoneFlags` constants live in another module, where every read of a static
// goes through an accessor; these fold into the instructions. A unit test checks that each
// one equals its vocabulary counterpart.

/// `__GFP_*` bits (`include/linux/gfp_types.h`).
@usableFromInline
enum GFPBit {
    @usableFromInline static let zoneMask: UInt32 = 0xF
    /// `__GFP_DMA | __GFP_HIGHMEM | __GFP_DMA32`: at most one may be set.
    @usableFromInline static let zoneModifiers: UInt32 = 0x7
    @usableFromInline static let movableMask: UInt32 = 0x18
    @usableFromInline static let movableShift: UInt32 = 3
    @usableFromInline static let high: UInt32 = 0x20
    @usableFromInline static let directReclaim: UInt32 = 0x400
    @usableFromInline static let kswapdReclaim: UInt32 = 0x800
    @usableFromInline static let retryMayFail: UInt32 = 0x4000
    @usableFromInline static let noRetry: UInt32 = 0x10000
    @usableFromInline static let memalloc: UInt32 = 0x20000
    @usableFromInline static let comp: UInt32 = 0x40000
    @usableFromInline static let noMemalloc: UInt32 = 0x80000
    @usableFromInline static let thisNode: UInt32 = 0x200000
}

/// `ALLOC_*` values (`mm/internal.h`).
@usableFromInline
enum AllocBit {
    @usableFromInline static let wmarkMin: UInt32 = 0x0
    @usableFromInline static let wmarkLow: UInt32 = 0x1
    @usableFromInline static let wmarkHigh: UInt32 = 0x2
    @usableFromInline static let wmarkMask: UInt32 = 0x3
    @usableFromInline static let noWatermarks: UInt32 = 0x4
    @usableFromInline static let oom: UInt32 = 0x8
    @usableFromInline static let nonBlock: UInt32 = 0x10
    @usableFromInline static let minReserve: UInt32 = 0x20
    @usableFromInline static let cpuset: UInt32 = 0x40
    @usableFromInline static let cma: UInt32 = 0x80
    @usableFromInline static let noFragment: UInt32 = 0x100
    @usableFromInline static let highatomic: UInt32 = 0x200
    @usableFromInline static let kswapd: UInt32 = 0x800
    /// `ALLOC_RESERVES`.
    @usableFromInline static let reserves: UInt32 = 0x10 | 0x20 | 0x200 | 0x8
}

/// `enum zone_flags` bits as the snapshot's `ZoneFlags` numbers them.
@usableFromInline
enum ZoneFlagBit {
    @usableFromInline static let boostedWatermark: UInt8 = 1 << 0
    @usableFromInline static let reclaimActive: UInt8 = 1 << 1
    @usableFromInline static let belowHigh: UInt8 = 1 << 2
}

/// `PCPF_*` bits of `per_cpu_pages.flags`.
@usableFromInline
enum PCPFlagBit {
    @usableFromInline static let prevFreeHighOrder: UInt8 = 1 << 0
    @usableFromInline static let freeHighBatch: UInt8 = 1 << 1
}

/// The watermark indexes of `_watermark[]`.
@usableFromInline
enum WatermarkIndex {
    @usableFromInline static let min = 0
    @usableFromInline static let low = 1
    @usableFromInline static let high = 2
    @usableFromInline static let promo = 3
}

/// Zone type indexes (`enum zone_type`).
@usableFromInline
enum ZoneIndex {
    @usableFromInline static let dma32 = 1
    @usableFromInline static let normal = 2
    @usableFromInline static let movable = 3
    @usableFromInline static let typeCount = 4
}

/// `PAGE_ALLOC_COSTLY_ORDER`.
@usableFromInline let costlyOrder = 3
