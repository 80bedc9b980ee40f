import BuddyVocabulary

extension ReferencePageAllocator {
    /// `reserve_highatomic_pageblock`: after a successful `ALLOC_HIGHATOMIC` allocation, turn
    /// the page's pageblock into a HIGHATOMIC reserve, up to about 1% of the zone (rounded up
    /// to whole pageblocks; nothing in zones where 1% is below one pageblock). Only mergeable
    /// pageblocks are reserved; a pageblock that straddles the zone's boundary is left alone.
    func reserveHighatomicPageblock(_ zone: Zone, _ page: PFN, order: Int) {
        let onePercent = zone.managedPages / 100
        if onePercent < pageblockPages { return }
        let maxManaged = (onePercent + pageblockPages - 1) / pageblockPages * pageblockPages
        if zone.nrReservedHighatomic >= maxManaged { return }
        let migratetype = pageblockMigratetype(zone, page)
        if !migratetype.isMergeable { return }
        if order < pageblockOrder {
            guard moveFreepagesBlock(zone, page, from: migratetype, to: .highatomic) != nil else { return }
            zone.nrReservedHighatomic += pageblockPages
        } else {
            changePageblockRange(zone, page, order: order, .highatomic)
            zone.nrReservedHighatomic += 1 << order
        }
    }

    /// `unreserve_highatomic_pageblock(ac, force)`: in each zone of the request's zonelist
    /// (keeping a zone's last reserved pageblock unless `force`), the first HIGHATOMIC free
    /// block found from order 0 up has its pageblock converted to the **failing request's**
    /// type. At most one block per call; returns whether one was converted.
    @discardableResult
    func unreserveHighatomicPageblock(_ context: AllocationContext, force: Bool) -> Bool {
        for zone in context.zonelist where context.allows(zone) {
            if !force && zone.nrReservedHighatomic <= pageblockPages { continue }
            for order in 0...maxPageOrder {
                guard let page = headOfFreeArea(zone, order: order, .highatomic) else { continue }
                var size = max(pageblockPages, 1 << order)
                if size > zone.nrReservedHighatomic { size = zone.nrReservedHighatomic }
                zone.nrReservedHighatomic -= size
                let converted: Bool
                if order < pageblockOrder {
                    let moved = moveFreepagesBlock(zone, page, from: .highatomic, to: context.migratetype)
                    converted = (moved ?? 0) > 0
                } else {
                    moveToFreeList(zone, page, order: order, from: .highatomic, to: context.migratetype)
                    changePageblockRange(zone, page, order: order, context.migratetype)
                    converted = true
                }
                if converted { return true }
            }
        }
        return false
    }
}
