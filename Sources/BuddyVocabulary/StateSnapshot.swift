/// The canonical state of an allocator: everything that can influence a later decision, in a
/// form both allocators produce identically. Two allocators that made the same decisions have
/// equal snapshots; any difference is a finding.
///
/// Lists are given in list order (head first), because list order decides which block the next
/// allocation takes.
public struct StateSnapshot: Hashable, Sendable, Codable {
    /// Every zone the profile lists (`Profile.allZones`), populated or not, in (node, zone index)
    /// order. Zone types a node does not list are not in the snapshot.
    public var zones: [ZoneSnapshot]
    /// Every allocated block (pages out of the allocator's hands), sorted by PFN.
    public var allocated: [AllocatedBlock]
    /// The vm sysctls in force.
    public var sysctl: SysctlSnapshot
    /// `page_group_by_mobility_disabled`.
    public var mobilityGroupingDisabled: Bool

    public init(zones: [ZoneSnapshot], allocated: [AllocatedBlock], sysctl: SysctlSnapshot, mobilityGroupingDisabled: Bool) {
        self.zones = zones
        self.allocated = allocated
        self.sysctl = sysctl
        self.mobilityGroupingDisabled = mobilityGroupingDisabled
    }
}

/// The sysctls that feed the zone setup, as currently written.
public struct SysctlSnapshot: Hashable, Sendable, Codable {
    public var minFreeKbytes: Int
    public var watermarkScaleFactor: Int
    public var watermarkBoostFactor: Int
    public var percpuPagelistHighFraction: Int
    public var lowmemReserveRatio: [Int]
    public init(minFreeKbytes: Int, watermarkScaleFactor: Int, watermarkBoostFactor: Int, percpuPagelistHighFraction: Int, lowmemReserveRatio: [Int]) {
        self.minFreeKbytes = minFreeKbytes
        self.watermarkScaleFactor = watermarkScaleFactor
        self.watermarkBoostFactor = watermarkBoostFactor
        self.percpuPagelistHighFraction = percpuPagelistHighFraction
        self.lowmemReserveRatio = lowmemReserveRatio
    }
}

/// One block of pages that belongs to callers, with its reference state.
///
/// A non-compound allocation of order k is one block of order k whose head holds the refcount
/// (its tail pages have refcount 0). After `__free_pages` dropped a non-last reference of a
/// non-compound page, only the head page remains, as an order-0 block. After `split_page`, each
/// page is its own order-0 block with refcount 1.
public struct AllocatedBlock: Hashable, Sendable, Codable {
    public var pfn: PFN
    public var order: Order
    /// Allocated with `__GFP_COMP` and order > 0 (`PageHead`, tails point at the head).
    public var compound: Bool
    /// `page_ref_count(head)`, at least 1.
    public var refcount: Int
    public init(pfn: PFN, order: Order, compound: Bool, refcount: Int) {
        self.pfn = pfn
        self.order = order
        self.compound = compound
        self.refcount = refcount
    }
}

/// A free buddy block: head PFN and order.
public struct FreeBlock: Hashable, Sendable, Codable, CustomStringConvertible {
    public var pfn: PFN
    public var order: Order
    public init(pfn: PFN, order: Order) {
        self.pfn = pfn
        self.order = order
    }
    public var description: String { "\(pfn)/\(order)" }
}

/// Zone flags that influence decisions (`enum zone_flags`).
public struct ZoneFlags: OptionSet, Hashable, Sendable, Codable {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    /// `ZONE_BOOSTED_WATERMARK`
    public static let boostedWatermark = ZoneFlags(rawValue: 1 << 0)
    /// `ZONE_RECLAIM_ACTIVE` (never set: kswapd is not modelled; kept for the pcp rules that read it)
    public static let reclaimActive = ZoneFlags(rawValue: 1 << 1)
    /// `ZONE_BELOW_HIGH`
    public static let belowHigh = ZoneFlags(rawValue: 1 << 2)
}

/// The state of one zone.
public struct ZoneSnapshot: Hashable, Sendable, Codable {
    public var id: ZoneID
    public var startPfn: PFN
    public var spannedPages: Int
    public var presentPages: Int
    public var managedPages: Int
    /// `_watermark[]`, indexed by `Watermark`, without boost.
    public var watermarks: [Int]
    public var watermarkBoost: Int
    /// `lowmem_reserve[]`, `ZoneType.maxNumberOfZones` entries.
    public var lowmemReserve: [Int]
    public var flags: ZoneFlags
    /// `NR_FREE_PAGES`: free buddy pages outside ISOLATE lists.
    public var nrFreePages: Int
    /// `NR_FREE_PAGES_BLOCKS`: pages in free blocks of order >= pageblock_order on non-ISOLATE lists.
    public var nrFreePagesBlocks: Int
    /// `NR_FREE_CMA_PAGES`.
    public var nrFreeCMAPages: Int
    /// `zone->nr_reserved_highatomic`, in pages.
    public var nrReservedHighatomic: Int
    /// `zone->nr_free_highatomic`, in pages.
    public var nrFreeHighatomic: Int
    /// `free_area[order]`, `maxPageOrder + 1` entries.
    public var freeAreas: [FreeAreaSnapshot]
    /// Pages with PageBuddy set, read from per-page state (not from the lists), sorted by PFN.
    public var buddyPages: [FreeBlock]
    /// Pageblock flags of every pageblock from `startPfn` aligned down to the last spanned page.
    public var pageblocks: [PageblockState]
    /// One pageset per CPU, in CPU order (empty for an unpopulated zone).
    public var pagesets: [PagesetSnapshot]
    /// `pageset_high_min`, `pageset_high_max`, `pageset_batch`: the zone-wide pcp sizing.
    public var pagesetHighMin: Int
    public var pagesetHighMax: Int
    public var pagesetBatch: Int

