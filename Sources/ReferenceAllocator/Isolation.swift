import BuddyVocabulary

extension ReferencePageAllocator {
    /// `set_migratetype_isolate` (6.17+) on the pageblock holding `pfn`: its free pages move to
    /// the ISOLATE lists and its isolate bit is set, so nothing in it is allocated until it is
    /// un-isolated. Pages on pcp lists stay there (no drain).
    ///
    /// Refused: a pageblock not wholly inside one zone's span, or one already isolated.
    /// Simplification: `has_unmovable_pages` is not checked.
    func isolatePageblock(pfn: PFN) -> Outcome {
        guard let (zone, start) = pageblockInsideOneZone(pfn) else {
            return .rejected(Rejection(.pageblockOutsideZone, pfn: pfn))
        }
        guard !pageblockIsolated(zone, start) else { return .rejected(Rejection(.isolationState, pfn: pfn)) }
        moveFreepagesBlockIsolate(zone, start, isolate: true)
        return .completed(pagesFreed: 0)
    }

    /// `unset_migratetype_isolate` (6.17+) on the pageblock holding `pfn`. When the pageblock
    /// starts with a free block of at least pageblock order (below `MAX_PAGE_ORDER`) whose buddy
    /// is free and not isolated, that block is taken off its list, the first pageblock's
    /// isolate bit cleared, and the block freed again to the tail (`__putback_isolated_page`)
    /// so that it merges; otherwise the pageblock's free pages move back to its type's lists.
    ///
    /// Refused: a pageblock not wholly inside one zone's span, or one not isolated.
    func unisolatePageblock(pfn: PFN) -> Outcome {
        guard let (zone, start) = pageblockInsideOneZone(pfn) else {
            return .rejected(Rejection(.pageblockOutsideZone, pfn: pfn))
        }
        guard pageblockIsolated(zone, start) else { return .rejected(Rejection(.isolationState, pfn: pfn)) }
        var isolatedPage = false
        var order = 0
        if case .buddy(let buddyOrder, _) = zone[start] {
            order = buddyOrder
            if order >= pageblockOrder && order < maxPageOrder {
                let buddy = start.buddy(atOrder: Order(order))
                if pageIsBuddy(zone, buddy: buddy, order: order) && pageblockMigratetype(zone, buddy) != .isolate {
                    isolatedPage = isolateFreePage(zone, start, order: order)
                }
            }
        }
        if isolatedPage {
            setPageblockIsolated(zone, start, false)
            freeOneBuddy(zone, start, order: order, pageblockMigratetype(zone, start), toTail: true)
        } else {
            moveFreepagesBlockIsolate(zone, start, isolate: false)
        }
        return .completed(pagesFreed: 0)
    }

    /// The zone holding the whole pageblock of `pfn` and the pageblock's first pfn, or nil when
    /// the pageblock is outside every zone or straddles a zone's boundary
    /// (`prep_move_freepages_block`).
    private func pageblockInsideOneZone(_ pfn: PFN) -> (Zone, PFN)? {
        guard let zone = zone(containing: pfn), let start = prepMoveFreepagesBlock(zone, pfn) else { return nil }
        return (zone, start)
    }

    /// `__move_freepages_block_isolate` (`pageblock_isolate_and_move_free_pages` /
    /// `pageblock_unisolate_and_move_free_pages`): when the pageblock is part of a larger free
    /// block, that block is taken off its list, the isolate bit toggled, and the block freed
    /// again one pageblock at a time (`split_large_buddy`), each piece with its own type;
    /// otherwise the pageblock's free pages move between its stored type's lists and the ISOLATE
    /// lists and the bit is toggled.
    private func moveFreepagesBlockIsolate(_ zone: Zone, _ start: PFN, isolate: Bool) {
        if pageblockOrder != maxPageOrder {
            let buddyPfn = findLargeBuddy(start)
            if case .buddy(let order, _) = zone[buddyPfn], order > pageblockOrder {
                deleteFromFreeListAccounted(zone, buddyPfn, order: order, pageblockMigratetype(zone, buddyPfn))
                setPageblockIsolated(zone, start, isolate)
                splitLargeBuddy(zone, pfn: buddyPfn, order: order, toTail: false)
                return
            }
        }
        let storedType = pageblockStoredType(zone, start)
        if isolate {
            moveFreepagesBlockPages(zone, pageblockStart: start, from: storedType, to: .isolate)
        } else {
            moveFreepagesBlockPages(zone, pageblockStart: start, from: .isolate, to: storedType)
        }
        setPageblockIsolated(zone, start, isolate)
    }

    /// `find_large_buddy`: the first page of a free block that starts at or before `start` and
    /// reaches past it, found by aligning `start` down order by order up to `MAX_PAGE_ORDER`;
    /// `start` itself when there is none.
    func findLargeBuddy(_ start: PFN) -> PFN {
        var order = start.rawValue == 0 ? maxPageOrder : start.rawValue.trailingZeroBitCount
        var pfn = start
        while true {
            if let blockOrder = buddyOrder(at: pfn) {
                return pfn.advanced(by: 1 << blockOrder) > start ? pfn : start
            }
            order += 1
            if order > maxPageOrder { return start }
            pfn = PFN(pfn.rawValue & (~0 << order))
        }
    }

    /// `PageBuddy(pfn_to_page(pfn)) ? buddy_order(page) : nil`, in whichever zone holds `pfn`.
    private func buddyOrder(at pfn: PFN) -> Int? {
        guard let zone = zone(containing: pfn), case .buddy(let order, _) = zone[pfn] else { return nil }
        return order
    }

    /// `__isolate_free_page` for a block in an isolated pageblock (the only caller here), where
    /// no watermark applies: the block leaves its list, and for blocks of at least half a
    /// pageblock, every mergeable pageblock it covers is made MOVABLE.
    private func isolateFreePage(_ zone: Zone, _ page: PFN, order: Int) -> Bool {
        let migratetype = pageblockMigratetype(zone, page)
        precondition(migratetype == .isolate, "__isolate_free_page is only modelled for isolated pageblocks")
        deleteFromFreeListAccounted(zone, page, order: order, migratetype)
        if order >= pageblockOrder - 1 {
            let end = page.advanced(by: (1 << order) - 1)
            var pageblock = page
            while pageblock < end {
                let type = pageblockMigratetype(zone, pageblock)
                if type.isMergeable {
                    moveFreepagesBlock(zone, pageblock, from: type, to: .movable)
                }
                pageblock = pageblock.advanced(by: pageblockPages)
            }
        }
        return true
    }
}
