import BuddyVocabulary

/// Every free block sits on the list of its pageblock's type, highatomic reserves are counted
/// in whole pageblocks, and isolated free pages are left out of `NR_FREE_PAGES`.
///
/// Mirrors the 6.10+ debug check of `__add_to_free_list` / `move_to_free_list` /
/// `__del_page_from_free_list` ("page type is %d, passed migratetype is %d"), with the 6.17+
/// reading of the type (`get_pfnblock_migratetype`: ISOLATE when the isolate bit is set), the
/// accounting of `reserve_highatomic_pageblock` / `unreserve_highatomic_pageblock`
/// (`nr_reserved_highatomic` moves by `pageblock_nr_pages` per pageblock), and
/// `account_freepages` (nothing is counted for ISOLATE).
///
/// A block above pageblock order must cover pageblocks of its list's type only. The kernel
/// breaks this between two pageblocks of one `undo_isolate_page_range`:
/// `unset_migratetype_isolate` on the first pageblock of a free block spanning several
/// isolated pageblocks puts the block back (`__putback_isolated_page`) onto its type's list
/// while the later pageblocks keep their isolate bit, until they are un-isolated in turn. The
/// harness isolates and un-isolates whole MAX_ORDER-aligned ranges in one step (see
/// `UserState.isolationRanges`), so no check ever sees that state, although runs pass through
/// it (on profiles with an order above `pageblock_order` and below `MAX_PAGE_ORDER`, whose free
/// blocks span several pageblocks, such as `tiny`; see
/// `corpus/regressions/isolation-range-putback-spans-two-pageblocks.ops`).
///
/// Rules: `wrong-free-list`, `pageblocks-disagree` (a block above pageblock order covers
/// pageblocks of different types), `highatomic-reserve`, `highatomic-cap` (the 1% cap of
/// `reserve_highatomic_pageblock`), `isolated-pages-counted`, `cma-pageblock` (no pageblock is
/// ever CMA in the model).
public struct PageblockMigratetypeChecker: InvariantChecker {
    public init() {}
    public var name: String { "PageblockMigratetypeChecker" }

    public func check(_ snapshot: StateSnapshot, context: CheckContext) -> [InvariantViolation] {
        var list = ViolationList(checker: name, context: context)
        for zone in context.views(of: snapshot) where !list.isFull {
            checkFreeLists(zone, &list)
            checkPageblockTypes(zone, &list)
            checkIsolatedAccounting(zone, &list)
        }
        return list.violations
    }

    func checkFreeLists(_ zone: ZoneView, _ list: inout ViolationList) {
        for block in zone.freeBlocks {
            guard let type = zone.pageblock(of: block.pfn)?.effectiveType else { continue }
            if type != block.list {
                list.add("wrong-free-list", zone: zone, pfn: block.pfn, order: block.order, migratetype: block.list,
                         expected: "on free_list[\(type)] (pageblock \(zone.pageblock(of: block.pfn)!))", found: "on free_list[\(block.list)]")
                continue
            }
            checkCoveredPageblocks(block, type, zone, &list)
        }
    }

    func checkCoveredPageblocks(_ block: ListedBlock, _ type: Migratetype, _ zone: ZoneView, _ list: inout ViolationList) {
        guard block.order > zone.pageblockOrder else { return }
        var pfn = block.pfn.advanced(by: zone.profile.pageblockPages)
        let end = block.pfn.advanced(by: block.order.pageCount)
        while pfn < end {
            if let other = zone.pageblock(of: pfn), other.effectiveType != type {
                list.add("pageblocks-disagree", zone: zone, pfn: block.pfn, order: block.order, migratetype: type,
                         expected: "every pageblock of \(block.pfn)/\(block.order) \(type)", found: "pageblock \(pfn) \(other)")
                return
            }
            pfn = pfn.advanced(by: zone.profile.pageblockPages)
        }
    }

    func checkPageblockTypes(_ zone: ZoneView, _ list: inout ViolationList) {
        var highatomic = 0
        for (index, state) in zone.snapshot.pageblocks.enumerated() {
            if state.type == .highatomic { highatomic += 1 }
            if state.type == .cma {
                list.add("cma-pageblock", zone: zone, pfn: zone.pageblockStart(index), migratetype: .cma,
                         expected: "no CMA pageblock (no CMA region is modelled)", found: "pageblock \(state)")
            }
        }
        let expected = highatomic * zone.profile.pageblockPages
        if expected != zone.snapshot.nrReservedHighatomic {
            list.add("highatomic-reserve", zone: zone, migratetype: .highatomic,
                     expected: "nr_reserved_highatomic \(expected) (\(highatomic) HighAtomic pageblocks × \(zone.profile.pageblockPages))",
                     found: "nr_reserved_highatomic \(zone.snapshot.nrReservedHighatomic)")
        }
        checkHighatomicCap(zone, &list)
    }

    /// `reserve_highatomic_pageblock` reserves nothing while `managed / 100 < pageblock_nr_pages`,
    /// and only while `nr_reserved_highatomic < max_managed = ALIGN(managed / 100,
    /// pageblock_nr_pages)`. The count moves in whole pageblocks, so before the last reservation
    /// it was at most `max_managed - pageblock_nr_pages`, and a reservation adds one pageblock,
    /// or `1 << order` for an allocation of pageblock order or more: the count never exceeds
    /// `max_managed - pageblock_nr_pages + max(pageblock_nr_pages, 1 << MAX_PAGE_ORDER)`.
    /// `unreserve_highatomic_pageblock` only lowers it, and managed pages never change.
    func checkHighatomicCap(_ zone: ZoneView, _ list: inout ViolationList) {
        let pageblockPages = zone.profile.pageblockPages
        let onePercent = zone.snapshot.managedPages / 100
        let cap: Int
        let rule: String
        if onePercent < pageblockPages {
            cap = 0
            rule = "managed \(zone.snapshot.managedPages) / 100 < pageblock_nr_pages \(pageblockPages): no reserve"
        } else {
            let maxManaged = (onePercent + pageblockPages - 1) / pageblockPages * pageblockPages
            cap = maxManaged - pageblockPages + max(pageblockPages, 1 << zone.profile.maxPageOrder)
            rule = "max_managed \(maxManaged), last reservation at most \(max(pageblockPages, 1 << zone.profile.maxPageOrder)) pages"
        }
        if zone.snapshot.nrReservedHighatomic > cap {
            list.add("highatomic-cap", zone: zone, migratetype: .highatomic,
                     expected: "nr_reserved_highatomic ≤ \(cap) (\(rule))",
                     found: "nr_reserved_highatomic \(zone.snapshot.nrReservedHighatomic)")
        }
    }

    func checkIsolatedAccounting(_ zone: ZoneView, _ list: inout ViolationList) {
        let isolated = zone.freePages(on: .isolate)
        let expected = zone.freePagesAllLists - isolated
        if zone.snapshot.nrFreePages != expected {
            list.add("isolated-pages-counted", zone: zone, migratetype: .isolate,
                     expected: "NR_FREE_PAGES \(expected) (free pages \(zone.freePagesAllLists) − isolated \(isolated))",
                     found: "NR_FREE_PAGES \(zone.snapshot.nrFreePages)")
        }
    }
}
