import BuddyVocabulary
import Testing

/// `__free_one_page`, `split_large_buddy` and `buddy_merge_likely`: where freed blocks merge
/// and on which end of the free list the result goes.
///
/// Layouts use `LayoutProfiles.oneZone()` (MAX order 5, pageblocks of 8 pages): a digit is the
/// first page of a free block of that order, `-` the rest of it, `A` an allocated page, `p` a
/// page on a pcp list. Order-0 frees wait on the pcp list; `drainCPU` hands them to the buddy
/// oldest first, so the drain replays the frees in the order they were made.
@Suite("__free_one_page")
struct FreeOnePageTests {
    /// Boot frees every managed run as `__free_pages_memory` does, each block through
    /// `split_large_buddy` with `FPI_TO_TAIL`: two order-5 blocks, the second behind the first.
    @Test("boot frees MAX_ORDER blocks to the list's tail", arguments: implementations)
    func bootLayout(_ implementation: Implementation) {
        let snapshot = implementation.boot(LayoutProfiles.oneZone()).snapshot()
        let zone = snapshot.zone(.normal)
        #expect(snapshot.layout() == "5-------------------------------5-------------------------------")
        #expect(zone.list(order: 5, .movable) == [0, 32])
        #expect(zone.nrFreePages == 64)
        #expect(zone.nrFreePagesBlocks == 64)
        #expect(zone.pageblockTypes == Array(repeating: .movable, count: 8))
    }

    /// The DMA zone of `x86-64-4g` is managed from pfn 256 to 4096 (below: reserved pages and
    /// the 640 KiB–1 MiB hole). `__free_pages_memory` frees 256/8, 512/9, 1024/10, 2048/10,
    /// 3072/10; the order-10 blocks cannot merge further.
    @Test("x86-64-4g DMA boots as 256/8 512/9 and three order-10 blocks", arguments: implementations)
    func x86DMABoot(_ implementation: Implementation) {
        let zone = implementation.boot(BuiltInProfiles.x86_64_4GiB).snapshot().zone(.dma)
        #expect(zone.freeBlocks == [[256, 8], [512, 9], [1024, 10], [2048, 10], [3072, 10]])
        #expect(zone.list(order: 10, .movable) == [1024, 2048, 3072])
        #expect(zone.nrFreePages == 3840)
        #expect(zone.nrFreePagesBlocks == 512 + 3 * 1024)
    }

