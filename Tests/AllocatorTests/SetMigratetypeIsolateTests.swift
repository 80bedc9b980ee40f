import BuddyVocabulary
import Testing

/// `set_migratetype_isolate` / `unset_migratetype_isolate` (6.17+: the isolate bit), with
/// `__move_freepages_block_isolate`, `find_large_buddy`, `__isolate_free_page` and
/// `__putback_isolated_page`. Layouts on `LayoutProfiles.oneZone()`.
@Suite("pageblock isolation")
struct SetMigratetypeIsolateTests {
    /// Isolating pageblock 1 (pfns 8–15) of the free block 0/5: `find_large_buddy` finds 0/5,
    /// which is taken off its list and freed again one pageblock at a time; the isolated piece
    /// goes to the ISOLATE list and does not merge with its MOVABLE neighbours. ISOLATE pages
    /// are not in `NR_FREE_PAGES`.
    ///
    /// ```
    ///   before  5-------------------------------5-------------------------------
    ///   after   3-------3-------4---------------5-------------------------------
    ///                   ^ ISOLATE
    /// ```
    /// Un-isolating it: the pageblock starts with a free block of pageblock order whose buddy
    /// 0/3 is free and not isolated, so the block is taken off, the bit cleared, and the block
    /// freed again to the tail (`FPI_TO_TAIL`): it merges back to 0/5, now behind 32/5.
    @Test("isolate splits the large free block; unisolate merges it back", arguments: implementations)
    func isolateAndUnisolate(_ implementation: Implementation) {
        let allocator = implementation.boot(LayoutProfiles.oneZone())
        var events = allocator.eventsOf { allocator.run(.isolatePageblock(pfn: PFN(12))) }
        #expect(events.isEmpty)
        var zone = allocator.snapshot().zone(.normal)
        #expect(allocator.snapshot().layout() == "3-------3-------4---------------5-------------------------------")
        #expect(zone.pageblocks[1] == PageblockState(type: .movable, isolated: true))
        #expect(zone.list(order: 3, .isolate) == [8])
        #expect(zone.list(order: 3, .movable) == [0])
        #expect(zone.list(order: 4, .movable) == [16])
        #expect(zone.nrFreePages == 56)
        #expect(zone.nrFreePagesBlocks == 56)

        events = allocator.eventsOf { allocator.run(.unisolatePageblock(pfn: PFN(8))) }
        #expect(events.isEmpty)
        zone = allocator.snapshot().zone(.normal)
        #expect(zone.pageblocks[1] == PageblockState(type: .movable, isolated: false))
        #expect(zone.list(order: 5, .movable) == [32, 0])
        #expect(zone.nrFreePages == 64)
    }

    /// Nothing is allocated from an isolated pageblock, and a page freed into one bypasses the
    /// pcp and merges only within ISOLATE. Un-isolating then merges across.
    ///
    /// ```
    ///   alloc 0, isolate pb 0   A01-2---3-------4---------------5-----…   1, 2/1, 4/2 → ISOLATE
    ///   order-3 request         A01-2---Aaaaaaaa4---------------5-----…   8/3, not the isolated 4/2
    ///   free 0                  3-------Aaaaaaaa4---------------5-----…   0/3 on ISOLATE
    ///   free 8, unisolate 0     0/3 + 8/3 → 0/4 + 16/4 → 0/5, to the tail
    /// ```
    @Test("isolated pageblocks are not allocated from; frees go to ISOLATE", arguments: implementations)
    func isolatedPageblockInUse(_ implementation: Implementation) {
        let allocator = implementation.boot(LayoutProfiles.oneZone())
        #expect(allocator.allocate(order: 0, gfp: .kernelMovable) == PFN(0))
        allocator.run(.isolatePageblock(pfn: PFN(0)))
        var zone = allocator.snapshot().zone(.normal)
        #expect(zone.list(order: 0, .isolate) == [1])
        #expect(zone.list(order: 2, .isolate) == [4])
        #expect(zone.nrFreePages == 63 - 7)
        #expect(allocator.allocate(order: 3, gfp: .kernelMovable) == PFN(8))

        let events = allocator.eventsOf { allocator.free(PFN(0), order: 0) }
        #expect(events == [.pageFree(pfn: PFN(0), order: .zero)])
        zone = allocator.snapshot().zone(.normal)
        #expect(zone.list(order: 3, .isolate) == [0])
        #expect(zone.pagesets[0].count == 0)

        allocator.free(PFN(8), order: 3)
        allocator.run(.drainCPU(cpu: CPUID(0)))
        allocator.run(.unisolatePageblock(pfn: PFN(7)))
        zone = allocator.snapshot().zone(.normal)
        #expect(zone.list(order: 5, .movable) == [32, 0])
        #expect(zone.pageblocks[0] == PageblockState(type: .movable, isolated: false))
    }