    public init(
        id: ZoneID, startPfn: PFN, spannedPages: Int, presentPages: Int, managedPages: Int,
        watermarks: [Int], watermarkBoost: Int, lowmemReserve: [Int], flags: ZoneFlags,
        nrFreePages: Int, nrFreePagesBlocks: Int, nrFreeCMAPages: Int,
        nrReservedHighatomic: Int, nrFreeHighatomic: Int,
        freeAreas: [FreeAreaSnapshot], buddyPages: [FreeBlock], pageblocks: [PageblockState],
        pagesets: [PagesetSnapshot], pagesetHighMin: Int, pagesetHighMax: Int, pagesetBatch: Int
    ) {
        self.id = id
        self.startPfn = startPfn
        self.spannedPages = spannedPages
        self.presentPages = presentPages
        self.managedPages = managedPages
        self.watermarks = watermarks
        self.watermarkBoost = watermarkBoost
        self.lowmemReserve = lowmemReserve
        self.flags = flags
        self.nrFreePages = nrFreePages
        self.nrFreePagesBlocks = nrFreePagesBlocks
        self.nrFreeCMAPages = nrFreeCMAPages
        self.nrReservedHighatomic = nrReservedHighatomic
        self.nrFreeHighatomic = nrFreeHighatomic
        self.freeAreas = freeAreas
        self.buddyPages = buddyPages
        self.pageblocks = pageblocks
        self.pagesets = pagesets
        self.pagesetHighMin = pagesetHighMin
        self.pagesetHighMax = pagesetHighMax
        self.pagesetBatch = pagesetBatch
    }

    public var endPfn: PFN { startPfn.advanced(by: spannedPages) }
    public var isPopulated: Bool { managedPages > 0 }
    /// `wmark_pages(zone, mark)`: the watermark plus the current boost.
    public func watermark(_ mark: Watermark) -> Int { watermarks[mark.rawValue] + watermarkBoost }
}

/// `struct free_area` of one order.
public struct FreeAreaSnapshot: Hashable, Sendable, Codable {
    /// `nr_free`: blocks of this order on all lists, ISOLATE included.
    public var nrFree: Int
    /// `free_list[migratetype]`, head first, `Migratetype.count` lists.
    public var lists: [[PFN]]
    public init(nrFree: Int, lists: [[PFN]]) {
        self.nrFree = nrFree
        self.lists = lists
    }
}

/// `struct per_cpu_pages` of one CPU in one zone.
public struct PagesetSnapshot: Hashable, Sendable, Codable {
    public var cpu: CPUID
    public var count: Int
    public var high: Int
    public var highMin: Int
    public var highMax: Int
    public var batch: Int
    /// `PCPF_PREV_FREE_HIGH_ORDER` (bit 0), `PCPF_FREE_HIGH_BATCH` (bit 1).
    public var flags: UInt8
    public var allocFactor: Int
    public var freeCount: Int
    /// `lists[NR_PCP_LISTS]`, head first; index by `order_to_pindex`.
    public var lists: [[PFN]]
    public init(cpu: CPUID, count: Int, high: Int, highMin: Int, highMax: Int, batch: Int, flags: UInt8, allocFactor: Int, freeCount: Int, lists: [[PFN]]) {
        self.cpu = cpu
        self.count = count
        self.high = high
        self.highMin = highMin
        self.highMax = highMax
        self.batch = batch
        self.flags = flags
        self.allocFactor = allocFactor
        self.freeCount = freeCount
        self.lists = lists
    }

    /// `NR_PCP_LISTS` with `CONFIG_TRANSPARENT_HUGEPAGE`: 3 types × orders 0…3, plus 2 THP lists.
    public static let listCount = 14
    /// `PCPF_PREV_FREE_HIGH_ORDER`
    public static let flagPrevFreeHighOrder: UInt8 = 1 << 0
    /// `PCPF_FREE_HIGH_BATCH`
    public static let flagFreeHighBatch: UInt8 = 1 << 1
}
