import BuddyVocabulary

/// The zone's counters equal a recount of its lists, every managed page is accounted for, and
/// the watermarks are ordered.
///
/// Mirrors `account_freepages` (`NR_FREE_PAGES`, `NR_FREE_CMA_PAGES`, `nr_free_highatomic`),
/// `__add_to_free_list` / `__del_page_from_free_list` (`nr_free`, and `NR_FREE_PAGES_BLOCKS`
/// for blocks of order ≥ `pageblock_order` off the ISOLATE lists), the pcp `count` kept by
/// `free_frozen_page_commit` / `rmqueue_pcplist` / `free_pcppages_bulk`, and
/// `__setup_per_zone_wmarks` (min ≤ low ≤ high ≤ promo), and `boost_watermark` (the boost's
/// steps and its ceiling).
///
/// Rules: `nr_free`, `NR_FREE_PAGES`, `nr_free_highatomic`, `NR_FREE_PAGES_BLOCKS`,
/// `NR_FREE_CMA_PAGES`, `pcp-count`, `managed-pages`, `watermark-order`, `watermark-boost`.
public struct ZoneAccountingChecker: InvariantChecker {
    public init() {}
    public var name: String { "ZoneAccountingChecker" }

    public func check(_ snapshot: StateSnapshot, context: CheckContext) -> [InvariantViolation] {
        var list = ViolationList(checker: name, context: context)
        for zone in context.views(of: snapshot) where !list.isFull {
            checkFreeAreas(zone, &list)
            checkFreeCounters(zone, &list)
            checkPagesets(zone, &list)
            checkManaged(zone, &list)
            checkWatermarks(zone, &list)
            checkWatermarkBoost(zone, boostFactor: snapshot.sysctl.watermarkBoostFactor, &list)
        }
        return list.violations
    }

    func checkFreeAreas(_ zone: ZoneView, _ list: inout ViolationList) {
        for (order, area) in zone.snapshot.freeAreas.enumerated() {
            let listed = area.lists.reduce(0) { $0 + $1.count }
            if area.nrFree != listed {
                list.add("nr_free", zone: zone, order: Order(order),
                         expected: "free_area[\(order)].nr_free \(listed) (blocks on its lists)", found: "nr_free \(area.nrFree)")
            }
        }
    }

    func checkFreeCounters(_ zone: ZoneView, _ list: inout ViolationList) {
        let snapshot = zone.snapshot
        let free = zone.freePagesAllLists - zone.freePages(on: .isolate)
        compare("NR_FREE_PAGES", expected: free, found: snapshot.nrFreePages, "free pages off the ISOLATE lists", zone, &list)
        compare("nr_free_highatomic", expected: zone.freePages(on: .highatomic), found: snapshot.nrFreeHighatomic,
                "pages on the HighAtomic lists", zone, &list)
        compare("NR_FREE_CMA_PAGES", expected: zone.freePages(on: .cma), found: snapshot.nrFreeCMAPages,
                "pages on the CMA lists", zone, &list)
        var blocks = 0
        for block in zone.freeBlocks where block.order >= zone.pageblockOrder && block.list != .isolate {
            blocks += block.order.pageCount
        }
        compare("NR_FREE_PAGES_BLOCKS", expected: blocks, found: snapshot.nrFreePagesBlocks,
                "pages in free blocks of order ≥ \(zone.profile.pageblockOrder) off the ISOLATE lists", zone, &list)
    }

    func compare(_ rule: String, expected: Int, found: Int, _ meaning: String, _ zone: ZoneView, _ list: inout ViolationList) {
        guard expected != found else { return }
        list.add(rule, zone: zone, expected: "\(rule) \(expected) (\(meaning))", found: "\(rule) \(found)")
    }

    func checkPagesets(_ zone: ZoneView, _ list: inout ViolationList) {
        for pageset in zone.snapshot.pagesets {
            var pages = 0
            for (index, entries) in pageset.lists.enumerated() {
                pages += entries.count << ZoneView.order(ofPCPList: index, profile: zone.profile).rawValue
            }
            if pages != pageset.count {
                list.add("pcp-count", zone: zone, expected: "cpu \(pageset.cpu) pcp count \(pages) (pages on its lists)", found: "count \(pageset.count)")
            }
        }
    }

    func checkManaged(_ zone: ZoneView, _ list: inout ViolationList) {
        let free = zone.freePagesAllLists
        let pcp = zone.pcpBlocks.reduce(0) { $0 + $1.order.pageCount }
        let allocated = zone.allocated.reduce(0) { $0 + $1.order.pageCount }
        if free + pcp + allocated != zone.snapshot.managedPages {
            list.add("managed-pages", zone: zone,
                     expected: "managed \(zone.snapshot.managedPages) = free + pcp + allocated",
                     found: "free \(free) + pcp \(pcp) + allocated \(allocated) = \(free + pcp + allocated)")
        }
    }

    func checkWatermarks(_ zone: ZoneView, _ list: inout ViolationList) {
        let marks = zone.snapshot.watermarks
        guard marks.count == Watermark.allCases.count else {
            list.add("watermark-order", zone: zone, expected: "\(Watermark.allCases.count) watermarks", found: "\(marks.count)")
            return
        }
        if !(marks[0] <= marks[1] && marks[1] <= marks[2] && marks[2] <= marks[3]) {
            list.add("watermark-order", zone: zone, expected: "min ≤ low ≤ high ≤ promo",
                     found: marks.map(String.init).joined(separator: " / "))
        }
    }

    /// `boost_watermark` raises `watermark_boost` to `min(boost + pageblock_nr_pages,
    /// max_boost)`, `max_boost = max(pageblock_nr_pages, mult_frac(high, watermark_boost_factor,
    /// 10000))`, and does nothing when the factor is 0, the zone has fewer than four pageblocks
    /// or `mult_frac` is 0. Only `__setup_per_zone_wmarks` changes `high`, and it sets the boost
    /// to 0; kswapd's balancing sets it to 0. So the boost is always a whole number of pageblocks
    /// or exactly `max_boost`, never above it, and 0 where boosting is off.
    func checkWatermarkBoost(_ zone: ZoneView, boostFactor: Int, _ list: inout ViolationList) {
        let boost = zone.snapshot.watermarkBoost
        guard boost != 0, zone.snapshot.watermarks.count == Watermark.allCases.count else { return }
        let pageblockPages = zone.profile.pageblockPages
        let high = zone.snapshot.watermarks[Watermark.high.rawValue]
        let scaled = high / 10_000 * boostFactor + high % 10_000 * boostFactor / 10_000
        if boostFactor == 0 || pageblockPages * 4 > zone.snapshot.managedPages || scaled == 0 {
            list.add("watermark-boost", zone: zone, expected: "watermark_boost 0 (boost_watermark never boosts this zone)", found: "watermark_boost \(boost)")
            return
        }
        let maxBoost = max(pageblockPages, scaled)
        if boost > maxBoost || (boost != maxBoost && boost % pageblockPages != 0) {
            list.add("watermark-boost", zone: zone,
                     expected: "watermark_boost a multiple of \(pageblockPages) up to max_boost \(maxBoost), or max_boost (high \(high), watermark_boost_factor \(boostFactor))",
                     found: "watermark_boost \(boost)")
        }
    }
}
