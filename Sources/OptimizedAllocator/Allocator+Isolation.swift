import BuddyVocabulary

extension SeamedPageAllocator {
    /// `set_migratetype_isolate` (6.17+) on the pageblock holding `pfn`: the block must lie in
    /// one zone's span and not be isolated; `has_unmovable_pages` is not checked, pcp lists are
    /// not drained.
    func isolatePageblock(pfn: Int) -> Outcome {
        guard let zone = zoneSpanning(pfn), let startPfn = pageblockStartInZone(zone, pfn) else {
            return .rejected(Rejection(.pageblockOutsideZone, pfn: PFN(pfn)))
        }
        guard !zone.pointee.pageblockIsolated(startPfn) else { return .rejected(Rejection(.isolationState, pfn: PFN(pfn))) }
        moveFreePagesOfBlockIsolate(zone, startPfn: startPfn, isolate: true)
        return .completed(pagesFreed: 0)
    }

    /// `unset_migratetype_isolate` (6.17+): a free buddy of pageblock_order or more at the block
    /// start whose buddy is free and not isolated is taken off (`__isolate_free_page`) and put
    /// back with the restored type so the two merge; otherwise the block's free pages move back.
    ///
    /// Refused as `isolatePageblock` is, in the same order: first a pageblock not wholly inside
    /// one zone's span (`undo_isolate_page_range`, like `start_isolate_page_range`, takes a range
    /// of a single zone), then one that is not isolated.
    func unisolatePageblock(pfn: Int) -> Outcome {
        guard let zone = zoneSpanning(pfn), let startPfn = pageblockStartInZone(zone, pfn) else {
            return .rejected(Rejection(.pageblockOutsideZone, pfn: PFN(pfn)))
        }
        guard zone.pointee.pageblockIsolated(startPfn) else { return .rejected(Rejection(.isolationState, pfn: PFN(pfn))) }
        if let head = mergeableIsolatedBuddy(zone, startPfn) {
            let order = Int(zone.pointee.frames[head].order)
            isolateFreePage(zone, head, order: order)
            zone.pointee.togglePageblockIsolate(startPfn, false)
            freeOneBlock(zone, head, order: order, migratetype: zone.pointee.pageblockMigratetype(startPfn), toTail: true)
        } else {
            moveFreePagesOfBlockIsolate(zone, startPfn: startPfn, isolate: false)
        }
        return .completed(pagesFreed: 0)
    }

    /// The test of `unset_migratetype_isolate`: the block start heads a free buddy of order in
    /// [pageblock_order, MAX_PAGE_ORDER) whose buddy is free at that order and not isolated.
    func mergeableIsolatedBuddy(_ zone: Zone, _ startPfn: Int) -> UInt32? {
        guard let head = zone.pointee.frameIndex(startPfn), zone.pointee.frames[head].state == .buddy else { return nil }
        let order = Int(zone.pointee.frames[head].order)
        guard order >= pageblockOrder, order < maxOrder else { return nil }
        let buddyPfn = startPfn ^ (1 << order)
        guard let buddy = zone.pointee.frameIndex(buddyPfn), zone.pointee.frames[buddy].state == .buddy,
              Int(zone.pointee.frames[buddy].order) == order, !zone.pointee.pageblockIsolated(buddyPfn)
        else { return nil }
        return head
    }

    /// `__isolate_free_page` on an isolated pageblock (no watermark check applies): off the
    /// free lists; for blocks of at least half a pageblock, each mergeable pageblock it covers
    /// becomes MOVABLE.
    func isolateFreePage(_ zone: Zone, _ index: UInt32, order: Int) {
        let pfn = zone.pointee.pfn(index)
        zone.pointee.deleteFreeBlockAccounted(index, order: order, migratetype: zone.pointee.pageblockMigratetype(pfn))
        guard order >= pageblockOrder - 1 else { return }
        let end = pfn + (1 << order) - 1
        var blockPfn = pfn
        while blockPfn < end {
            let migratetype = zone.pointee.pageblockMigratetype(blockPfn)
            if isMergeable(migratetype) { moveFreepagesBlock(zone, blockPfn, from: migratetype, to: MigrateIndex.movable) }
            blockPfn += pageblockPages
        }
    }

    /// `__move_freepages_block_isolate`: a free buddy larger than a pageblock that straddles the
    /// block is split into pageblocks (`split_large_buddy`) after the isolate bit is toggled;
    /// otherwise the block's free pages move between ISOLATE and the stored type, then the bit
    /// is toggled.
    func moveFreePagesOfBlockIsolate(_ zone: Zone, startPfn: Int, isolate: Bool) {
        if pageblockOrder != maxOrder, !mutant(.isolateSkipsLargeBuddySplit) {
            let buddyPfn = findLargeBuddy(zone, startPfn)
            if let buddy = zone.pointee.frameIndex(buddyPfn), zone.pointee.frames[buddy].state == .buddy,
               Int(zone.pointee.frames[buddy].order) > pageblockOrder {
                let order = Int(zone.pointee.frames[buddy].order)
                zone.pointee.deleteFreeBlockAccounted(buddy, order: order, migratetype: zone.pointee.pageblockMigratetype(buddyPfn))
                zone.pointee.togglePageblockIsolate(startPfn, isolate)
                splitLargeBuddy(zone, buddy, order: order, toTail: false)
                return
            }
        }
        let storedType = zone.pointee.pageblockStoredType(startPfn)
        let (from, to) = isolate ? (storedType, MigrateIndex.isolate) : (MigrateIndex.isolate, storedType)
        let moved = moveFreePagesOfBlock(zone, startPfn: startPfn, from: from, to: to)
        if mutant(.isolationKeepsFreeAccounting) { zone.pointee.nrFreePages += isolate ? moved : -moved }
        zone.pointee.togglePageblockIsolate(startPfn, isolate)
    }

    /// `find_large_buddy`: the head of a free buddy that contains `startPfn`, found by testing the
    /// heads at rising alignments; `startPfn` itself if there is none.
    func findLargeBuddy(_ zone: Zone, _ startPfn: Int) -> Int {
        var order = startPfn != 0 ? startPfn.trailingZeroBitCount : maxOrder
        var pfn = startPfn
        while true {
            if let index = zone.pointee.frameIndex(pfn), zone.pointee.frames[index].state == .buddy {
                return pfn + (1 << Int(zone.pointee.frames[index].order)) > startPfn ? pfn : startPfn
            }
            order += 1
            if order > maxOrder { return startPfn }
            pfn &= ~0 << order
        }
    }
}
