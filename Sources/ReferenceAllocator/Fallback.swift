import BuddyVocabulary

/// What `find_suitable_fallback` found at one order.
enum FallbackSearch: Equatable {
    /// A fallback list of this type has a block (the kernel's fallback_mt).
    case found(Migratetype)
    /// No fallback block at this order (-1).
    case none
    /// The order is too low to claim a whole block; no lower order can be either (-2).
    case tooLowToClaim
}

extension ReferencePageAllocator {
    /// `fallbacks[]`: the types a pcp type falls back to, in order. HIGHATOMIC, CMA and ISOLATE
    /// neither fall back nor serve as fallbacks.
    func fallbacks(_ migratetype: Migratetype) -> [Migratetype] {
        switch migratetype {
        case .unmovable: [.reclaimable, .movable]
        case .movable: [.reclaimable, .unmovable]
        case .reclaimable: [.unmovable, .movable]
        case .highatomic, .cma, .isolate: []
        }
    }

    /// `should_try_claim_block(order, start_mt)`: false only for MOVABLE requests looking at
    /// blocks below `pageblock_order / 2`, with grouping by mobility on. `order` is the
    /// candidate block's order.
    func shouldTryClaimBlock(order: Int, _ startMigratetype: Migratetype) -> Bool {
        if order >= pageblockOrder { return true }
        if order >= pageblockOrder / 2 { return true }
        if startMigratetype == .reclaimable || startMigratetype == .unmovable { return true }
        if mobilityGroupingDisabled { return true }
        return false
    }

    /// `find_suitable_fallback(area, order, migratetype, claimable)`.
    func findSuitableFallback(_ zone: Zone, order: Int, _ migratetype: Migratetype, claimable: Bool) -> FallbackSearch {
        if claimable && !shouldTryClaimBlock(order: order, migratetype) { return .tooLowToClaim }
        let area = zone.freeArea[order]
        if area.nrFree == 0 { return .none }
        for fallback in fallbacks(migratetype) where !area.freeList[fallback.rawValue].isEmpty {
            return .found(fallback)
        }
        return .none
    }

    /// `__rmqueue_claim`: from `MAX_PAGE_ORDER` down (largest first, approximating the
    /// pageblock with the most free pages), try to claim the block at the head of a fallback
    /// list for the requested type. Under `ALLOC_NOFRAGMENT` only whole pageblocks are
    /// considered. Emits `mm_page_alloc_extfrag` on success.
    func rmqueueClaim(_ zone: Zone, order: Int, _ startMigratetype: Migratetype, flags: AllocFlags) -> PFN? {
        var minOrder = order
        if order < pageblockOrder && flags.contains(.noFragment) { minOrder = pageblockOrder }
        guard minOrder <= maxPageOrder else { return nil }
        for currentOrder in stride(from: maxPageOrder, through: minOrder, by: -1) {
            let search = findSuitableFallback(zone, order: currentOrder, startMigratetype, claimable: true)
            guard case .found(let fallbackMigratetype) = search else {
                if search == .tooLowToClaim { break }
                continue
            }
            guard let block = headOfFreeArea(zone, order: currentOrder, fallbackMigratetype) else { continue }
            if let page = tryToClaimBlock(zone, block, currentOrder: currentOrder, order: order,
                                          startType: startMigratetype, blockType: fallbackMigratetype, flags: flags) {
                emitExtfrag(zone, page, allocOrder: order, fallbackOrder: currentOrder,
                            startMigratetype, fallbackMigratetype)
                return page
            }
        }
        return nil
    }

    /// `try_to_claim_block`: a block of at least pageblock order is taken whole and retyped.
    /// A smaller one first boosts the watermark (on every attempt), then its pageblock is
    /// claimed when at least half of it is free or compatible, or grouping is off: all its free
    /// pages move to the requested type's lists, the pageblock is retyped, and the page comes
    /// from `__rmqueue_smallest`, not necessarily from that pageblock.
    ///
    /// Model decision: no page is PageLRU or has movable_ops (the model has no LRU), so
    /// `movable_pages` is always 0.
    func tryToClaimBlock(_ zone: Zone, _ page: PFN, currentOrder: Int, order: Int,
                         startType: Migratetype, blockType: Migratetype, flags: AllocFlags) -> PFN? {
        if currentOrder >= pageblockOrder {
            deleteFromFreeListAccounted(zone, page, order: currentOrder, blockType)
            changePageblockRange(zone, page, order: currentOrder, startType)
            let pagesAdded = expand(zone, page, low: order, high: currentOrder, startType)
            accountFreepages(zone, pagesAdded, startType)
            return page
        }
        if boostWatermark(zone) && flags.contains(.kswapd) {
            zone.flags.insert(.boostedWatermark)
        }
        guard let block = prepMoveFreepagesBlock(zone, page) else { return nil }
        let freePages = countFreePages(zone, pageblockStart: block)
        let movablePages = 0
        let alikePages: Int
        if startType == .movable {
            alikePages = movablePages
        } else if blockType == .movable {
            alikePages = pageblockPages - (freePages + movablePages)
        } else {
            alikePages = 0
        }
        if freePages + alikePages >= 1 << (pageblockOrder - 1) || mobilityGroupingDisabled {
            moveFreepagesBlockPages(zone, pageblockStart: block, from: blockType, to: startType)
            setPageblockMigratetype(zone, block, startType)
            return rmqueueSmallest(zone, order: order, startType)
        }
        return nil
    }

