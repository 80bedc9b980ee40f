import BuddyVocabulary
import Testing

/// `__rmqueue_claim`, `try_to_claim_block`, `__rmqueue_steal`, `find_suitable_fallback`,
/// `should_try_claim_block`, `boost_watermark` and the `rmqueue_bulk` mode caching.
///
/// On `LayoutProfiles.fallback` (one DMA32 zone of 256 pages, pageblocks of 8 pages, MAX order
/// 5): a claim below pageblock order needs `free + alike ≥ 4` (half a pageblock); a MOVABLE
/// request may claim from order `pageblock_order / 2` = 1 up. Requests carry `__GFP_MEMALLOC`
/// so that they pass the watermarks once memory is scarce (the slow path retries with
/// `ALLOC_NO_WATERMARKS`); the rules under test do not depend on it.
@Suite("fallbacks: claim and steal")
struct RmqueueFallbackTests {
    static let unmovable: GFPFlags = [.kernel, .memalloc]
    static let movable: GFPFlags = [.kernelMovable, .memalloc]

    /// An UNMOVABLE request on a fresh zone claims the largest MOVABLE block whole (order 5 ≥
    /// pageblock order): all four pageblocks become UNMOVABLE and the split remainders go to the
    /// UNMOVABLE lists. No `mm_page_alloc_zone_locked` on this path, and no boost.
    ///
    /// ```
    ///   pageblocks  U U U U M M M M … (28 M)
    ///   pfn 0…31    A01-2---3-------4---------------
    /// ```
    @Test("a block of pageblock order or more is claimed whole", arguments: implementations)
    func claimWholeBlock(_ implementation: Implementation) {
        let allocator = implementation.boot(LayoutProfiles.fallback)
        let events = allocator.eventsOf { allocator.allocate(order: 0, gfp: Self.unmovable) }
        #expect(events == [
            .pageAllocExtfrag(pfn: PFN(0), allocOrder: .zero, fallbackOrder: Order(5),
                              allocMigratetype: .unmovable, fallbackMigratetype: .movable, changeOwnership: true),
            .pageAlloc(pfn: PFN(0), order: .zero, gfp: Self.unmovable, migratetype: .unmovable),
        ])
        let snapshot = allocator.snapshot()
        let zone = snapshot.zone(.dma32)
        #expect(zone.pageblockTypes == [.unmovable, .unmovable, .unmovable, .unmovable] + Array(repeating: .movable, count: 28))
        #expect(String(snapshot.layout(.dma32).prefix(32)) == "A01-2---3-------4---------------")
        #expect(zone.list(order: 4, .unmovable) == [16])
        #expect(zone.list(order: 5, .movable).first == 32)
        #expect(zone.watermarkBoost == 0)
        #expect(zone.nrFreePages == 255)
    }

    /// Everything but pageblock 0 is allocated; it is UNMOVABLE with 7 free pages (1/0, 2/1,
    /// 4/2). A MOVABLE request tries the largest fallback first: 4/2 (order 2 ≥ 1 may be
    /// claimed). Below pageblock order the claim first boosts the watermark (+8, and
    /// `ZONE_BOOSTED_WATERMARK` for a kswapd-waking request, cleared again at the end of
    /// `rmqueue`), then counts: free 7 + alike 0 (no page is on an LRU) ≥ 4, so the pageblock's
    /// free pages move to the MOVABLE lists and the pageblock turns MOVABLE; the page comes from
    /// `__rmqueue_smallest(MOVABLE)`: 1, not from the candidate block 4/2. The pcp refill takes
    /// two pages (alloc_factor 1): 1, then 2 (split, 3 left on MOVABLE).
    @Test("below pageblock order: claimed when free + alike reaches half", arguments: implementations)
    func claimBelowPageblockOrder(_ implementation: Implementation) {
        let allocator = implementation.boot(LayoutProfiles.fallback)
        Self.leaveUnmovableFragments(allocator, keep: [1, 2, 4])
        let zoneBefore = allocator.snapshot().zone(.dma32)
        #expect(zoneBefore.freeBlocks == [[1, 0], [2, 1], [4, 2]])
        #expect(zoneBefore.pageblockTypes.first == .unmovable)

        let events = allocator.eventsOf { allocator.allocate(order: 0, gfp: Self.movable) }
        #expect(events == [
            .pageAllocZoneLocked(pfn: PFN(1), order: .zero, migratetype: .movable, percpuRefill: true),
            .pageAllocExtfrag(pfn: PFN(1), allocOrder: .zero, fallbackOrder: Order(2),
                              allocMigratetype: .movable, fallbackMigratetype: .unmovable, changeOwnership: true),
            .pageAllocZoneLocked(pfn: PFN(2), order: .zero, migratetype: .movable, percpuRefill: true),
            .pageAlloc(pfn: PFN(1), order: .zero, gfp: Self.movable, migratetype: .movable),
        ])
        let zone = allocator.snapshot().zone(.dma32)
        #expect(zone.pageblockTypes.first == .movable)
        #expect(zone.list(order: 0, .movable) == [3])
        #expect(zone.list(order: 2, .movable) == [4])
        #expect(zone.watermarkBoost == 8)
        #expect(!zone.flags.contains(.boostedWatermark), "set by the boost, cleared at the end of rmqueue")
    }

    /// As above, but 4/2 is allocated too: 3 free pages (1/0, 2/1) < 4. The claim of 2/1
    /// (order 1) boosts and fails; order 0 is below `pageblock_order / 2` for a MOVABLE
    /// request, so the claim search stops (-2). `__rmqueue_steal` then takes the smallest
    /// fallback block, 1/0, and the pageblock stays UNMOVABLE (`change_ownership` 0). The refill
    /// caches `RMQUEUE_STEAL`: its second page is stolen straight away (2/1 split, 3 left on
    /// the UNMOVABLE list) without another claim attempt, so the boost is 8, not 16.
    @Test("below the threshold: stolen, and the steal mode is cached", arguments: implementations)
    func stealBelowThreshold(_ implementation: Implementation) {
        let allocator = implementation.boot(LayoutProfiles.fallback)
        Self.leaveUnmovableFragments(allocator, keep: [1, 2])
        #expect(allocator.snapshot().zone(.dma32).freeBlocks == [[1, 0], [2, 1]])

        let events = allocator.eventsOf { allocator.allocate(order: 0, gfp: Self.movable) }
        #expect(events == [
            .pageAllocExtfrag(pfn: PFN(1), allocOrder: .zero, fallbackOrder: .zero,
                              allocMigratetype: .movable, fallbackMigratetype: .unmovable, changeOwnership: false),
            .pageAllocExtfrag(pfn: PFN(2), allocOrder: .zero, fallbackOrder: Order(1),
                              allocMigratetype: .movable, fallbackMigratetype: .unmovable, changeOwnership: false),
            .pageAlloc(pfn: PFN(1), order: .zero, gfp: Self.movable, migratetype: .movable),
        ])
        let zone = allocator.snapshot().zone(.dma32)
        #expect(zone.pageblockTypes.first == .unmovable)
        #expect(zone.list(order: 0, .unmovable) == [3])
        #expect(zone.watermarkBoost == 8)
    }

    /// The boost stays until kswapd has balanced the node; `kswapdBalanced` clears it together
    /// with `ZONE_BOOSTED_WATERMARK` and `ZONE_BELOW_HIGH`. The boost raises every watermark.
    @Test("kswapd balancing clears the boost", arguments: implementations)
    func kswapdBalanced(_ implementation: Implementation) {
        let allocator = implementation.boot(LayoutProfiles.fallback)
        Self.leaveUnmovableFragments(allocator, keep: [1, 2])
        allocator.allocate(order: 0, gfp: GFPFlags([.kernelMovable, .memalloc]).subtracting(.kswapdReclaim))
        var zone = allocator.snapshot().zone(.dma32)
        #expect(zone.watermarkBoost == 8)
        #expect(zone.flags == [.belowHigh], "no kswapd wakeup requested: ZONE_BOOSTED_WATERMARK stays clear")
        #expect(zone.watermark(.high) == 24 + 8)
        #expect(allocator.apply(.kswapdBalanced(node: NodeID(1))) == .rejected(Rejection(.noSuchCPUOrNode, pfn: nil)))
        allocator.run(.kswapdBalanced(node: NodeID(0)))
        zone = allocator.snapshot().zone(.dma32)
        #expect(zone.watermarkBoost == 0)
        #expect(zone.flags.isEmpty)
    }

    /// An UNMOVABLE request falling back to a MOVABLE pageblock counts every page that is not
    /// free and not movable as alike (`pageblock_nr_pages − free − movable`): with one free page
    /// the pageblock is claimed (1 + 7 ≥ 4), even at order 0.
    @Test("UNMOVABLE claims a MOVABLE pageblock with a single free page", arguments: implementations)
    func unmovableClaimsMovablePageblock(_ implementation: Implementation) {
        let allocator = implementation.boot(LayoutProfiles.fallback)
        #expect(allocator.allocate(order: 0, gfp: Self.movable) == PFN(0))
        // 0/5 split for MOVABLE: 1/0 2/1 4/2 8/3 16/4; take all but 1/0 and the other blocks.
        for (order, pfn) in [(4, 16), (3, 8), (2, 4), (1, 2)] {
            #expect(allocator.allocate(order: order, gfp: Self.movable) == PFN(pfn))
        }
        for index in 1..<8 { #expect(allocator.allocate(order: 5, gfp: Self.movable) == PFN(32 * index)) }
        #expect(allocator.snapshot().zone(.dma32).freeBlocks == [[1, 0]])

        let events = allocator.eventsOf { allocator.allocate(order: 0, gfp: Self.unmovable) }
        #expect(events == [
            .pageAllocZoneLocked(pfn: PFN(1), order: .zero, migratetype: .unmovable, percpuRefill: true),
            .pageAllocExtfrag(pfn: PFN(1), allocOrder: .zero, fallbackOrder: .zero,
                              allocMigratetype: .unmovable, fallbackMigratetype: .movable, changeOwnership: true),
            .pageAlloc(pfn: PFN(1), order: .zero, gfp: Self.unmovable, migratetype: .unmovable),
        ])
        #expect(allocator.snapshot().zone(.dma32).pageblockTypes.first == .unmovable)
    }

    /// In the Normal zone the fast path carries `ALLOC_NOFRAGMENT`: only whole pageblocks may be
    /// claimed and nothing is stolen. With only small MOVABLE fragments left (pageblock 0: 1/0,
    /// 2/1, 4/2), the first pass fails and `get_page_from_freelist` retries without it, which
    /// claims pageblock 0 (alike 8 − 7 = 1, free 7).
    @Test("ALLOC_NOFRAGMENT first, then fragmenting fallbacks", arguments: implementations)
    func noFragmentFirst(_ implementation: Implementation) {
        let allocator = implementation.boot(LayoutProfiles.oneZone())
        #expect(allocator.allocate(order: 0, gfp: .kernelMovable) == PFN(0))
        for (order, pfn) in [(5, 32), (4, 16), (3, 8)] {
            #expect(allocator.allocate(order: order, gfp: .kernelMovable) == PFN(pfn))
        }
        #expect(allocator.snapshot().zone(.normal).freeBlocks == [[1, 0], [2, 1], [4, 2]])
        let events = allocator.eventsOf { allocator.allocate(order: 0, gfp: .kernel) }
        let extfrag = events.filter { if case .pageAllocExtfrag = $0 { true } else { false } }
        #expect(extfrag == [
            .pageAllocExtfrag(pfn: PFN(1), allocOrder: .zero, fallbackOrder: Order(2),
                              allocMigratetype: .unmovable, fallbackMigratetype: .movable, changeOwnership: true),
        ])
        #expect(events.last == .pageAlloc(pfn: PFN(1), order: .zero, gfp: .kernel, migratetype: .unmovable))
        #expect(allocator.snapshot().zone(.normal).pageblockTypes.first == .unmovable)
    }

    /// From a fresh `fallback` zone: an UNMOVABLE page claims 0/5 (pageblocks 0–3 UNMOVABLE),
    /// the seven MOVABLE order-5 blocks are allocated, then the UNMOVABLE blocks 16/4, 8/3 and
    /// 4/2 are allocated unless listed in `keep`; pcp leftovers are drained first.
    static func leaveUnmovableFragments(_ allocator: any PageAllocator, keep: [Int]) {
        #expect(allocator.allocate(order: 0, gfp: unmovable) == PFN(0))
        for index in 1..<8 { #expect(allocator.allocate(order: 5, gfp: movable) == PFN(32 * index)) }
        for (order, pfn) in [(4, 16), (3, 8), (2, 4)] where !keep.contains(pfn) {
            #expect(allocator.allocate(order: order, gfp: unmovable) == PFN(pfn))
        }
        allocator.run(.drainCPU(cpu: CPUID(0)))
    }
}
