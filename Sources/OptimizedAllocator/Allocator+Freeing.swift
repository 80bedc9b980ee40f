import BuddyVocabulary

/// A zone pointer: zone state is always reached through the allocator's zone buffer.
@usableFromInline
typealias Zone = UnsafeMutablePointer<ZoneState>

extension SeamedPageAllocator {
    // MARK: - Small kernel helpers

    /// `pcp_allowed_order`: orders up to `PAGE_ALLOC_COSTLY_ORDER`, and the THP order.
    @inline(__always)
    func pcpAllowedOrder(_ order: Int) -> Bool { order <= costlyOrder || order == pmdOrder }

    /// `order_to_pindex`.
    @inline(__always)
    func orderToPindex(_ migratetype: Int, _ order: Int) -> Int {
        if order > costlyOrder {
            assert(order == pmdOrder, "only the THP order is cached above PAGE_ALLOC_COSTLY_ORDER")
            return 3 * (costlyOrder + 1) + (migratetype == MigrateIndex.movable ? 1 : 0)
        }
        return MigrateIndex.pcpTypes * order + migratetype
    }

    /// `pindex_to_order`.
    @inline(__always)
    func pindexToOrder(_ pindex: Int) -> Int {
        pindex >= 3 * (costlyOrder + 1) ? pmdOrder : pindex / MigrateIndex.pcpTypes
    }

    /// The migratetype a pcp list index stands for (the THP lists: UNMOVABLE and MOVABLE).
    @inline(__always)
    func pindexMigratetype(_ pindex: Int) -> Int {
        pindex >= 3 * (costlyOrder + 1) ? pindex - 3 * (costlyOrder + 1) : pindex % MigrateIndex.pcpTypes
    }

    /// `migratetype_is_mergeable`.
    @inline(__always)
    func isMergeable(_ migratetype: Int) -> Bool { migratetype < MigrateIndex.pcpTypes }

    /// `set_pageblock_migratetype`: with mobility grouping off, the pcp types are stored as
    /// UNMOVABLE. MIGRATE_ISOLATE is refused (the kernel warns "Use set_pageblock_isolate() for
    /// pageblock isolation" and returns); only a planted fault that merges across an isolated
    /// pageblock asks for it.
    @inline(__always)
    func setPageblockMigratetype(_ zone: Zone, _ pfn: Int, _ migratetype: Int) {
        var type = migratetype
        if global.pointee.mobilityGroupingDisabled, type < MigrateIndex.pcpTypes { type = MigrateIndex.unmovable }
        if type == MigrateIndex.isolate { return }
        zone.pointee.writePageblockType(pfn, type)
    }

    /// `change_pageblock_range`: retypes every pageblock of a block of `order` ≥ pageblock_order.
    func changePageblockRange(_ zone: Zone, _ pfn: Int, _ order: Int, _ migratetype: Int) {
        let blocks = 1 &<< (order - pageblockOrder)
        for block in 0..<blocks { setPageblockMigratetype(zone, pfn + block * pageblockPages, migratetype) }
    }

    // MARK: - Events

    @inline(__always)
    func emitPageFree(_ pfn: Int, _ order: Int) {
        if global.pointee.recordsEvents { record(.pageFree(pfn: PFN(pfn), order: Order(order))) }
    }

    @inline(__always)
    func emitPcpuDrain(_ pfn: Int, _ order: Int, _ migratetype: Int) {
        if global.pointee.recordsEvents {
            record(.pagePcpuDrain(pfn: PFN(pfn), order: Order(order), migratetype: Migratetype(rawValue: migratetype)!))
        }
    }

    @inline(never)
    func record(_ event: TraceEvent) { events.append(event) }

    // MARK: - __free_one_page

    /// `__free_one_page`: accounts the block, merges it with free buddies of the same order
    /// (checking pageblock types from `pageblock_order` up, retyping a merged buddy's
    /// pageblocks to the freeing type), and links the result at the head or tail of its list.
    func freeOneBlock(_ zone: Zone, _ index: UInt32, order initialOrder: Int, migratetype: Int, toTail fpiToTail: Bool) {
        var pfn = zone.pointee.pfn(index)
        var order = initialOrder
        assert(pfn & ((1 &<< order) - 1) == 0, "__free_one_page: pfn \(pfn) not aligned to order \(order)")
        zone.pointee.accountFreePages(1 &<< order, migratetype)
        var buddyPfn = 0
        while order < maxOrder {
            buddyPfn = pfn ^ (1 &<< order)
            guard let buddy = zone.pointee.frameIndex(buddyPfn),
                  zone.pointee.frames[buddy].state == .buddy, Int(zone.pointee.frames[buddy].order) == order
            else { break }
            var buddyType = migratetype
            if order >= pageblockOrder {
                buddyType = zone.pointee.pageblockMigratetype(buddyPfn)
                if migratetype != buddyType, !isMergeable(migratetype) || !isMergeable(buddyType),
                   !mutant(.mergeIgnoresPageblockType) { break }
            }
            zone.pointee.deleteFreeBlock(buddy, order: order, migratetype: buddyType)
            if buddyType != migratetype, !mutant(.mergeSkipsBuddyRetype) {
                changePageblockRange(zone, buddyPfn, mutant(.mergeRetypesFirstPageblockOnly) ? pageblockOrder : order, migratetype)
            }
            pfn &= buddyPfn
            order += 1
        }
        let toTail = fpiToTail || buddyMergeLikely(zone, pfn: pfn, buddyPfn: buddyPfn, order: order)
        zone.pointee.addFreeBlock(UInt32(truncatingIfNeeded: pfn - zone.pointee.coverageStartPfn), order: order, migratetype: migratetype, tail: toTail)
    }

