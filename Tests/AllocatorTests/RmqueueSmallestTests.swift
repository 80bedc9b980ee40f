import BuddyVocabulary
import Testing

/// `__rmqueue_smallest`, `expand` and `page_del_and_expand`: which free block an allocation
/// takes and what is left of it.
@Suite("__rmqueue_smallest and expand")
struct RmqueueSmallestTests {
    /// An order-0 request splits the first order-5 block: the allocation keeps the lowest page
    /// and each upper half goes back one order lower, largest first (16/4, 8/3, 4/2, 2/1, 1/0).
    /// `__rmqueue_smallest` takes from the smallest order that has a block, so the lists that
    /// `expand` fills are always empty before.
    ///
    /// ```
    ///   before  5-------------------------------5-------------------------------
    ///   after   A01-2---3-------4---------------5-------------------------------
    /// ```
    @Test("expand keeps the low half", arguments: implementations)
    func expandKeepsLowHalf(_ implementation: Implementation) {
        let allocator = implementation.boot(LayoutProfiles.oneZone())
        var pfn: PFN?
        let events = allocator.eventsOf { pfn = allocator.allocate(order: 0, gfp: .kernelMovable) }
        #expect(pfn == PFN(0))
        let snapshot = allocator.snapshot()
        let zone = snapshot.zone(.normal)
        #expect(snapshot.layout() == "A01-2---3-------4---------------5-------------------------------")
        for (order, pfn) in [(0, 1), (1, 2), (2, 4), (3, 8), (4, 16)] {
            #expect(zone.list(order: order, .movable) == [pfn], "order \(order)")
        }
        #expect(zone.list(order: 5, .movable) == [32])
        #expect(zone.nrFreePages == 63)
        #expect(zone.nrFreePagesBlocks == 8 + 16 + 32, "blocks of pageblock order (3) and up")
        // The pcp refill of one page goes through __rmqueue_smallest: percpu_refill is true.
        #expect(events == [
            .pageAllocZoneLocked(pfn: PFN(0), order: .zero, migratetype: .movable, percpuRefill: true),
            .pageAlloc(pfn: PFN(0), order: .zero, gfp: .kernelMovable, migratetype: .movable),
        ])
        #expect(snapshot.allocated == [AllocatedBlock(pfn: PFN(0), order: .zero, compound: false, refcount: 1)])
    }

    /// Order 4 is neither a pcp order (≤ 3) nor the THP order (5): the request goes straight to
    /// the buddy, and `percpu_refill` is false. With `__GFP_COMP` the block is compound.
    @Test("a non-pcp order goes to the buddy", arguments: implementations)
    func nonPcpOrder(_ implementation: Implementation) {
        let allocator = implementation.boot(LayoutProfiles.oneZone())
        let gfp: GFPFlags = [.kernelMovable, .comp]
        let events = allocator.eventsOf { allocator.allocate(order: 4, gfp: gfp) }
        #expect(events == [
            .pageAllocZoneLocked(pfn: PFN(0), order: Order(4), migratetype: .movable, percpuRefill: false),
            .pageAlloc(pfn: PFN(0), order: Order(4), gfp: gfp, migratetype: .movable),
        ])
        let snapshot = allocator.snapshot()
        #expect(snapshot.layout() == "Aaaaaaaaaaaaaaaa4---------------5-------------------------------")
        #expect(snapshot.allocated == [AllocatedBlock(pfn: PFN(0), order: Order(4), compound: true, refcount: 1)])
        #expect(snapshot.zone(.normal).pagesets[0].count == 0)
    }

    /// The smallest order wins over list position, and within a list the head wins.
    ///
    /// ```
    ///   AA1-2---1-AAAAAA4---...   free_list[1] = [8, 2], free_list[2] = [4]
    ///   order 1 → 8 (head of the order-1 list), then 2, then order 2 splits nothing: 4
    /// ```
    @Test("the head of the smallest non-empty list", arguments: implementations)
    func headOfSmallestList(_ implementation: Implementation) {
        let allocator = implementation.boot(LayoutProfiles.oneZone())
        allocator.allocate(order: 3, gfp: .kernelMovable)
        allocator.allocate(order: 3, gfp: .kernelMovable)
        allocator.run(.splitPage(pfn: PFN(0), order: Order(3)))
        allocator.run(.splitPage(pfn: PFN(8), order: Order(3)))
        for run in [[9, 8], [4, 5, 6, 7], [3, 2]] {
            for pfn in run { allocator.free(PFN(pfn), order: 0) }
            allocator.run(.drainCPU(cpu: CPUID(0)))
        }
        #expect(allocator.snapshot().layout() == "AA1-2---1-AAAAAA4---------------5-------------------------------")
        #expect(allocator.snapshot().zone(.normal).list(order: 1, .movable) == [8, 2])
        // Order-1 requests go through the pcp list of order 1, refilled one block at a time.
        #expect(allocator.allocate(order: 1, gfp: .kernelMovable) == PFN(8))
        #expect(allocator.allocate(order: 1, gfp: .kernelMovable) == PFN(2))
        #expect(allocator.allocate(order: 2, gfp: .kernelMovable) == PFN(4))
        #expect(allocator.snapshot().layout() == "AAAaAaaaAaAAAAAA4---------------5-------------------------------")
    }
}
