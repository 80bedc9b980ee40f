import BuddyVocabulary
import Testing

/// `free_frozen_page_commit`, `nr_pcp_high`, `nr_pcp_free` and `free_pcppages_bulk`: when a
/// free spills from the pcp to the buddy, how much, and from which end of which list.
/// All on `LayoutProfiles.pcp` (batch 7, high_min 32, high_max 4096; one CPU).
@Suite("free_frozen_page_commit and nr_pcp_free")
struct FreeFrozenPageCommitTests {
    /// With a fixed high of 32, 46 pages are allocated (refills 7 + 14 + 25, pfns 0…45, the pcp
    /// is empty afterwards) and pfns 0…39 freed in order. `free_count` counts the frees. The
    /// 32nd free reaches high: `nr_pcp_free` = clamp(free_count 32, batch 7, high − batch 25) =
    /// 25, taken from the list's tail, i.e. the 25 oldest frees, 0…24, in order.
    ///
    /// ```
    ///   after the spill and 8 more frees (pfns 0…63):
    ///   4---------------3-------0pppppppppppppppAAAAAA1-4---------------
    ///   0…23 merged into 0/4 and 16/3; 24 waits for 25, which is still on the pcp
    /// ```
    @Test("a spill frees clamp(free_count, batch, high − batch) oldest pages", arguments: implementations)
    func spill(_ implementation: Implementation) {
        let allocator = implementation.boot(LayoutProfiles.pcp(highFraction: 1024))
        for _ in 0..<46 { allocator.allocate(order: 0, gfp: .kernelMovable) }
        var drained: [[Int]] = []
        for pfn in 0..<40 {
            let events = allocator.eventsOf { allocator.free(PFN(pfn), order: 0) }
            #expect(events.first == .pageFree(pfn: PFN(pfn), order: .zero))
            if !events.drainedPfns.isEmpty { drained.append(events.drainedPfns) }
        }
        #expect(drained == [Array(0..<25)], "one spill, at the 32nd free")
        let snapshot = allocator.snapshot()
        #expect(snapshot.zone(.normal).pagesets[0].count == 15)
        #expect(snapshot.zone(.normal).pagesets[0].freeCount == 40)
        #expect(snapshot.zone(.normal).pagesets[0].high == 32, "high_min == high_max: nr_pcp_high leaves high alone")
        #expect(String(snapshot.layout().prefix(64)) == "4---------------3-------0pppppppppppppppAAAAAA1-4---------------")
    }

    /// With auto-tuning (high_min 32, high_max 4096) the refills grow `high`: 40 pages taken
    /// by refills of 7, 14 and 28 pages leave 9 on the pcp and `high` at 32 + 7 + 14 + 28 = 81.
    /// Freeing the 40 pages brings the count to 49 < 81: no spill, `high` unchanged, and each
    /// free halves `alloc_factor` (3 → 0).
    @Test("no spill below an auto-tuned high", arguments: implementations)
    func noSpillBelowHigh(_ implementation: Implementation) {
        let allocator = implementation.boot(LayoutProfiles.pcp())
        for _ in 0..<40 { allocator.allocate(order: 0, gfp: .kernelMovable) }
        #expect(allocator.snapshot().zone(.normal).pagesets[0].high == 81)
        let events = allocator.eventsOf { for pfn in 0..<40 { allocator.free(PFN(pfn), order: 0) } }
        #expect(events.drainedPfns.isEmpty)
        let pageset = allocator.snapshot().zone(.normal).pagesets[0]
        #expect([pageset.count, pageset.high, pageset.allocFactor] == [49, 81, 0])
    }

    /// High-order frees in a row (`PCPF_PREV_FREE_HIGH_ORDER`) spill everything once
    /// `free_count ≥ batch + high_min / 2` = 23, provided (`PCPF_FREE_HIGH_BATCH` is set: the
    /// 1 MiB cache slice holds 256 > 3 × 7 pages) at least a batch of pages is on the pcp.
    /// 20 order-1 blocks are allocated (7 refills of 3 blocks, `high` 32 + 7 × 7 = 81, one
    /// block left) and freed:
    ///
    /// ```
    ///   free k   free_count before   count after   free_high
    ///   1…12     0…22                4…26          no (free_count < 23)
    ///   13       24                  28            yes → high = max(81 − 224, 32) = 32,
    ///                                              spill min(28, 224) = 28 pages (14 blocks)
    ///   14…16    26…30               2, 4, 6       no (count < batch 7)
    ///   17       32                  8             yes → spill 8 pages (4 blocks)
    ///   18…20                        2, 4, 6       no
    /// ```
    @Test("free_high spills consecutive high-order frees", arguments: implementations)
    func freeHigh(_ implementation: Implementation) {
        let allocator = implementation.boot(LayoutProfiles.pcp())
        var blocks: [PFN] = []
        for _ in 0..<20 { blocks += allocator.allocate(order: 1, gfp: .kernelMovable).map { [$0] } ?? [] }
        var pageset = allocator.snapshot().zone(.normal).pagesets[0]
        #expect([pageset.count, pageset.high] == [2, 81])
        #expect(pageset.flags & PagesetSnapshot.flagFreeHighBatch != 0)
        var spills: [Int: Int] = [:]
        for (index, pfn) in blocks.enumerated() {
            let events = allocator.eventsOf { allocator.free(pfn, order: 1) }
            if !events.drainedPfns.isEmpty { spills[index + 1] = events.drainedPfns.count }
        }
        #expect(spills == [13: 14, 17: 4])
        pageset = allocator.snapshot().zone(.normal).pagesets[0]
        #expect([pageset.count, pageset.high] == [6, 32])
        #expect(pageset.flags & PagesetSnapshot.flagPrevFreeHighOrder != 0)
        // An order-0 free clears PCPF_PREV_FREE_HIGH_ORDER.
        allocator.allocate(order: 0, gfp: .kernelMovable).map { allocator.free($0, order: 0) }
        #expect(allocator.snapshot().zone(.normal).pagesets[0].flags & PagesetSnapshot.flagPrevFreeHighOrder == 0)
    }

