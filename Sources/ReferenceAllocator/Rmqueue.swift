import BuddyVocabulary

/// `enum rmqueue_mode` (6.16+): where `__rmqueue` found pages last time within one
/// `rmqueue_bulk` lock hold, so that later pages of the same refill start there.
enum RmqueueMode {
    case normal
    case cma
    case claim
    case steal
}

extension ReferencePageAllocator {
    /// `rmqueue`: pcp orders try the CPU's pcp list first (even for `ALLOC_HIGHATOMIC`, which
    /// the pcp path ignores), then the buddy. Afterwards a pending `ZONE_BOOSTED_WATERMARK` is
    /// cleared for kswapd-waking requests (the kswapd wakeup itself is not modelled).
    func rmqueue(cpu: CPUID, _ zone: Zone, order: Int, flags: AllocFlags, _ migratetype: Migratetype) -> PFN? {
        var page: PFN?
        if pcpAllowedOrder(order) {
            page = rmqueuePcplist(cpu: cpu, zone, order: order, migratetype, flags: flags)
        }
        if page == nil {
            page = rmqueueBuddy(zone, order: order, flags: flags, migratetype)
        }
        if flags.contains(.kswapd) && zone.flags.contains(.boostedWatermark) {
            zone.flags.remove(.boostedWatermark)
        }
        return page
    }

    /// `rmqueue_buddy`: highatomic requests try the HIGHATOMIC lists first; then `__rmqueue`
    /// from `RMQUEUE_NORMAL`; if that fails, OOM and non-blocking requests may take from the
    /// HIGHATOMIC lists.
    func rmqueueBuddy(_ zone: Zone, order: Int, flags: AllocFlags, _ migratetype: Migratetype) -> PFN? {
        var page: PFN?
        if flags.contains(.highatomic) {
            page = rmqueueSmallest(zone, order: order, .highatomic)
        }
        if page == nil {
            var mode = RmqueueMode.normal
            page = rmqueue(zone, order: order, migratetype, flags: flags, mode: &mode)
            if page == nil && !flags.isDisjoint(with: [.oom, .nonBlock]) {
                page = rmqueueSmallest(zone, order: order, .highatomic)
            }
        }
        return page
    }

    /// `__rmqueue`: the requested type's lists, then CMA, then claiming a fallback block, then
    /// stealing from one (not under `ALLOC_NOFRAGMENT`), starting at `mode` and recording where
    /// pages were found. With `CONFIG_CMA`, movable requests take CMA pages first while CMA
    /// holds more than half of the zone's free pages (never true in the model, which has no CMA
    /// pageblocks).
    func rmqueue(_ zone: Zone, order: Int, _ migratetype: Migratetype, flags: AllocFlags, mode: inout RmqueueMode) -> PFN? {
        if profile.cmaConfigured && flags.contains(.cma) && zone.nrFreeCMAPages > zone.nrFreePages / 2 {
            if let page = rmqueueCMAFallback(zone, order: order) { return page }
        }
        switch mode {
        case .normal:
            if let page = rmqueueSmallest(zone, order: order, migratetype) { return page }
            fallthrough
        case .cma:
            if flags.contains(.cma), let page = rmqueueCMAFallback(zone, order: order) {
                mode = .cma
                return page
            }
            fallthrough
        case .claim:
            if let page = rmqueueClaim(zone, order: order, migratetype, flags: flags) {
                mode = .normal
                return page
            }
            fallthrough
        case .steal:
            if !flags.contains(.noFragment), let page = rmqueueSteal(zone, order: order, migratetype) {
                mode = .steal
                return page
            }
        }
        return nil
    }

    /// `__rmqueue_cma_fallback`: `__rmqueue_smallest(MIGRATE_CMA)` with `CONFIG_CMA`, else nothing.
    private func rmqueueCMAFallback(_ zone: Zone, order: Int) -> PFN? {
        profile.cmaConfigured ? rmqueueSmallest(zone, order: order, .cma) : nil
    }

    /// `__rmqueue_smallest`: the head of the first non-empty `free_list[migratetype]` from
    /// `order` up, split down to `order` by `expand`. Emits `mm_page_alloc_zone_locked`, whose
    /// `percpu_refill` is computed from the arguments (pcp order and pcp type), not from the
    /// caller.
    func rmqueueSmallest(_ zone: Zone, order: Int, _ migratetype: Migratetype) -> PFN? {
        for currentOrder in order...maxPageOrder {
            guard let page = headOfFreeArea(zone, order: currentOrder, migratetype) else { continue }
            pageDelAndExpand(zone, page, low: order, high: currentOrder, migratetype)
            let percpuRefill = pcpAllowedOrder(order) && migratetype.rawValue < Migratetype.pcpTypeCount
            emit(.pageAllocZoneLocked(pfn: page, order: Order(order), migratetype: migratetype, percpuRefill: percpuRefill))
            return page
        }
        return nil
    }

    /// `page_del_and_expand`: takes the block of order `high` off its list and gives back all
    /// but the first `2^low` pages; only the pages kept leave `NR_FREE_PAGES`.
    func pageDelAndExpand(_ zone: Zone, _ page: PFN, low: Int, high: Int, _ migratetype: Migratetype) {
        deleteFromFreeList(zone, page, order: high, migratetype)
        let pagesAdded = expand(zone, page, low: low, high: high, migratetype)
        accountFreepages(zone, -((1 << high) - pagesAdded), migratetype)
    }

    /// `expand`: splits a block of order `high` down to order `low`, keeping the lowest pages
    /// and putting each upper half on the **head** of `free_list[migratetype]`, largest first.
    /// Returns the number of pages put back.
    ///
    /// ```
    ///   expand(0x0, low 0, high 3):
    ///   [0x0 ........ order 3 .........]
    ///   [0x0 kept][0x1 o0][0x2 o1][0x4 order 2]   heads added: 0x4 (o2), 0x2 (o1), 0x1 (o0)
    /// ```
    func expand(_ zone: Zone, _ page: PFN, low: Int, high: Int, _ migratetype: Migratetype) -> Int {
        var high = high
        var size = 1 << high
        var pagesAdded = 0
        while high > low {
            high -= 1
            size >>= 1
            addToFreeList(zone, page.advanced(by: size), order: high, migratetype, toTail: false)
            pagesAdded += size
        }
        return pagesAdded
    }
}
