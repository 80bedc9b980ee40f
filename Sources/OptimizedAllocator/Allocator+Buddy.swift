import BuddyVocabulary

/// `enum rmqueue_mode`: where `__rmqueue` found pages last, kept across one `rmqueue_bulk`.
@usableFromInline
enum RmqueueMode {
    case normal, cma, claim, steal
}

/// `fallbacks[]`: the types a request may take from, in order. The other types have none.
@inline(__always) @usableFromInline
func fallbackTypes(_ migratetype: Int) -> (Int, Int)? {
    switch migratetype {
    case MigrateIndex.unmovable: (MigrateIndex.reclaimable, MigrateIndex.movable)
    case MigrateIndex.movable: (MigrateIndex.reclaimable, MigrateIndex.unmovable)
    case MigrateIndex.reclaimable: (MigrateIndex.unmovable, MigrateIndex.movable)
    default: nil
    }
}

extension SeamedPageAllocator {
    // MARK: - The smallest block of a type

    /// `__rmqueue_smallest`: the head of the first non-empty `free_list[migratetype]` from
    /// `order` up, found with one count-trailing-zeros on the list bitmask; the block is split
    /// and `mm_page_alloc_zone_locked` emitted.
    @inline(__always)
    func rmqueueSmallest(_ zone: Zone, order: Int, migratetype: Int) -> UInt32? {
        let candidates = zone.pointee.freeListMask[migratetype] >> UInt32(order)
        guard candidates != 0 else { return nil }
        let currentOrder = order + candidates.trailingZeroBitCount
        let index = pageDeleteAndExpand(
            zone, zone.pointee.frames.first(zone.pointee.freeListSentinel(order: currentOrder, migratetype: migratetype)),
            low: order, high: currentOrder, migratetype: migratetype)
        if global.pointee.recordsEvents {
            record(.pageAllocZoneLocked(
                pfn: PFN(zone.pointee.pfn(index)), order: Order(order), migratetype: Migratetype(rawValue: migratetype)!,
                percpuRefill: pcpAllowedOrder(order) && migratetype < MigrateIndex.pcpTypes))
        }
        return index
    }

    /// `page_del_and_expand`: off its list, split down to `low`, net accounting of the pages
    /// that left.
    @inline(__always)
    func pageDeleteAndExpand(_ zone: Zone, _ index: UInt32, low: Int, high: Int, migratetype: Int) -> UInt32 {
        zone.pointee.deleteFreeBlock(index, order: high, migratetype: migratetype)
        let (added, kept) = expand(zone, index, low: low, high: high, migratetype: migratetype)
        zone.pointee.accountFreePages(-((1 &<< high) - added), migratetype)
        return kept
    }

    /// `expand`: the caller keeps the lowest part; each upper half goes to the head of
    /// `free_list[migratetype]` at its order, largest first. Returns the pages put back and the
    /// block the caller keeps.
    @inline(__always)
    func expand(_ zone: Zone, _ index: UInt32, low: Int, high initialHigh: Int, migratetype: Int) -> (added: Int, kept: UInt32) {
        var high = initialHigh
        var size = 1 &<< high
        var added = 0
        var kept = index
        let upperHalf = mutant(.expandHandsOutUpperHalf)
        while high > low {
            high -= 1
            size &>>= 1
            let half = UInt32(truncatingIfNeeded: size)
            zone.pointee.addFreeBlock(upperHalf ? kept : kept + half, order: high, migratetype: migratetype, tail: false)
            if upperHalf { kept += half }
            added += size
        }
        return (added, kept)
    }

    // MARK: - Fallbacks

    /// `should_try_claim_block`: false only for MOVABLE requests looking at small blocks while
    /// mobility grouping is on.
    @inline(__always)
    func shouldTryClaimBlock(order: Int, startType: Int) -> Bool {
        if order >= pageblockOrder { return true }
        if order >= pageblockOrder / 2 { return true }
        if startType == MigrateIndex.reclaimable || startType == MigrateIndex.unmovable { return true }
        return global.pointee.mobilityGroupingDisabled
    }