    /// `buddy_merge_likely`: below `MAX_PAGE_ORDER - 1`, a block goes to the tail when the buddy
    /// of the block one order up is free at that order, so the two may soon merge.
    ///
    /// `page_is_buddy(higher_page, buddy, order + 1)` compares the zone of `higher_page` with the
    /// buddy's. When the last buddy lay below the zone (a zone boundary that is not
    /// MAX_ORDER-aligned), `higher_page` is in that other zone, and so must the buddy be.
    @inline(__always)
    func buddyMergeLikely(_ zone: Zone, pfn: Int, buddyPfn: Int, order: Int) -> Bool {
        if order >= maxOrder - 1 { return false }
        let probeOrder = mutant(.mergeLikelyWrongOrder) ? order : order + 1
        let higherPfn = buddyPfn & pfn
        let higherBuddyPfn = higherPfn ^ (1 &<< probeOrder)
        guard let higherZone = zone.pointee.spans(higherPfn) ? zone : zoneSpanning(higherPfn),
              let candidate = higherZone.pointee.frameIndex(higherBuddyPfn) else { return false }
        return higherZone.pointee.frames[candidate].state == .buddy && Int(higherZone.pointee.frames[candidate].order) == probeOrder
    }

    /// `split_large_buddy`: a block above pageblock_order is freed one pageblock at a time, each
    /// piece with its own pageblock's type.
    func splitLargeBuddy(_ zone: Zone, _ index: UInt32, order: Int, toTail: Bool) {
        var pfn = zone.pointee.pfn(index)
        let end = pfn + (1 &<< order)
        let pieceOrder = min(order, pageblockOrder)
        let firstType = zone.pointee.pageblockMigratetype(pfn)
        repeat {
            let migratetype = mutant(.splitLargeBuddyFirstType) ? firstType : zone.pointee.pageblockMigratetype(pfn)
            freeOneBlock(zone, UInt32(truncatingIfNeeded: pfn - zone.pointee.coverageStartPfn), order: pieceOrder, migratetype: migratetype, toTail: toTail)
            pfn += 1 &<< pieceOrder
        } while pfn < end
    }

    // MARK: - Entry points

    /// `__free_frozen_pages`: `mm_page_free`, then the pcp for pcp orders (ISOLATE pageblocks go
    /// straight to the buddy; HIGHATOMIC and CMA are listed as MOVABLE), else `__free_pages_ok`.
    @inline(__always)
    func freeFrozenPages(_ zone: Zone, _ index: UInt32, order: Int, cpu: Int) {
        let pfn = zone.pointee.pfn(index)
        emitPageFree(pfn, order)
        zone.pointee.frames[index].state = .tail
        zone.pointee.frames[index].flags = 0
        guard pcpAllowedOrder(order) else {
            splitLargeBuddy(zone, index, order: order, toTail: false)
            return
        }
        var migratetype = zone.pointee.pageblockMigratetype(pfn)
        if migratetype >= MigrateIndex.pcpTypes {
            if migratetype == MigrateIndex.isolate {
                splitLargeBuddy(zone, index, order: order, toTail: false)
                return
            }
            migratetype = MigrateIndex.movable
        }
        freeFrozenPageCommit(zone, cpu: cpu, index, migratetype: migratetype, order: order)
    }

    /// `__free_pages_memory` → `__free_pages_core` → `__free_pages_ok(FPI_TO_TAIL)`: releases the
    /// managed runs of every zone into the buddy, in blocks as large as alignment allows. Boot
    /// emits no events.
    func releaseBootMemory() {
        for zoneIndex in 0..<zoneCount {
            let zone = zones + zoneIndex
            guard let geometry = BootLayout.geometry(profile, zoneIndex) else { continue }
            for run in geometry.managedRuns {
                var start = run.start
                while start < run.end {
                    var order = start == 0 ? maxOrder : min(maxOrder, start.trailingZeroBitCount)
                    while start + (1 &<< order) > run.end { order -= 1 }
                    splitLargeBuddy(zone, UInt32(truncatingIfNeeded: start - zone.pointee.coverageStartPfn), order: order, toTail: true)
                    start += 1 &<< order
                }
            }
        }
    }
}
