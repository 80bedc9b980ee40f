import BuddyVocabulary

/// The free-list primitives and pageblock flags of `mm/page_alloc.c`.
extension ReferencePageAllocator {
    // MARK: - Pageblock flags

    /// `get_pfnblock_migratetype`: ISOLATE when the isolate bit is set, else the stored type.
    func pageblockMigratetype(_ zone: Zone, _ pfn: PFN) -> Migratetype {
        zone.pageblocks[zone.pageblockIndex(pfn, pageblockOrder: pageblockOrder)].effectiveType
    }

    /// The stored type without the isolate bit (`__get_pfnblock_flags_mask(.., MIGRATETYPE_MASK)`).
    func pageblockStoredType(_ zone: Zone, _ pfn: PFN) -> Migratetype {
        zone.pageblocks[zone.pageblockIndex(pfn, pageblockOrder: pageblockOrder)].type
    }

    /// `get_pageblock_isolate`
    func pageblockIsolated(_ zone: Zone, _ pfn: PFN) -> Bool {
        zone.pageblocks[zone.pageblockIndex(pfn, pageblockOrder: pageblockOrder)].isolated
    }

    /// `set_pageblock_migratetype`: with grouping by mobility disabled every pcp type is stored
    /// as UNMOVABLE; the write also clears the isolate bit (`MIGRATETYPE_AND_ISO_MASK`). The
    /// kernel refuses ISOLATE here with a warning; no caller passes it.
    func setPageblockMigratetype(_ zone: Zone, _ pfn: PFN, _ migratetype: Migratetype) {
        precondition(migratetype != .isolate, "set_pageblock_migratetype(MIGRATE_ISOLATE)")
        var type = migratetype
        if mobilityGroupingDisabled && type.rawValue < Migratetype.pcpTypeCount { type = .unmovable }
        zone.pageblocks[zone.pageblockIndex(pfn, pageblockOrder: pageblockOrder)] = PageblockState(type: type, isolated: false)
    }

    /// `set_pageblock_isolate` / `clear_pageblock_isolate`: toggles the isolate bit only.
    func setPageblockIsolated(_ zone: Zone, _ pfn: PFN, _ isolated: Bool) {
        zone.pageblocks[zone.pageblockIndex(pfn, pageblockOrder: pageblockOrder)].isolated = isolated
    }

    /// `change_pageblock_range`: retypes the `2^(order - pageblock_order)` pageblocks of a
    /// block of at least pageblock order.
    func changePageblockRange(_ zone: Zone, _ pfn: PFN, order: Int, _ migratetype: Migratetype) {
        for index in 0..<(1 << (order - pageblockOrder)) {
            setPageblockMigratetype(zone, pfn.advanced(by: index * pageblockPages), migratetype)
        }
    }

    // MARK: - Free lists

    /// `account_freepages`: `NR_FREE_PAGES` (and the CMA or highatomic free count) for pages
    /// entering or leaving a free list of `migratetype`; ISOLATE lists are not counted.
    func accountFreepages(_ zone: Zone, _ pages: Int, _ migratetype: Migratetype) {
        if migratetype == .isolate { return }
        zone.nrFreePages += pages
        if migratetype == .cma {
            zone.nrFreeCMAPages += pages
        } else if migratetype == .highatomic {
            zone.nrFreeHighatomic += pages
        }
    }

    /// `set_buddy_order` + `__add_to_free_list`: marks `pfn` PageBuddy of `order` and links it
    /// at the head or tail of `free_list[migratetype]`. `NR_FREE_PAGES_BLOCKS` counts blocks of
    /// at least pageblock order outside ISOLATE lists.
    func addToFreeList(_ zone: Zone, _ pfn: PFN, order: Int, _ migratetype: Migratetype, toTail: Bool) {
        zone[pfn] = .buddy(order: order, list: migratetype)
        if toTail {
            zone.freeArea[order].freeList[migratetype.rawValue].append(pfn)
        } else {
            zone.freeArea[order].freeList[migratetype.rawValue].insert(pfn, at: 0)
        }
        zone.freeArea[order].nrFree += 1
        if order >= pageblockOrder && migratetype != .isolate {
            zone.nrFreePagesBlocks += 1 << order
        }
    }