    /// `find_suitable_fallback`: -2 when claiming stops being worth it, -1 when no fallback list
    /// of this order has a block, else the first fallback type with one.
    func findSuitableFallback(_ zone: Zone, order: Int, migratetype: Int, claimable: Bool) -> Int {
        if claimable, !shouldTryClaimBlock(order: order, startType: migratetype) { return -2 }
        if zone.pointee.nrFree[order] == 0 { return -1 }
        guard let (first, second) = fallbackTypes(migratetype) else { return -1 }
        if !zone.pointee.freeListIsEmpty(order: order, migratetype: first) { return first }
        if !zone.pointee.freeListIsEmpty(order: order, migratetype: second) { return second }
        return -1
    }

    /// `__rmqueue_claim`: the largest fallback block first; `try_to_claim_block` converts its
    /// pageblock(s) to the requested type when worth it.
    func rmqueueClaim(_ zone: Zone, order: Int, startType: Int, flags: UInt32) -> UInt32? {
        var minOrder = order
        if order < pageblockOrder, flags & AllocBit.noFragment != 0 { minOrder = pageblockOrder }
        let ascending = mutant(.claimScansAscending)
        for step in 0..<max(0, maxOrder - minOrder + 1) {
            let currentOrder = ascending ? minOrder + step : maxOrder - step
            let fallbackType = findSuitableFallback(zone, order: currentOrder, migratetype: startType, claimable: true)
            if fallbackType == -1 { continue }
            if fallbackType == -2 {
                if ascending { continue }
                break
            }
            let candidate = zone.pointee.frames.first(zone.pointee.freeListSentinel(order: currentOrder, migratetype: fallbackType))
            if let index = tryToClaimBlock(zone, candidate, currentOrder: currentOrder, order: order, startType: startType, blockType: fallbackType, flags: flags) {
                emitExtfrag(zone, index, order: order, fallbackOrder: currentOrder, startType: startType, fallbackType: fallbackType)
                return index
            }
        }
        return nil
    }

    /// `try_to_claim_block`: whole blocks of pageblock_order and up change owner outright;
    /// smaller ones boost the watermark and convert their pageblock when at least half of it is
    /// free or compatible.
    func tryToClaimBlock(_ zone: Zone, _ index: UInt32, currentOrder: Int, order: Int, startType: Int, blockType: Int, flags: UInt32) -> UInt32? {
        let pfn = zone.pointee.pfn(index)
        if currentOrder >= pageblockOrder {
            zone.pointee.deleteFreeBlockAccounted(index, order: currentOrder, migratetype: blockType)
            changePageblockRange(zone, pfn, currentOrder, startType)
            let (added, kept) = expand(zone, index, low: order, high: currentOrder, migratetype: startType)
            zone.pointee.accountFreePages(added, startType)
            return kept
        }
        if boostWatermark(zone), flags & AllocBit.kswapd != 0 || mutant(.boostIgnoresKswapdFlag) {
            zone.pointee.flags |= ZoneFlagBit.boostedWatermark
        }
        guard let block = pageblockFreeCensus(zone, pfn) else { return nil }
        var alikePages: Int
        if startType == MigrateIndex.movable {
            alikePages = block.movablePages
        } else {
            alikePages = blockType == MigrateIndex.movable ? pageblockPages - (block.freePages + block.movablePages) : 0
        }
        if mutant(.claimCountsFreeOnly) { alikePages = 0 }
        let threshold = (1 &<< (pageblockOrder - 1)) + (mutant(.claimThresholdOffByOne) ? 1 : 0)
        guard block.freePages + alikePages >= threshold || global.pointee.mobilityGroupingDisabled else { return nil }
        moveFreePagesOfBlock(zone, startPfn: block.startPfn, from: blockType, to: startType)
        if !mutant(.claimSkipsRetype) { setPageblockMigratetype(zone, block.startPfn, startType) }
        return rmqueueSmallest(zone, order: order, migratetype: startType)
    }

