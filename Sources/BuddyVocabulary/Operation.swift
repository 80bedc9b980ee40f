/// One call into the page allocator, as a kernel caller would make it.
///
/// Operations name pages by PFN. The harness, which fuzzes in terms of "the k-th live
/// allocation", resolves those names to PFNs before an operation reaches an allocator, so both
/// allocators always see the same concrete call.
public enum Operation: Hashable, Sendable, Codable {
    /// `alloc_pages(gfp, order)` on `cpu` (UMA: the CPU's node is the preferred node).
    /// A page with `__GFP_COMP` and order > 0 becomes a compound page (`prep_compound_page`).
    case allocate(cpu: CPUID, order: Order, gfp: GFPFlags)
    /// `__free_pages(page, order)` on `cpu`: drops one reference; frees the block when it was the
    /// last one, or, for a non-compound page whose reference was not the last, frees the tail
    /// halves and leaves the head page to its remaining references.
    case freePages(cpu: CPUID, pfn: PFN, order: Order)
    /// `get_page(page)`: takes one more reference on the page's folio.
    case getPage(pfn: PFN)
    /// `put_page(page)` on `cpu`: drops one reference on the page's folio and frees the folio
    /// (at its compound order, or order 0 for a non-compound page) when it was the last.
    case putPage(cpu: CPUID, pfn: PFN)
    /// `split_page(page, order)`: turns a non-compound high-order page into `2^order`
    /// independent order-0 pages, each with one reference.
    case splitPage(pfn: PFN, order: Order)
    /// `drain_local_pages(NULL)` run on `cpu`: every zone's pcp of that CPU back to the buddy.
    case drainCPU(cpu: CPUID)
    /// `drain_all_pages(NULL)`: every CPU's pcp of every zone back to the buddy.
    case drainAll
    /// The vmstat worker on `cpu` (`refresh_cpu_vm_stats` → `decay_pcp_high` per zone).
    case vmstatTick(cpu: CPUID)
    /// kswapd on `node` finished balancing: clears `watermark_boost`, `ZONE_BOOSTED_WATERMARK`
    /// and `ZONE_BELOW_HIGH` of the node's zones (reclaim itself is not modelled).
    case kswapdBalanced(node: NodeID)
    /// `set_migratetype_isolate` on the pageblock containing `pfn` (6.17+ semantics).
    case isolatePageblock(pfn: PFN)
    /// `unset_migratetype_isolate` on the pageblock containing `pfn`.
    case unisolatePageblock(pfn: PFN)
    /// A write to a vm sysctl that recomputes the zone setup.
    case writeSysctl(SysctlWrite)
}

/// A sysctl write and the value written.
public enum SysctlWrite: Hashable, Sendable, Codable {
    /// `/proc/sys/vm/min_free_kbytes` → `setup_per_zone_wmarks`
    case minFreeKbytes(Int)
    /// `/proc/sys/vm/watermark_scale_factor` → `setup_per_zone_wmarks`
    case watermarkScaleFactor(Int)
    /// `/proc/sys/vm/percpu_pagelist_high_fraction` → `zone_set_pageset_high_and_batch`
    case percpuPagelistHighFraction(Int)
}

extension Operation {
    /// A stable name for the kind of operation, used in failure titles and statistics.
    public var kindName: String {
        switch self {
        case .allocate: "alloc_pages"
        case .freePages: "__free_pages"
        case .getPage: "get_page"
        case .putPage: "put_page"
        case .splitPage: "split_page"
        case .drainCPU: "drain_local_pages"
        case .drainAll: "drain_all_pages"
        case .vmstatTick: "decay_pcp_high"
        case .kswapdBalanced: "kswapd_balanced"
        case .isolatePageblock: "set_migratetype_isolate"
        case .unisolatePageblock: "unset_migratetype_isolate"
        case .writeSysctl(.minFreeKbytes): "sysctl_min_free_kbytes"
        case .writeSysctl(.watermarkScaleFactor): "sysctl_watermark_scale_factor"
        case .writeSysctl(.percpuPagelistHighFraction): "sysctl_percpu_pagelist_high_fraction"
        }
    }
}
