import BuddyVocabulary

extension SeamedPageAllocator {
    /// `reserve_highatomic_pageblock`: after a successful `ALLOC_HIGHATOMIC` allocation, the
    /// page's pageblock(s) become HIGHATOMIC, up to about 1% of the zone (none in zones where 1%
    /// is under a pageblock).
    func reserveHighatomicPageblock(_ zone: Zone, _ pfn: Int, order: Int) {
        let onePercent = zone.pointee.managedPages / 100
        if onePercent < pageblockPages { return }
        let maxManaged = (onePercent + pageblockPages - 1) & ~(pageblockPages - 1)
        if zone.pointee.nrReservedHighatomic >= maxManaged, !mutant(.highatomicReserveUncapped) { return }
        let migratetype = zone.pointee.pageblockMigratetype(pfn)
        if !isMergeable(migratetype) { return }
        if order < pageblockOrder {
            if moveFreepagesBlock(zone, pfn, from: migratetype, to: MigrateIndex.highatomic) == -1 { return }
            zone.pointee.nrReservedHighatomic += pageblockPages
        } else {
            changePageblockRange(zone, pfn, order, MigrateIndex.highatomic)
            zone.pointee.nrReservedHighatomic += 1 << order
        }
    }

    /// `unreserve_highatomic_pageblock`: in zonelist order, the first HIGHATOMIC free block (by
    /// order) of a zone with a reserve goes back to the failing request's type; the last
    /// reserved pageblock of a zone is kept unless `force`. At most one block per call.
    @discardableResult
    func unreserveHighatomicPageblock(_ context: AllocationContext, force: Bool) -> Bool {
        for position in 0..<context.zonelistCount {
            let zone = zones + context.zonelist[position]
            if !force, zone.pointee.nrReservedHighatomic <= pageblockPages { continue }
            for order in 0..<orderCount {
                guard let index = zone.pointee.firstFreeBlock(order: order, migratetype: MigrateIndex.highatomic) else { continue }
                let target = mutant(.unreserveToMovable) ? MigrateIndex.movable : context.migratetype
                if unreserveBlock(zone, index, order: order, to: target) { return true }
            }
        }
        return false
    }

    /// One block of `unreserve_highatomic_pageblock`: the reserve shrinks by the block's
    /// pageblocks (clamped to what is left), and the block moves to `migratetype`. False when the
    /// pageblock could not be moved (it leaves the zone).
    func unreserveBlock(_ zone: Zone, _ index: UInt32, order: Int, to migratetype: Int) -> Bool {
        var size = max(pageblockPages, 1 << order)
        if size > zone.pointee.nrReservedHighatomic { size = zone.pointee.nrReservedHighatomic }
        if !mutant(.unreserveKeepsCount) { zone.pointee.nrReservedHighatomic -= size }
        let pfn = zone.pointee.pfn(index)
        if order < pageblockOrder {
            return moveFreepagesBlock(zone, pfn, from: MigrateIndex.highatomic, to: migratetype) > 0
        }
        zone.pointee.moveFreeBlock(index, order: order, from: MigrateIndex.highatomic, to: migratetype, accounted: !mutant(.moveSkipsAccounting))
        changePageblockRange(zone, pfn, order, migratetype)
        return true
    }
}