    /// `__rmqueue_steal`: the smallest fallback block; the remainder stays on the fallback type.
    func rmqueueSteal(_ zone: Zone, order: Int, startType: Int) -> UInt32? {
        for currentOrder in order..<orderCount {
            let fallbackType = findSuitableFallback(zone, order: currentOrder, migratetype: startType, claimable: false)
            if fallbackType == -1 { continue }
            var index = zone.pointee.frames.first(zone.pointee.freeListSentinel(order: currentOrder, migratetype: fallbackType))
            if mutant(.stealExpandsIntoStartType) {
                zone.pointee.deleteFreeBlockAccounted(index, order: currentOrder, migratetype: fallbackType)
                let (added, kept) = expand(zone, index, low: order, high: currentOrder, migratetype: startType)
                zone.pointee.accountFreePages(added, startType)
                index = kept
            } else {
                index = pageDeleteAndExpand(zone, index, low: order, high: currentOrder, migratetype: fallbackType)
            }
            emitExtfrag(zone, index, order: order, fallbackOrder: currentOrder, startType: startType, fallbackType: fallbackType)
            return index
        }
        return nil
    }

    /// `trace_mm_page_alloc_extfrag`: `change_ownership` is read from the page's pageblock now.
    @inline(__always)
    func emitExtfrag(_ zone: Zone, _ index: UInt32, order: Int, fallbackOrder: Int, startType: Int, fallbackType: Int) {
        guard global.pointee.recordsEvents else { return }
        let pfn = zone.pointee.pfn(index)
        record(.pageAllocExtfrag(
            pfn: PFN(pfn), allocOrder: Order(order), fallbackOrder: Order(fallbackOrder),
            allocMigratetype: Migratetype(rawValue: startType)!, fallbackMigratetype: Migratetype(rawValue: fallbackType)!,
            changeOwnership: startType == zone.pointee.pageblockMigratetype(pfn)))
    }

    // MARK: - __rmqueue and rmqueue

    /// `__rmqueue` (6.16+): CMA balancing, then the modes in order of rising fragmentation risk,
    /// remembering in `mode` where pages were found.
    @inline(__always)
    func rmqueue(_ zone: Zone, order: Int, migratetype: Int, flags: UInt32, mode: inout RmqueueMode) -> UInt32? {
        let cma = flags & AllocBit.cma != 0
        if cmaConfigured, cma, zone.pointee.nrFreeCMAPages > zone.pointee.nrFreePages / 2,
           let index = rmqueueSmallest(zone, order: order, migratetype: MigrateIndex.cma) {
            return index
        }
        if mode == .normal, let index = rmqueueSmallest(zone, order: order, migratetype: migratetype) { return index }
        return rmqueueFallback(zone, order: order, migratetype: migratetype, flags: flags, mode: &mode)
    }

    /// The CMA, CLAIM and STEAL modes of `__rmqueue`, entered at `mode` or after NORMAL failed.
    func rmqueueFallback(_ zone: Zone, order: Int, migratetype: Int, flags: UInt32, mode: inout RmqueueMode) -> UInt32? {
        if mode == .normal || mode == .cma {
            if cmaConfigured, flags & AllocBit.cma != 0, let index = rmqueueSmallest(zone, order: order, migratetype: MigrateIndex.cma) {
                mode = .cma
                return index
            }
        }
        if mode != .steal, let index = rmqueueClaim(zone, order: order, startType: migratetype, flags: flags) {
            mode = .normal
            return index
        }
        if flags & AllocBit.noFragment == 0, let index = rmqueueSteal(zone, order: order, startType: migratetype) {
            mode = .steal
            return index
        }
        return nil
    }

