import BuddyVocabulary

extension ReferencePageAllocator {
    /// `__free_frozen_pages(page, order, FPI_NONE)` on `cpu`: a block whose last reference was
    /// dropped. pcp orders go to the CPU's pcp list for the pageblock's type (HIGHATOMIC and CMA
    /// as MOVABLE), except into an isolated pageblock, which goes straight to the buddy; other
    /// orders go through `__free_pages_ok`. `free_pages_prepare` emits `mm_page_free` first.
    /// The pcp trylock always succeeds in the model.
    func freeFrozenPages(cpu: CPUID, _ pfn: PFN, order: Int) {
        guard pcpAllowedOrder(order) else {
            freePagesOk(pfn, order: order)
            return
        }
        freePagesPrepare(pfn, order: order)
        guard let zone = zone(containing: pfn) else { preconditionFailure("freeing pfn \(pfn) outside every zone") }
        var migratetype = pageblockMigratetype(zone, pfn)
        if migratetype.rawValue >= Migratetype.pcpTypeCount {
            if migratetype == .isolate {
                freeOnePage(zone, pfn, order: order)
                return
            }
            migratetype = .movable
        }
        freeFrozenPageCommit(zone, zone.pagesets[cpu.rawValue], pfn, migratetype, order: order)
    }

    /// `__free_pages_ok(page, order, FPI_NONE)`: `free_pages_prepare`, then `free_one_page`.
    func freePagesOk(_ pfn: PFN, order: Int) {
        freePagesPrepare(pfn, order: order)
        guard let zone = zone(containing: pfn) else { preconditionFailure("freeing pfn \(pfn) outside every zone") }
        freeOnePage(zone, pfn, order: order)
    }

    /// `free_pages_prepare`: emits `mm_page_free`; the page stops being the head of an allocated
    /// block. The debug checks it runs are the model's bad-free rejections, made before any
    /// change (see `References.swift`).
    func freePagesPrepare(_ pfn: PFN, order: Int) {
        emit(.pageFree(pfn: pfn, order: Order(order)))
        guard let zone = zone(containing: pfn) else { preconditionFailure("freeing pfn \(pfn) outside every zone") }
        zone[pfn] = .tail
    }

    /// `free_one_page` (FPI_NONE): takes the zone lock, which always succeeds in the model, and
    /// hands the block to `split_large_buddy`.
    func freeOnePage(_ zone: Zone, _ pfn: PFN, order: Int) {
        splitLargeBuddy(zone, pfn: pfn, order: order, toTail: false)
    }

    /// `split_large_buddy`: a block above pageblock order is freed one pageblock at a time, each
    /// piece with its own pageblock's current type, so that no merge crosses a type the
    /// pageblocks do not share.
    func splitLargeBuddy(_ zone: Zone, pfn: PFN, order: Int, toTail: Bool) {
        precondition(pfn.isAligned(Order(order)), "split_large_buddy: pfn \(pfn) not aligned to order \(order)")
        let end = pfn.advanced(by: 1 << order)
        let pieceOrder = min(order, pageblockOrder)
        var piece = pfn
        repeat {
            let migratetype = pageblockMigratetype(zone, piece)
            freeOneBuddy(zone, piece, order: pieceOrder, migratetype, toTail: toTail)
            piece = piece.advanced(by: 1 << pieceOrder)
        } while piece != end
    }

    /// `__free_one_page`: merges the block with its free buddy order by order up to
    /// `MAX_PAGE_ORDER` and links the result on `free_list[migratetype]`.
    ///
    /// - At and above pageblock order the buddy lies in another pageblock: a buddy of another
    ///   type stops the merge when either type is not mergeable (HIGHATOMIC, CMA, ISOLATE);
    ///   otherwise the buddy's pageblocks take the freed block's type.
    /// - The merged buddy leaves its list without free-page accounting: the combined block is
    ///   accounted once, up front.
    /// - The result goes to the tail with `FPI_TO_TAIL`, or when `buddy_merge_likely` says the
    ///   next-order buddy is free; to the head otherwise.
    ///
    /// ```
    ///   free 0x4 order 2, buddy 0x0 order 2 free, buddy 0x8 order 3 not free:
    ///   before  [0x0 free o2][0x4 freed o2][0x8 used ...]
    ///   after   [0x0 free o3              ][0x8 used ...]   buddy_pfn last computed: 0x8
    /// ```
    func freeOneBuddy(_ zone: Zone, _ startPfn: PFN, order startOrder: Int, _ migratetype: Migratetype, toTail: Bool) {
        precondition(startPfn.isAligned(Order(startOrder)), "__free_one_page: pfn \(startPfn) not aligned to order \(startOrder)")
        precondition(zone.spans(startPfn), "__free_one_page: pfn \(startPfn) outside \(zone.id)")
        var pfn = startPfn
        var order = startOrder
        // The kernel's `buddy_pfn` starts at 0 and keeps the last computed buddy even when that
        // buddy was not free: `buddy_merge_likely` reads it.
        var buddyPfn = PFN(0)
        accountFreepages(zone, 1 << order, migratetype)
        while order < maxPageOrder {
            buddyPfn = pfn.buddy(atOrder: Order(order))
            guard pageIsBuddy(zone, buddy: buddyPfn, order: order) else { break }
            var buddyMigratetype = migratetype
            if order >= pageblockOrder {
                buddyMigratetype = pageblockMigratetype(zone, buddyPfn)
                if migratetype != buddyMigratetype && (!migratetype.isMergeable || !buddyMigratetype.isMergeable) {
                    break
                }
            }
            deleteFromFreeList(zone, buddyPfn, order: order, buddyMigratetype)
            if buddyMigratetype != migratetype {
                changePageblockRange(zone, buddyPfn, order: order, migratetype)
            }
            pfn = PFN(buddyPfn.rawValue & pfn.rawValue)
            order += 1
        }
        let tail = toTail || buddyMergeLikely(zone, pfn, buddyPfn: buddyPfn, order: order)
        addToFreeList(zone, pfn, order: order, migratetype, toTail: tail)
    }

    /// `buddy_merge_likely`: below `MAX_PAGE_ORDER - 1`, true when the buddy of the would-be
    /// next-order block (`pfn & buddy_pfn`) is a free block of order + 1, so that freeing the
    /// missing piece soon would merge two levels up: such a block goes to the list's tail.
    /// The would-be block may start below the zone (when the last buddy was), so its zone is
    /// looked up.
    func buddyMergeLikely(_ zone: Zone, _ pfn: PFN, buddyPfn: PFN, order: Int) -> Bool {
        if order >= maxPageOrder - 1 { return false }
        let higherPagePfn = PFN(buddyPfn.rawValue & pfn.rawValue)
        let higherBuddyPfn = higherPagePfn.buddy(atOrder: Order(order + 1))
        guard let higherZone = zone.spans(higherPagePfn) ? zone : self.zone(containing: higherPagePfn) else { return false }
        return pageIsBuddy(higherZone, buddy: higherBuddyPfn, order: order + 1)
    }

    /// `pcp_allowed_order`: orders up to `PAGE_ALLOC_COSTLY_ORDER` and `HPAGE_PMD_ORDER`.
    func pcpAllowedOrder(_ order: Int) -> Bool {
        order <= Order.costly.rawValue || order == profile.pmdOrder
    }
}
