import BuddyVocabulary
import Testing

/// `reserve_highatomic_pageblock`, `unreserve_highatomic_pageblock`, the HIGHATOMIC lists in
/// `rmqueue_buddy`, and merging at a HIGHATOMIC boundary.
///
/// Zone: Normal, 1024 pages (32 order-5 blocks, pageblocks of 8), `min_free_kbytes` 1600:
///
/// ```
///   pages_min 400: min 400, step max(100, 1) = 100: low 500, high 600
///   highatomic cap: 1024 / 100 = 10 ≥ 8 → at most ALIGN(10, 8) = 16 pages (two pageblocks)
///   GFP_ATOMIC's min: 400 − 200 (MIN_RESERVE) − 50 (NON_BLOCK) = 150
/// ```
/// 40 order-4 MOVABLE blocks (pfns 0…639) are allocated first, leaving 384 free pages: below
/// the low watermark (the fast path fails), below GFP_KERNEL's min (400), above GFP_ATOMIC's.
@Suite("highatomic reserves")
struct ReserveHighatomicPageblockTests {
    static var profile: Profile { LayoutProfiles.oneZone(.normal, maxOrderBlocks: 32, minFreeKbytes: 1600) }

    static func bootUnderPressure(_ implementation: Implementation) -> any PageAllocator {
        let allocator = implementation.boot(profile)
        for index in 0..<40 {
            #expect(allocator.allocate(order: 4, gfp: [.kernelMovable, .memalloc]) == PFN(16 * index))
        }
        let zone = allocator.snapshot().zone(.normal)
        #expect(zone.watermarks == [400, 500, 600, 700])
        #expect(zone.nrFreePages == 384)
        return allocator
    }