    /// `rmqueue_buddy`: HIGHATOMIC first for `ALLOC_HIGHATOMIC`, then `__rmqueue` from NORMAL,
    /// then HIGHATOMIC for `ALLOC_OOM` / `ALLOC_NON_BLOCK`.
    func rmqueueBuddy(_ zone: Zone, order: Int, migratetype: Int, flags: UInt32) -> UInt32? {
        if flags & AllocBit.highatomic != 0,
           let index = rmqueueSmallest(zone, order: order, migratetype: MigrateIndex.highatomic) {
            return index
        }
        var mode = RmqueueMode.normal
        if let index = rmqueue(zone, order: order, migratetype: migratetype, flags: flags, mode: &mode) { return index }
        if flags & (AllocBit.oom | AllocBit.nonBlock) != 0 {
            return rmqueueSmallest(zone, order: order, migratetype: MigrateIndex.highatomic)
        }
        return nil
    }

    /// `rmqueue`: the pcp for pcp orders, else (or when the pcp has nothing) the buddy; then an
    /// `ALLOC_KSWAPD` request clears `ZONE_BOOSTED_WATERMARK` (and would wake kswapd).
    @inline(__always)
    func rmqueueZone(_ zone: Zone, _ context: AllocationContext, flags: UInt32) -> UInt32? {
        var index: UInt32?
        if pcpAllowedOrder(context.order) {
            index = rmqueuePcplist(zone, context, flags: flags)
        }
        if index == nil {
            index = rmqueueBuddy(zone, order: context.order, migratetype: context.migratetype, flags: flags)
        }
        if flags & AllocBit.kswapd != 0, zone.pointee.flags & ZoneFlagBit.boostedWatermark != 0 {
            zone.pointee.flags &= ~ZoneFlagBit.boostedWatermark
        }
        return index
    }

    // MARK: - Whole-pageblock moves

    /// `prep_move_freepages_block` with the census: nil if the pageblock leaves the zone span;
    /// else its start and how many of its pages are free (PageBuddy blocks) or movable. No page
    /// of the model is on an LRU or has movable_ops, so `movablePages` is always 0.
    func pageblockFreeCensus(_ zone: Zone, _ pfn: Int) -> (startPfn: Int, freePages: Int, movablePages: Int)? {
        guard let startPfn = pageblockStartInZone(zone, pfn) else { return nil }
        var freePages = 0
        var cursor = startPfn
        while cursor < startPfn + pageblockPages {
            if let index = zone.pointee.frameIndex(cursor), zone.pointee.frames[index].state == .buddy {
                let pages = 1 &<< Int(zone.pointee.frames[index].order)
                freePages += pages
                cursor += pages
            } else {
                cursor += 1
            }
        }
        return (startPfn, freePages, 0)
    }

    /// The pageblock start of `pfn` if the whole pageblock is inside the zone span.
    @inline(__always)
    func pageblockStartInZone(_ zone: Zone, _ pfn: Int) -> Int? {
        let start = pfn & ~(pageblockPages - 1)
        guard zone.pointee.spans(start), zone.pointee.spans(start + pageblockPages - 1) else { return nil }
        return start
    }

    /// `__move_freepages_block`: every free block of the pageblock to the tail of the `new`
    /// list, accounted out of `old`. Returns the pages moved.
    @discardableResult
    func moveFreePagesOfBlock(_ zone: Zone, startPfn: Int, from old: Int, to new: Int) -> Int {
        var moved = 0
        var cursor = startPfn
        while cursor < startPfn + pageblockPages {
            guard let index = zone.pointee.frameIndex(cursor), zone.pointee.frames[index].state == .buddy else {
                cursor += 1
                continue
            }
            let order = Int(zone.pointee.frames[index].order)
            zone.pointee.moveFreeBlock(index, order: order, from: old, to: new, accounted: !mutant(.moveSkipsAccounting))
            cursor += 1 &<< order
            moved += 1 &<< order
        }
        return moved
    }

    /// `move_freepages_block`: -1 if the pageblock leaves the zone, else the pages moved; the
    /// pageblock takes the new type.
    @discardableResult
    func moveFreepagesBlock(_ zone: Zone, _ pfn: Int, from old: Int, to new: Int) -> Int {
        guard let startPfn = pageblockStartInZone(zone, pfn) else { return -1 }
        let moved = moveFreePagesOfBlock(zone, startPfn: startPfn, from: old, to: new)
        setPageblockMigratetype(zone, startPfn, new)
        return moved
    }
}