    /// `free_pcppages_bulk` starts at the list just freed to and goes round-robin upward,
    /// wrapping to list 0. With high fixed at 32: 20 order-0 pages (refills 7 + 14, one page
    /// left on the pcp) and 6 order-1 blocks (two refills of max(7 >> 1, 2) = 3) are allocated;
    /// the 20 pages are freed (count 21, `free_count` 20), then order-1 blocks:
    ///
    /// ```
    ///   order-1 free   count   free_count before   free_high
    ///   1              23      20                  no (< 7 + 32/2 = 23)
    ///   2              25      22                  no
    ///   3              27      24                  yes: spill min(27, 224) = 27 pages from
    ///                                              list 4 (order 1 MOVABLE): its 3 blocks,
    ///                                              oldest first, then lists 5…13 are empty,
    ///                                              0 is empty, list 1: 21 order-0 pages
    /// ```
    @Test("bulk free starts at the freed list and wraps", arguments: implementations)
    func roundRobin(_ implementation: Implementation) {
        let allocator = implementation.boot(LayoutProfiles.pcp(highFraction: 1024))
        let pages = (0..<20).compactMap { _ in allocator.allocate(order: 0, gfp: .kernelMovable) }
        let pairs = (0..<6).compactMap { _ in allocator.allocate(order: 1, gfp: .kernelMovable) }
        for pfn in pages { allocator.free(pfn, order: 0) }
        let leftover = allocator.snapshot().zone(.normal).pagesets[0].lists[1].last!
        var spills: [[TraceEvent]] = []
        for pfn in pairs.prefix(3) {
            let events = allocator.eventsOf { allocator.free(pfn, order: 1) }
            spills.append(events.filter { if case .pagePcpuDrain = $0 { true } else { false } })
        }
        #expect(spills[0].isEmpty && spills[1].isEmpty)
        let orderOne = pairs.prefix(3).map { TraceEvent.pagePcpuDrain(pfn: $0, order: Order(1), migratetype: .movable) }
        let orderZero = ([leftover] + pages).map { TraceEvent.pagePcpuDrain(pfn: $0, order: .zero, migratetype: .movable) }
        #expect(spills[2] == orderOne + orderZero)
        #expect(allocator.snapshot().zone(.normal).pagesets[0].count == 0)
    }

    /// A spill that brings the zone back above its high watermark clears `ZONE_BELOW_HIGH`,
    /// checked with `zone_watermark_ok(high, ZONE_MOVABLE)`. High fixed at 32: 2044 order-4
    /// blocks leave 64 free pages (= the high watermark), so the next order-0 request sets the
    /// flag. Buddy frees (order 4) and pcp frees below `high` leave the flag alone; the first
    /// spill, with ~190 free pages, clears it.
    /// A spill that brings the zone back above its high watermark clears `ZONE_BELOW_HIGH`
    /// (checked against `lowmem_reserve[ZONE_MOVABLE]`). 2044 order-4 blocks leave 64 free
    /// pages (= high); an order-0 request sets the flag and takes 7 pages; freeing order-4
    /// blocks does not go through the pcp, so a pcp spill is forced by freeing the pages back
    /// after the zone has more free memory.
    @Test("a spill clears ZONE_BELOW_HIGH above the high watermark", arguments: implementations)
    func clearsBelowHigh(_ implementation: Implementation) {
        let allocator = implementation.boot(LayoutProfiles.pcp(highFraction: 1024))
        var big: [PFN] = []
        for _ in 0..<2044 { big += allocator.allocate(order: 4, gfp: .kernelMovable).map { [$0] } ?? [] }
        let small = (0..<7).compactMap { _ in allocator.allocate(order: 0, gfp: .kernelMovable) }
        #expect(allocator.snapshot().zone(.normal).flags.contains(.belowHigh))
        for pfn in big.prefix(10) { allocator.free(pfn, order: 4) }
        #expect(allocator.snapshot().zone(.normal).flags.contains(.belowHigh), "buddy frees do not clear it")
        for pfn in small { allocator.free(pfn, order: 0) }
        #expect(allocator.snapshot().zone(.normal).flags.contains(.belowHigh), "7 pages on the pcp: no spill")
        let more = (0..<40).compactMap { _ in allocator.allocate(order: 0, gfp: .kernelMovable) }
        for pfn in more { allocator.free(pfn, order: 0) }
        #expect(!allocator.snapshot().zone(.normal).flags.contains(.belowHigh))
    }
}
