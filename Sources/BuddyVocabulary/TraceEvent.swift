/// A `kmem` tracepoint event (`include/trace/events/kmem.h`), in emission order.
///
/// Events are observable results: the harness compares them between the allocators after every
/// operation. Pages are identified by PFN (ftrace's `%p` is hashed; tools key on `pfn`).
public enum TraceEvent: Hashable, Sendable, Codable {
    /// `mm_page_alloc`: once per `alloc_pages` call; `pfn` is nil when the allocation failed.
    /// `migratetype` is the requested type (`ac.migratetype`).
    case pageAlloc(pfn: PFN?, order: Order, gfp: GFPFlags, migratetype: Migratetype)
    /// `mm_page_alloc_zone_locked`: emitted by `__rmqueue_smallest` for the block it takes.
    case pageAllocZoneLocked(pfn: PFN, order: Order, migratetype: Migratetype, percpuRefill: Bool)
    /// `mm_page_alloc_extfrag`: a fallback claim or steal. `changeOwnership` is true when the
    /// page's pageblock has the requested type after the fallback (a claim).
    case pageAllocExtfrag(
        pfn: PFN, allocOrder: Order, fallbackOrder: Order,
        allocMigratetype: Migratetype, fallbackMigratetype: Migratetype, changeOwnership: Bool)
    /// `mm_page_pcpu_drain`: a page leaves a pcp list for the buddy in `free_pcppages_bulk`;
    /// `migratetype` is the pageblock type read at that moment.
    case pagePcpuDrain(pfn: PFN, order: Order, migratetype: Migratetype)
    /// `mm_page_free`: from `free_pages_prepare`, once per block handed back to the allocator.
    case pageFree(pfn: PFN, order: Order)

    /// The tracepoint's name.
    public var tracepointName: String {
        switch self {
        case .pageAlloc: "mm_page_alloc"
        case .pageAllocZoneLocked: "mm_page_alloc_zone_locked"
        case .pageAllocExtfrag: "mm_page_alloc_extfrag"
        case .pagePcpuDrain: "mm_page_pcpu_drain"
        case .pageFree: "mm_page_free"
        }
    }
}