    /// `__del_page_from_free_list`: unlinks the block from the list it is linked on
    /// (`list_del`) and clears PageBuddy. `migratetype` is what the caller believes the list is;
    /// the kernel uses it only for `NR_FREE_PAGES_BLOCKS` (and a debug warning).
    func deleteFromFreeList(_ zone: Zone, _ pfn: PFN, order: Int, _ migratetype: Migratetype) {
        guard case .buddy(let buddyOrder, let list) = zone[pfn], buddyOrder == order else {
            preconditionFailure("__del_page_from_free_list: pfn \(pfn) is not a free block of order \(order): \(zone[pfn])")
        }
        unlink(zone, pfn, order: order, list: list)
        zone[pfn] = .tail
        zone.freeArea[order].nrFree -= 1
        if order >= pageblockOrder && migratetype != .isolate {
            zone.nrFreePagesBlocks -= 1 << order
        }
    }

    /// `del_page_from_free_list`: `__del_page_from_free_list` plus the free-page accounting.
    func deleteFromFreeListAccounted(_ zone: Zone, _ pfn: PFN, order: Int, _ migratetype: Migratetype) {
        deleteFromFreeList(zone, pfn, order: order, migratetype)
        accountFreepages(zone, -(1 << order), migratetype)
    }

    /// `move_to_free_list`: moves the block to the tail of `free_list[newType]` and moves its
    /// pages from `oldType`'s counters to `newType`'s.
    func moveToFreeList(_ zone: Zone, _ pfn: PFN, order: Int, from oldType: Migratetype, to newType: Migratetype) {
        guard case .buddy(let buddyOrder, let list) = zone[pfn], buddyOrder == order else {
            preconditionFailure("move_to_free_list: pfn \(pfn) is not a free block of order \(order): \(zone[pfn])")
        }
        unlink(zone, pfn, order: order, list: list)
        zone.freeArea[order].freeList[newType.rawValue].append(pfn)
        zone[pfn] = .buddy(order: order, list: newType)
        let pages = 1 << order
        accountFreepages(zone, -pages, oldType)
        accountFreepages(zone, pages, newType)
        if order >= pageblockOrder && (oldType == .isolate) != (newType == .isolate) {
            zone.nrFreePagesBlocks += oldType == .isolate ? pages : -pages
        }
    }

    /// `list_del`: finds the block on the list it is linked on and removes it.
    private func unlink(_ zone: Zone, _ pfn: PFN, order: Int, list: Migratetype) {
        guard let index = zone.freeArea[order].freeList[list.rawValue].firstIndex(of: pfn) else {
            preconditionFailure("pfn \(pfn) is PageBuddy but not on free_list[\(list)] of order \(order)")
        }
        zone.freeArea[order].freeList[list.rawValue].remove(at: index)
    }

    /// `get_page_from_free_area`: the head of `free_list[migratetype]`, if any.
    func headOfFreeArea(_ zone: Zone, order: Int, _ migratetype: Migratetype) -> PFN? {
        zone.freeArea[order].freeList[migratetype.rawValue].first
    }

    /// `page_is_buddy(page, buddy, order)` for a page of `zone`: the buddy is PageBuddy of exactly
    /// `order` and in the same zone, that is, inside `zone`'s span. A pfn outside every zone's
    /// span has no zone in the model.
    func pageIsBuddy(_ zone: Zone, buddy: PFN, order: Int) -> Bool {
        guard zone.spans(buddy), case .buddy(let buddyOrder, _) = zone[buddy] else { return false }
        return buddyOrder == order
    }
}