    /// Two order-3 MOVABLE blocks split into single pages, then freed in runs; each run is
    /// drained to the buddy.
    ///
    /// ```
    ///   pfn            0       8       16              32
    ///   split          AAAAAAAAAAAAAAAA4---------------5-----...
    ///   free 9, 8      AAAAAAAA1-AAAAAA4---...   8 merges with 9; 10 is in use: o1, head
    ///   free 4,5,6,7   AAAA2---1-AAAAAA4---...   6 goes to the tail (its o1 buddy 4 is free),
    ///                                            then 7 merges 6+7, 4+6 → 4/2
    ///   free 3, 2      AA1-2---1-AAAAAA4---...   2/1 cannot merge (0 in use), but the buddy
    ///                                            of 0/2 is 4/2, free: buddy_merge_likely →
    ///                                            free_list[1] = [8, 2] (tail)
    ///   free 1, 0      3-------1-AAAAAA4---...   0+1 → 0/1, +2 → 0/2, +4 → 0/3; the buddy of
    ///                                            0/4 is 16/4, free: 0/3 goes to the tail
    /// ```
    @Test("merges, and tail insertion when buddy_merge_likely", arguments: implementations)
    func mergeAndTailInsertion(_ implementation: Implementation) {
        let allocator = implementation.boot(LayoutProfiles.oneZone())
        #expect(allocator.allocate(order: 3, gfp: .kernelMovable) == PFN(0))
        #expect(allocator.allocate(order: 3, gfp: .kernelMovable) == PFN(8))
        allocator.run(.splitPage(pfn: PFN(0), order: Order(3)))
        allocator.run(.splitPage(pfn: PFN(8), order: Order(3)))
        #expect(allocator.snapshot().layout() == "AAAAAAAAAAAAAAAA4---------------5-------------------------------")

        freeAndDrain(allocator, [9, 8])
        #expect(allocator.snapshot().layout() == "AAAAAAAA1-AAAAAA4---------------5-------------------------------")

        freeAndDrain(allocator, [4, 5, 6, 7])
        var zone = allocator.snapshot().zone(.normal)
        #expect(allocator.snapshot().layout() == "AAAA2---1-AAAAAA4---------------5-------------------------------")
        #expect(zone.list(order: 1, .movable) == [8])

        let events = allocator.eventsOf { freeAndDrain(allocator, [3, 2]) }
        zone = allocator.snapshot().zone(.normal)
        #expect(allocator.snapshot().layout() == "AA1-2---1-AAAAAA4---------------5-------------------------------")
        #expect(zone.list(order: 1, .movable) == [8, 2], "2/1 goes to the tail: its order-2 buddy 4 is free")
        #expect(events == [
            .pageFree(pfn: PFN(3), order: .zero), .pageFree(pfn: PFN(2), order: .zero),
            .pagePcpuDrain(pfn: PFN(3), order: .zero, migratetype: .movable),
            .pagePcpuDrain(pfn: PFN(2), order: .zero, migratetype: .movable),
        ])

        freeAndDrain(allocator, [1, 0])
        zone = allocator.snapshot().zone(.normal)
        #expect(allocator.snapshot().layout() == "3-------1-AAAAAA4---------------5-------------------------------")
        #expect(zone.list(order: 3, .movable) == [0])
        #expect(zone.nrFreePages == 64 - 6)
    }

    /// Without a free next-order buddy, a merged block goes to the head.
    ///
    /// ```
    ///   free 9, 8 then 13, 12:  AAAAAAAA1-AA1-AA4---...   12/1: its o2 buddy 8 is order 1,
    ///                                                      not 2 → head: free_list[1] = [12, 8]
    /// ```
    @Test("head insertion otherwise", arguments: implementations)
    func headInsertion(_ implementation: Implementation) {
        let allocator = implementation.boot(LayoutProfiles.oneZone())
        allocator.allocate(order: 3, gfp: .kernelMovable)
        allocator.allocate(order: 3, gfp: .kernelMovable)
        allocator.run(.splitPage(pfn: PFN(8), order: Order(3)))
        freeAndDrain(allocator, [9, 8])
        freeAndDrain(allocator, [13, 12])
        #expect(allocator.snapshot().layout() == "Aaaaaaaa1-AA1-AA4---------------5-------------------------------")
        #expect(allocator.snapshot().zone(.normal).list(order: 1, .movable) == [12, 8])
    }

    /// A block above pageblock order is freed one pageblock at a time (`split_large_buddy`),
    /// each piece merging as it goes: order 4 = two pageblocks, freed as 0/3 then 8/3, which
    /// merge back into 0/4. The 16/4 block is in use, so 0/4 stays.
    @Test("split_large_buddy frees per pageblock", arguments: implementations)
    func splitLargeBuddy(_ implementation: Implementation) {
        let allocator = implementation.boot(LayoutProfiles.oneZone())
        #expect(allocator.allocate(order: 4, gfp: .kernelMovable) == PFN(0))
        #expect(allocator.allocate(order: 4, gfp: .kernelMovable) == PFN(16))
        let events = allocator.eventsOf { allocator.free(PFN(0), order: 4) }
        #expect(events == [.pageFree(pfn: PFN(0), order: Order(4))])
        let zone = allocator.snapshot().zone(.normal)
        #expect(zone.freeBlocks == [[0, 4], [32, 5]])
        #expect(zone.list(order: 4, .movable) == [0])
        #expect(zone.nrFreePagesBlocks == 16 + 32)
    }

    /// `buddy_merge_likely` asks `page_is_buddy(higher_page, higher_buddy)`, whose zone test
    /// compares the zone of the would-be higher block's first page with the zone of its buddy.
    /// Where a zone boundary is not MAX_ORDER-aligned that first page can lie in the zone below:
    /// then even a free buddy of the right order in the freeing page's own zone does not count.
    ///
    /// ```
    ///   DMA32 [0, 40), Normal [40, 128); MAX order 5, pageblocks of 8
    ///   pfn     32      40      48              64
    ///   DMA32   3-------|
    ///   Normal          A       4---------------A-------3-------4--------...
    ///   free 40/3: its buddy 32 is in DMA32, so no merge; higher page 40 & 32 = 32 (DMA32),
    ///   its order-4 buddy 48 is free but in Normal → not likely → head: free_list[3] = [40, 72]
    /// ```
    @Test("buddy_merge_likely compares the zones of the higher page and its buddy", arguments: implementations)
    func mergeLikelyAcrossZones(_ implementation: Implementation) {
        let profile = Profile(
            name: "unaligned", pageSize: 4096, maxPageOrder: 5, pageblockOrder: 3, pmdOrder: 5, cpus: 1,
            sysctl: Profile.Sysctl(minFreeKbytes: 0),
            nodes: [Profile.Node(zones: [
                Profile.Zone(type: .dma32, startPfn: 0, spannedPages: 40),
                Profile.Zone(type: .normal, startPfn: 40, spannedPages: 88),
            ])])
        let allocator = implementation.boot(profile)
        #expect(allocator.snapshot().zone(.normal).freeBlocks == [[40, 3], [48, 4], [64, 5], [96, 5]])
        #expect(allocator.allocate(order: 3, gfp: .kernelMovable) == PFN(40))
        #expect(allocator.allocate(order: 4, gfp: .kernelMovable) == PFN(48))
        #expect(allocator.allocate(order: 3, gfp: .kernelMovable) == PFN(64))
        allocator.free(PFN(48), order: 4)
        allocator.free(PFN(40), order: 3)
        allocator.run(.drainCPU(cpu: CPUID(0)))
        let zone = allocator.snapshot().zone(.normal)
        #expect(zone.freeBlocks == [[40, 3], [48, 4], [72, 3], [80, 4], [96, 5]])
        #expect(zone.list(order: 3, .movable) == [40, 72])
    }

    func freeAndDrain(_ allocator: any PageAllocator, _ pfns: [Int], sourceLocation: SourceLocation = #_sourceLocation) {
        for pfn in pfns { allocator.free(PFN(pfn), order: 0, sourceLocation: sourceLocation) }
        allocator.run(.drainCPU(cpu: CPUID(0)), sourceLocation: sourceLocation)
    }
}