    /// Three order-1 GFP_ATOMIC allocations. Each fails the fast path and succeeds in the slow
    /// path with `ALLOC_HIGHATOMIC` (order > 0, `__GFP_HIGH`, no direct reclaim), through the
    /// pcp, which ignores the HIGHATOMIC lists. Afterwards the page's pageblock is reserved:
    ///
    /// ```
    ///   1st: claims 640/5 for UNMOVABLE (whole block), takes 640/1; pageblock 640–647 → H,
    ///        its free pages 642/1 and 644/2 move to the HIGHATOMIC lists; reserved 8
    ///   2nd: 648/3 split → 648/1; pageblock 648–655 → H (650/1, 652/2 moved); reserved 16
    ///   3rd: 656/4 split → 656/1; reserved 16 ≥ 16: no more
    ///   pageblocks 80 81 82 83 = H H U U
    /// ```
    @Test("successful ALLOC_HIGHATOMIC allocations reserve up to 1% of the zone", arguments: implementations)
    func reserve(_ implementation: Implementation) {
        let allocator = Self.bootUnderPressure(implementation)
        var pfns: [PFN] = []
        let events = allocator.eventsOf {
            for _ in 0..<3 { pfns += allocator.allocate(order: 1, gfp: .atomic).map { [$0] } ?? [] }
        }
        #expect(pfns == [PFN(640), PFN(648), PFN(656)])
        #expect(events.first == .pageAllocExtfrag(
            pfn: PFN(640), allocOrder: Order(1), fallbackOrder: Order(5),
            allocMigratetype: .unmovable, fallbackMigratetype: .movable, changeOwnership: true))
        let zone = allocator.snapshot().zone(.normal)
        #expect(Array(zone.pageblockTypes[80...83]) == [.highatomic, .highatomic, .unmovable, .unmovable])
        #expect(zone.nrReservedHighatomic == 16)
        #expect(zone.nrFreeHighatomic == 12)
        #expect(zone.list(order: 1, .highatomic) == [642, 650])
        #expect(zone.list(order: 2, .highatomic) == [644, 652])
        #expect(zone.list(order: 1, .unmovable) == [658])
    }

    /// With memory to spare the fast path succeeds (it never has `ALLOC_HIGHATOMIC`), and a zone
    /// where 1% is less than a pageblock never reserves.
    @Test("no reserve from the fast path or in small zones", arguments: implementations)
    func noReserve(_ implementation: Implementation) {
        let roomy = implementation.boot(Self.profile)
        roomy.allocate(order: 1, gfp: .atomic)
        #expect(roomy.snapshot().zone(.normal).nrReservedHighatomic == 0)

        let small = implementation.boot(LayoutProfiles.fallback)
        for _ in 0..<8 { small.allocate(order: 4, gfp: [.kernelMovable, .memalloc]) }
        for _ in 0..<60 { _ = small.apply(.allocate(cpu: CPUID(0), order: Order(1), gfp: .atomic)) }
        let zone = small.snapshot().zone(.dma32)
        #expect(zone.nrReservedHighatomic == 0, "256 / 100 = 2 < 8")
        #expect(!zone.pageblockTypes.contains(.highatomic))
    }

    /// A failing GFP_KERNEL | __GFP_MOVABLE request (free 378 − 12 free highatomic ≤ min 400):
    /// direct reclaim (modelled as no progress) unreserves one pageblock but keeps the last
    /// (`force` false), drains the pcps and retries; `should_reclaim_retry` then unreserves
    /// the last one (`force` true) and retries once more. Both pageblocks become MOVABLE, the
    /// failing request's type, not their original UNMOVABLE.
    @Test("unreserve converts to the failing request's type", arguments: implementations)
    func unreserve(_ implementation: Implementation) {
        let allocator = Self.bootUnderPressure(implementation)
        for _ in 0..<3 { allocator.allocate(order: 1, gfp: .atomic) }
        let events = allocator.eventsOf {
            #expect(allocator.apply(.allocate(cpu: CPUID(0), order: .zero, gfp: .kernelMovable)) == .allocationFailed)
        }
        #expect(events == [.pageAlloc(pfn: nil, order: .zero, gfp: .kernelMovable, migratetype: .movable)])
        let zone = allocator.snapshot().zone(.normal)
        #expect(Array(zone.pageblockTypes[80...83]) == [.movable, .movable, .unmovable, .unmovable])
        #expect(zone.nrReservedHighatomic == 0)
        #expect(zone.nrFreeHighatomic == 0)
        #expect(zone.list(order: 1, .movable) == [642, 650])
    }

    /// `__GFP_NORETRY` stops after direct reclaim: only the non-forced unreserve runs, which
    /// keeps the zone's last reserved pageblock.
    @Test("the last reserved pageblock survives without force", arguments: implementations)
    func lastBlockKept(_ implementation: Implementation) {
        let allocator = Self.bootUnderPressure(implementation)
        for _ in 0..<3 { allocator.allocate(order: 1, gfp: .atomic) }
        let gfp: GFPFlags = [.kernelMovable, .noRetry]
        #expect(allocator.apply(.allocate(cpu: CPUID(0), order: .zero, gfp: gfp)) == .allocationFailed)
        #expect(allocator.apply(.allocate(cpu: CPUID(0), order: .zero, gfp: gfp)) == .allocationFailed)
        let zone = allocator.snapshot().zone(.normal)
        #expect(Array(zone.pageblockTypes[80...81]) == [.movable, .highatomic])
        #expect(zone.nrReservedHighatomic == 8)
    }

    /// Freeing the three atomic blocks (through the pcp: HIGHATOMIC pageblocks use the MOVABLE
    /// pcp list) and draining: each piece merges within its type; at order 4 the HIGHATOMIC
    /// block 640/4 and the UNMOVABLE block 656/4 are buddies of different types, one not
    /// mergeable: no merge.
    ///
    /// ```
    ///   drain order: list 3 (order 1 UNMOVABLE): 656 → 656/4 (U)
    ///                list 4 (order 1 MOVABLE):   640 → 640/3, 648 → 648/3 + 640/3 → 640/4 (H)
    /// ```
    @Test("no merge across a HIGHATOMIC boundary", arguments: implementations)
    func boundary(_ implementation: Implementation) {
        let allocator = Self.bootUnderPressure(implementation)
        let pfns = (0..<3).compactMap { _ in allocator.allocate(order: 1, gfp: .atomic) }
        for pfn in pfns { allocator.free(pfn, order: 1) }
        let events = allocator.eventsOf { allocator.run(.drainCPU(cpu: CPUID(0))) }
        #expect(events == [
            .pagePcpuDrain(pfn: PFN(656), order: Order(1), migratetype: .unmovable),
            .pagePcpuDrain(pfn: PFN(640), order: Order(1), migratetype: .highatomic),
            .pagePcpuDrain(pfn: PFN(648), order: Order(1), migratetype: .highatomic),
        ])
        let zone = allocator.snapshot().zone(.normal)
        #expect(zone.list(order: 4, .highatomic) == [640])
        #expect(zone.list(order: 4, .unmovable) == [656])
        #expect(zone.nrFreeHighatomic == 16)
    }

    /// A non-pcp order with `ALLOC_HIGHATOMIC` goes to `rmqueue_buddy`, which tries the
    /// HIGHATOMIC lists first: the order-4 request takes the reserve 640/4 (`percpu_refill` 0:
    /// HIGHATOMIC is not a pcp type).
    @Test("rmqueue_buddy uses the reserve first", arguments: implementations)
    func reserveUsed(_ implementation: Implementation) {
        let allocator = Self.bootUnderPressure(implementation)
        let pfns = (0..<3).compactMap { _ in allocator.allocate(order: 1, gfp: .atomic) }
        for pfn in pfns { allocator.free(pfn, order: 1) }
        allocator.run(.drainCPU(cpu: CPUID(0)))
        let events = allocator.eventsOf { allocator.allocate(order: 4, gfp: .atomic) }
        #expect(events == [
            .pageAllocZoneLocked(pfn: PFN(640), order: Order(4), migratetype: .highatomic, percpuRefill: false),
            .pageAlloc(pfn: PFN(640), order: Order(4), gfp: .atomic, migratetype: .unmovable),
        ])
        #expect(allocator.snapshot().zone(.normal).nrFreeHighatomic == 0)
    }
}
