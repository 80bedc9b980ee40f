import BuddyVocabulary

/// The fields of `struct page` the page allocator reads and writes, for one page frame.
///
/// Every managed page belongs to exactly one block: a free buddy block, a block on a pcp list,
/// or an allocated block. Only the first page of a block says which; the others are `.tail`,
/// and their block is found by aligning the pfn down order by order until a first page is met
/// (blocks are aligned to their order and never overlap).
enum PageState: Hashable {
    /// A pfn of the zone span with no memory behind it (a hole of the memmap).
    case hole
    /// Present but never released to the buddy allocator (`PageReserved`).
    case reserved
    /// Not the first page of its block.
    case tail
    /// `PageBuddy` with `buddy_order`: the first page of a free block, linked on
    /// `free_area[order].free_list[list]`. `list` is where the list linkage points, which
    /// `list_del` follows; it is normally the pageblock's type.
    case buddy(order: Int, list: Migratetype)
    /// The first page of a block linked on a pcp list (not `PageBuddy`, not in `NR_FREE_PAGES`).
    case onPCPList(order: Int)
    /// The first page of a block that belongs to callers; `refcount` is `page_ref_count`.
    case allocated(order: Int, compound: Bool, refcount: Int)
}

/// `struct free_area`: one list per migratetype and `nr_free`, the number of blocks of this
/// order on all of them.
struct FreeArea {
    /// `free_list[migratetype]`, head first.
    var freeList: [[PFN]] = Array(repeating: [], count: Migratetype.count)
    var nrFree = 0
}

/// `struct per_cpu_pages` of one CPU in one zone.
///
/// Invariant: `count` is the number of pages (not blocks) on `lists`.
///
/// The model is single-threaded and never overlaps two accesses to one property, so the
/// stored properties skip the dynamic exclusivity checks, which otherwise took more than half
/// of the time of an operation.
final class PerCPUPages {
    @exclusivity(unchecked) var count = 0
    /// Starts at 0 and is clamped into `[highMin, highMax]` on first use (`nr_pcp_alloc`,
    /// `nr_pcp_high`).
    @exclusivity(unchecked) var high = 0
    @exclusivity(unchecked) var highMin: Int
    @exclusivity(unchecked) var highMax: Int
    @exclusivity(unchecked) var batch: Int
    /// `PCPF_PREV_FREE_HIGH_ORDER` and `PCPF_FREE_HIGH_BATCH`.
    @exclusivity(unchecked) var flags: UInt8 = 0
    @exclusivity(unchecked) var allocFactor = 0
    @exclusivity(unchecked) var freeCount = 0
    /// `lists[NR_PCP_LISTS]`, head first, indexed by `order_to_pindex`.
    @exclusivity(unchecked) var lists: [[PFN]] = Array(repeating: [], count: PagesetSnapshot.listCount)

    /// `per_cpu_pages_init`: the boot pageset values, which keep the lists disabled.
    init(highMin: Int = 0, highMax: Int = 0, batch: Int = 1) {
        self.highMin = highMin
        self.highMax = highMax
        self.batch = batch
    }
}

/// `struct zone`, with a plain per-page state array in place of the memmap and a plain
/// pageblock flags array in place of `pageblock_flags`. Stored properties skip the dynamic
/// exclusivity checks, as in `PerCPUPages`.
final class Zone {
    let id: ZoneID
    let startPfn: PFN
    let spannedPages: Int
    let presentPages: Int
    let managedPages: Int
    /// Per-page state, indexed by `pfn - startPfn`.
    @exclusivity(unchecked) var pages: [PageState]
    /// The first pfn of the first pageblock (`pageblock_start_pfn(zone_start_pfn)`).
    let pageblocksStartPfn: PFN
    /// Pageblock flags from `pageblocksStartPfn` up to the pageblock of the last spanned page.
    @exclusivity(unchecked) var pageblocks: [PageblockState]
    /// `free_area[NR_PAGE_ORDERS]`.
    @exclusivity(unchecked) var freeArea: [FreeArea]
    /// `_watermark[NR_WMARK]`, without boost.
    @exclusivity(unchecked) var watermark = [0, 0, 0, 0]
    @exclusivity(unchecked) var watermarkBoost = 0
    /// `lowmem_reserve[MAX_NR_ZONES]`.
    @exclusivity(unchecked) var lowmemReserve = Array(repeating: 0, count: ZoneType.maxNumberOfZones)
    @exclusivity(unchecked) var flags: ZoneFlags = []
    /// `NR_FREE_PAGES`
    @exclusivity(unchecked) var nrFreePages = 0
    /// `NR_FREE_PAGES_BLOCKS`
    @exclusivity(unchecked) var nrFreePagesBlocks = 0
    /// `NR_FREE_CMA_PAGES`
    @exclusivity(unchecked) var nrFreeCMAPages = 0
    @exclusivity(unchecked) var nrReservedHighatomic = 0
    @exclusivity(unchecked) var nrFreeHighatomic = 0
    /// `per_cpu_pageset`: one per CPU for a populated zone, none for an unpopulated one.
    @exclusivity(unchecked) var pagesets: [PerCPUPages]
    /// `pageset_high_min`, `pageset_high_max`, `pageset_batch`, the boot values until the zone
    /// setup runs (`zone_pcp_init`).
    @exclusivity(unchecked) var pagesetHighMin = 0
    @exclusivity(unchecked) var pagesetHighMax = 0
    @exclusivity(unchecked) var pagesetBatch = 1

    init(id: ZoneID, profileZone: Profile.Zone, profile: Profile) {
        self.id = id
        startPfn = PFN(profileZone.startPfn)
        spannedPages = profileZone.spannedPages
        presentPages = profileZone.presentPages
        managedPages = profileZone.managedPages
        pages = Array(repeating: .tail, count: profileZone.spannedPages)
        pageblocksStartPfn = startPfn.alignedDown(Order(profile.pageblockOrder))
        let pageblockCount = spannedPages == 0
            ? 0 : ((profileZone.endPfn - 1 - pageblocksStartPfn.rawValue) >> profile.pageblockOrder) + 1
        pageblocks = Array(repeating: PageblockState(type: .movable), count: pageblockCount)
        freeArea = Array(repeating: FreeArea(), count: profile.orderCount)
        pagesets = []
    }

    /// `populated_zone`, as the vocabulary defines it: the zone has managed pages.
    var isPopulated: Bool { managedPages > 0 }
    var endPfn: PFN { startPfn.advanced(by: spannedPages) }

    /// `zone_spans_pfn`
    func spans(_ pfn: PFN) -> Bool { pfn >= startPfn && pfn < endPfn }

    subscript(pfn: PFN) -> PageState {
        get { pages[pfn.rawValue - startPfn.rawValue] }
        set { pages[pfn.rawValue - startPfn.rawValue] = newValue }
    }

    /// The index of the pageblock holding `pfn` in `pageblocks`.
    func pageblockIndex(_ pfn: PFN, pageblockOrder: Int) -> Int {
        (pfn.rawValue - pageblocksStartPfn.rawValue) >> pageblockOrder
    }
}