    /// `__rmqueue_steal`: from `order` up (smallest first), take the head block of a fallback
    /// list and split it, leaving the remainders on the fallback type (the pageblock keeps its
    /// type). Emits `mm_page_alloc_extfrag`.
    func rmqueueSteal(_ zone: Zone, order: Int, _ startMigratetype: Migratetype) -> PFN? {
        for currentOrder in order...maxPageOrder {
            guard case .found(let fallbackMigratetype) = findSuitableFallback(zone, order: currentOrder, startMigratetype, claimable: false),
                  let page = headOfFreeArea(zone, order: currentOrder, fallbackMigratetype)
            else { continue }
            pageDelAndExpand(zone, page, low: order, high: currentOrder, fallbackMigratetype)
            emitExtfrag(zone, page, allocOrder: order, fallbackOrder: currentOrder, startMigratetype, fallbackMigratetype)
            return page
        }
        return nil
    }

    /// `trace_mm_page_alloc_extfrag`: `change_ownership` compares the requested type with the
    /// page's pageblock type at the time of the event.
    private func emitExtfrag(_ zone: Zone, _ page: PFN, allocOrder: Int, fallbackOrder: Int,
                             _ allocMigratetype: Migratetype, _ fallbackMigratetype: Migratetype) {
        guard recordsEvents else { return }
        let pageZone = self.zone(containing: page) ?? zone
        emit(.pageAllocExtfrag(
            pfn: page, allocOrder: Order(allocOrder), fallbackOrder: Order(fallbackOrder),
            allocMigratetype: allocMigratetype, fallbackMigratetype: fallbackMigratetype,
            changeOwnership: allocMigratetype == pageblockMigratetype(pageZone, page)))
    }

    /// `boost_watermark`: on a fragmenting fallback, raise the zone's watermarks by a pageblock,
    /// up to `watermark_boost_factor`/10000 of the high watermark (at least a pageblock). Not
    /// for zones smaller than four pageblocks, nor when the factor is 0.
    func boostWatermark(_ zone: Zone) -> Bool {
        if sysctl.watermarkBoostFactor == 0 { return false }
        if pageblockPages * 4 > zone.managedPages { return false }
        var maxBoost = KernelArithmetic.multFrac(zone.watermark[Watermark.high.rawValue], sysctl.watermarkBoostFactor, 10_000)
        if maxBoost == 0 { return false }
        maxBoost = max(pageblockPages, maxBoost)
        zone.watermarkBoost = min(zone.watermarkBoost + pageblockPages, maxBoost)
        return true
    }

    /// `prep_move_freepages_block`: the first pfn of the pageblock of `page`, unless the
    /// pageblock's first or last page lies outside the zone.
    func prepMoveFreepagesBlock(_ zone: Zone, _ page: PFN) -> PFN? {
        let start = page.alignedDown(Order(pageblockOrder))
        let last = start.advanced(by: pageblockPages - 1)
        guard zone.spans(start), zone.spans(last) else { return nil }
        return start
    }

    /// The `num_free` count of `prep_move_freepages_block`: pages in free buddy blocks of the
    /// pageblock (pages on pcp lists are not counted).
    func countFreePages(_ zone: Zone, pageblockStart: PFN) -> Int {
        var free = 0
        var pfn = pageblockStart
        let end = pageblockStart.advanced(by: pageblockPages)
        while pfn < end {
            if case .buddy(let order, _) = zone[pfn] {
                free += 1 << order
                pfn = pfn.advanced(by: 1 << order)
            } else {
                pfn = pfn.advanced(by: 1)
            }
        }
        return free
    }

    /// `__move_freepages_block`: every free block of the pageblock moves to the tail of the
    /// new type's list, accounted from `oldType` to `newType`. The caller sets the type.
    @discardableResult
    func moveFreepagesBlockPages(_ zone: Zone, pageblockStart: PFN, from oldType: Migratetype, to newType: Migratetype) -> Int {
        var pagesMoved = 0
        var pfn = pageblockStart
        let end = pageblockStart.advanced(by: pageblockPages)
        while pfn < end {
            guard case .buddy(let order, _) = zone[pfn] else {
                pfn = pfn.advanced(by: 1)
                continue
            }
            moveToFreeList(zone, pfn, order: order, from: oldType, to: newType)
            pfn = pfn.advanced(by: 1 << order)
            pagesMoved += 1 << order
        }
        return pagesMoved
    }

    /// `move_freepages_block`: moves the free pages of the pageblock of `page` and retypes it;
    /// nil (the kernel's -1) when the pageblock straddles the zone's boundary.
    @discardableResult
    func moveFreepagesBlock(_ zone: Zone, _ page: PFN, from oldType: Migratetype, to newType: Migratetype) -> Int? {
        guard let start = prepMoveFreepagesBlock(zone, page) else { return nil }
        let moved = moveFreepagesBlockPages(zone, pageblockStart: start, from: oldType, to: newType)
        setPageblockMigratetype(zone, start, newType)
        return moved
    }
}