    /// Pages already on a pcp list stay there when their pageblock is isolated; a drain frees
    /// them with the pageblock's type at that moment: ISOLATE.
    @Test("pcp pages of an isolated pageblock drain to ISOLATE", arguments: implementations)
    func pcpPagesDrainToIsolate(_ implementation: Implementation) {
        let allocator = implementation.boot(LayoutProfiles.oneZone())
        let page = allocator.allocate(order: 0, gfp: .kernelMovable)!
        allocator.free(page, order: 0)
        allocator.run(.isolatePageblock(pfn: page))
        #expect(allocator.snapshot().zone(.normal).pagesets[0].count == 1)
        let events = allocator.eventsOf { allocator.run(.drainCPU(cpu: CPUID(0))) }
        #expect(events == [.pagePcpuDrain(pfn: page, order: .zero, migratetype: .isolate)])
        #expect(allocator.snapshot().zone(.normal).list(order: 3, .isolate) == [0])
    }

    /// `unset_migratetype_isolate` on a pageblock that starts a free block of order
    /// `pageblock_order + 1` (possible when `MAX_PAGE_ORDER − pageblock_order ≥ 2`, as here and
    /// in `tiny`) clears the isolate bit of that first pageblock only, then frees the whole
    /// block with the first pageblock's type. The second pageblock, still isolated, ends up
    /// inside a MOVABLE free block and counted in `NR_FREE_PAGES` until it is un-isolated
    /// itself, which splits the block again. This is the kernel's behaviour (callers
    /// un-isolate whole ranges, pageblock by pageblock); the model keeps it.
    ///
    /// ```
    ///   alloc 0/3, 8/3; isolate pb 0, pb 1; free both   0/4 on ISOLATE (I I), 16/4, 32/5
    ///   unisolate pb 0      0/5 on MOVABLE, pageblocks M I M M: the transient state
    ///   unisolate pb 1      0/5 split per pageblock and merged again: M M M M, head insertion
    /// ```
    @Test("un-isolating the first pageblock of a two-pageblock free block", arguments: implementations)
    func unisolateFirstOfTwo(_ implementation: Implementation) {
        let allocator = implementation.boot(LayoutProfiles.oneZone())
        #expect(allocator.allocate(order: 3, gfp: .kernelMovable) == PFN(0))
        #expect(allocator.allocate(order: 3, gfp: .kernelMovable) == PFN(8))
        allocator.run(.isolatePageblock(pfn: PFN(0)))
        allocator.run(.isolatePageblock(pfn: PFN(8)))
        allocator.free(PFN(0), order: 3)
        allocator.free(PFN(8), order: 3)
        var zone = allocator.snapshot().zone(.normal)
        #expect(zone.list(order: 4, .isolate) == [0])
        #expect(zone.nrFreePages == 48)

        allocator.run(.unisolatePageblock(pfn: PFN(0)))
        zone = allocator.snapshot().zone(.normal)
        #expect(zone.list(order: 5, .movable) == [32, 0])
        #expect(Array(zone.pageblocks.prefix(2)) == [PageblockState(type: .movable), PageblockState(type: .movable, isolated: true)])
        #expect(zone.nrFreePages == 64, "the isolated pageblock's pages are counted while inside the MOVABLE block")

        allocator.run(.unisolatePageblock(pfn: PFN(8)))
        zone = allocator.snapshot().zone(.normal)
        #expect(zone.list(order: 5, .movable) == [0, 32])
        #expect(zone.pageblockTypes == Array(repeating: .movable, count: 8))
        #expect(zone.nrFreePages == 64)
    }

    /// Refused, changing nothing: isolating twice, un-isolating a pageblock that is not
    /// isolated, a pageblock that straddles a zone's start (`x86-64-4g` DMA starts at pfn 1, so
    /// its first pageblock 0–511 is not wholly inside), and a pfn in no zone. Un-isolation checks
    /// the zone first, as isolation does: the kernel's range functions
    /// (`start_isolate_page_range`, `undo_isolate_page_range`) both take a range of one zone.
    @Test("isolation refusals", arguments: implementations)
    func refusals(_ implementation: Implementation) {
        let allocator = implementation.boot(LayoutProfiles.oneZone())
        allocator.run(.isolatePageblock(pfn: PFN(8)))
        let before = allocator.snapshot()
        #expect(allocator.apply(.isolatePageblock(pfn: PFN(9))) == .rejected(Rejection(.isolationState, pfn: PFN(9))))
        #expect(allocator.apply(.unisolatePageblock(pfn: PFN(16))) == .rejected(Rejection(.isolationState, pfn: PFN(16))))
        #expect(allocator.apply(.isolatePageblock(pfn: PFN(64))) == .rejected(Rejection(.pageblockOutsideZone, pfn: PFN(64))))
        #expect(allocator.apply(.unisolatePageblock(pfn: PFN(-8))) == .rejected(Rejection(.pageblockOutsideZone, pfn: PFN(-8))))
        #expect(allocator.snapshot() == before)

        let x86 = implementation.boot(BuiltInProfiles.x86_64_4GiB)
        #expect(x86.apply(.isolatePageblock(pfn: PFN(300))) == .rejected(Rejection(.pageblockOutsideZone, pfn: PFN(300))))
        #expect(x86.apply(.unisolatePageblock(pfn: PFN(300))) == .rejected(Rejection(.pageblockOutsideZone, pfn: PFN(300))))
        #expect(x86.apply(.isolatePageblock(pfn: PFN(600))) == .completed(pagesFreed: 0))
    }
}
