import BuddyVocabulary
import Testing

/// `get_page_from_freelist`, the zonelists, `lowmem_reserve`, the watermark reductions of
/// `__zone_watermark_ok`, and `__alloc_pages_slowpath` as the model fixes it.
@Suite("get_page_from_freelist and the slow path")
struct GetPageFromFreelistTests {
    /// DMA32 (pfns 0…63) and Normal (64…127), watermarks 0, `lowmem_reserve_ratio[DMA32]` 8:
    /// DMA32 keeps 64 / 8 = 8 pages against requests whose highest zone is Normal.
    static var twoZones: Profile {
        Profile(
            name: "two-zones", maxPageOrder: 5, pageblockOrder: 3, pmdOrder: 5, cpus: 1,
            sysctl: Profile.Sysctl(minFreeKbytes: 0, lowmemReserveRatio: [256, 8, 32, 0, 0]),
            nodes: [Profile.Node(zones: [
                Profile.Zone(type: .dma32, startPfn: 0, spannedPages: 64),
                Profile.Zone(type: .normal, startPfn: 64, spannedPages: 64),
            ])])
    }

    /// GFP_KERNEL | __GFP_MOVABLE order 4 (not a pcp order) walks Normal → DMA32. In DMA32 the
    /// check is `free − 15 > 0 + lowmem_reserve[Normal] = 8`: 64, 48 and 32 free pass, 16 does
    /// not. GFP_DMA32 (classzone DMA32, no reserve) may take the last block (16 − 15 > 0).
    ///
    /// ```
    ///   Normal  AaaaaaaaaaaaaaaaAaaaaaaaaaaaaaaaAaaaaaaaaaaaaaaaAaaaaaaaaaaaaaaa
    ///   DMA32   AaaaaaaaaaaaaaaaAaaaaaaaaaaaaaaaAaaaaaaaaaaaaaaa4---------------
    /// ```
    @Test("the zonelist falls back to lower zones, keeping their lowmem reserve", arguments: implementations)
    func lowmemReserve(_ implementation: Implementation) {
        let allocator = implementation.boot(Self.twoZones)
        #expect(allocator.snapshot().zone(.dma32).lowmemReserve == [0, 0, 8, 8, 8])
        var pfns: [Int] = []
        for _ in 0..<7 { pfns.append(allocator.allocate(order: 4, gfp: .kernelMovable)?.rawValue ?? -1) }
        #expect(pfns == [64, 80, 96, 112, 0, 16, 32])
        #expect(allocator.apply(.allocate(cpu: CPUID(0), order: Order(4), gfp: .kernelMovable)) == .allocationFailed)
        #expect(allocator.snapshot().layout(.dma32) == "AaaaaaaaaaaaaaaaAaaaaaaaaaaaaaaaAaaaaaaaaaaaaaaa4---------------")
        #expect(allocator.allocate(order: 4, gfp: .gfpDMA32) == PFN(48))
    }

    /// `tiny-numa`: node 0 has DMA32 (0…1023) and Normal (1024…2047), node 1 Normal
    /// (4096…6143); CPUs 0–1 are on node 0, 2–3 on node 1. Each CPU allocates from its own node
    /// first. Once node 0's zones are below their low watermarks, the fast path of its requests
    /// continues on node 1; with `__GFP_THISNODE` the zonelist is node 0's alone, so the
    /// request goes on to the slow path and is served there from node 0 (above min).
    @Test("zonelists: local node first, then the others; __GFP_THISNODE stays", arguments: implementations)
    func numaZonelists(_ implementation: Implementation) {
        let allocator = implementation.boot(BuiltInProfiles.tinyNUMA)
        #expect(allocator.allocate(order: 0, gfp: .kernelMovable, cpu: 2).map { $0.rawValue >= 4096 } == true)
        #expect(allocator.allocate(order: 0, gfp: .kernelMovable, cpu: 0).map { (1024..<2048).contains($0.rawValue) } == true)
        var last = PFN(0)
        var steps = 0
        while last.rawValue < 4096, steps < 400 {
            last = allocator.allocate(order: 3, gfp: .kernelMovable, cpu: 0) ?? PFN(Int.max)
            steps += 1
        }
        #expect(last.rawValue >= 4096 && last.rawValue < 6144, "node 0 below low: node 1 serves node 0's CPUs")
        let thisNode: GFPFlags = [.kernelMovable, .thisNode]
        #expect(allocator.allocate(order: 3, gfp: thisNode, cpu: 0).map { $0.rawValue < 4096 } == true)
        #expect(allocator.allocate(order: 3, gfp: thisNode, cpu: 3).map { $0.rawValue >= 4096 } == true)
    }

    /// The min watermark as each kind of request sees it, with 384 free pages and min 400
    /// (the `ReserveHighatomicPageblockTests` zone): GFP_NOWAIT (`ALLOC_NON_BLOCK` without
    /// `ALLOC_MIN_RESERVE`: no reduction) fails; GFP_KERNEL | __GFP_HIGH (min − min/2 = 200)
    /// and GFP_ATOMIC (200 − 200/4 = 150) succeed.
    @Test("__GFP_HIGH and non-blocking requests dip into the min reserve", arguments: implementations)
    func minReserve(_ implementation: Implementation) {
        let allocator = ReserveHighatomicPageblockTests.bootUnderPressure(implementation)
        #expect(allocator.apply(.allocate(cpu: CPUID(0), order: .zero, gfp: .noWait)) == .allocationFailed)
        #expect(allocator.apply(.allocate(cpu: CPUID(0), order: .zero, gfp: .kernel)) == .allocationFailed)
        #expect(allocator.allocate(order: 0, gfp: [.kernel, .high]) != nil)
        #expect(allocator.allocate(order: 0, gfp: .atomic) != nil)
    }

    /// `__GFP_MEMALLOC` makes the slow path retry with `ALLOC_NO_WATERMARKS`;
    /// `__GFP_NOMEMALLOC` cancels it.
    @Test("__GFP_MEMALLOC ignores the watermarks, __GFP_NOMEMALLOC cancels it", arguments: implementations)
    func memalloc(_ implementation: Implementation) {
        let allocator = ReserveHighatomicPageblockTests.bootUnderPressure(implementation)
        #expect(allocator.apply(.allocate(cpu: CPUID(0), order: .zero, gfp: [.kernel, .memalloc, .noMemalloc])) == .allocationFailed)
        #expect(allocator.allocate(order: 0, gfp: [.kernel, .memalloc]) != nil)
    }

    /// Direct reclaim, modelled as reclaiming nothing, still drains every CPU's pcp before the
    /// next attempt (`drain_all_pages`): pages parked on CPU 1's pcp bring the zone back above
    /// the min watermark for a request on CPU 0.
    @Test("the slow path drains every pcp before retrying", arguments: implementations)
    func slowPathDrains(_ implementation: Implementation) {
        var profile = ReserveHighatomicPageblockTests.profile
        profile.cpus = 2
        let allocator = implementation.boot(profile)
        for _ in 0..<38 { allocator.allocate(order: 4, gfp: [.kernelMovable, .memalloc]) }
        let parked = (0..<30).compactMap { _ in allocator.allocate(order: 0, gfp: [.kernelMovable, .memalloc], cpu: 1) }
        for pfn in parked { allocator.free(pfn, order: 0, cpu: 1) }
        let before = allocator.snapshot().zone(.normal)
        #expect(before.nrFreePages <= 400, "below min with the pages parked on CPU 1")
        #expect(before.nrFreePages + before.pagesets[1].count > 401)
        let events = allocator.eventsOf { allocator.allocate(order: 0, gfp: .kernelMovable, cpu: 0) }
        #expect(events.drainedPfns.count == before.pagesets[1].count)
        #expect(allocator.snapshot().zone(.normal).pagesets[1].count == 0)
        #expect(events.last?.allocMigratetype == .movable)
    }

    /// Refused before anything happens (no event, no change): an order above MAX_PAGE_ORDER,
    /// a CPU the profile lacks, two zone modifiers, and MOVABLE with RECLAIMABLE.
    @Test("invalid requests are refused", arguments: implementations)
    func invalidRequests(_ implementation: Implementation) {
        let allocator = implementation.boot(BuiltInProfiles.tiny)
        let before = allocator.snapshot()
        let cases: [(Operation, RejectionReason)] = [
            (.allocate(cpu: CPUID(0), order: Order(7), gfp: .kernel), .orderTooLarge),
            (.allocate(cpu: CPUID(0), order: Order(-1), gfp: .kernel), .orderTooLarge),
            (.allocate(cpu: CPUID(2), order: .zero, gfp: .kernel), .noSuchCPUOrNode),
            (.allocate(cpu: CPUID(0), order: .zero, gfp: [.kernel, .dma, .dma32]), .invalidGFP),
            (.allocate(cpu: CPUID(0), order: .zero, gfp: [.kernel, .highmem, .dma32]), .invalidGFP),
            (.allocate(cpu: CPUID(0), order: .zero, gfp: [.kernel, .movable, .reclaimable]), .invalidGFP),
        ]
        let events = allocator.eventsOf {
            for (operation, reason) in cases {
                #expect(allocator.apply(operation) == .rejected(Rejection(reason, pfn: nil)), "\(operation)")
            }
        }
        #expect(events.isEmpty)
        #expect(allocator.snapshot() == before)
    }

    /// GFP_DMA on a machine without a DMA zone: no zone to try, the slow path gives up at once
    /// (no drain, no unreserve), and one `mm_page_alloc` reports the failure.
    @Test("no eligible zone: failure without side effects", arguments: implementations)
    func noEligibleZone(_ implementation: Implementation) {
        let allocator = implementation.boot(BuiltInProfiles.tiny)
        allocator.allocate(order: 0, gfp: .kernel)
        let before = allocator.snapshot()
        let gfp: GFPFlags = [.kernel, .dma]
        let events = allocator.eventsOf {
            #expect(allocator.apply(.allocate(cpu: CPUID(0), order: .zero, gfp: gfp)) == .allocationFailed)
        }
        #expect(events == [.pageAlloc(pfn: nil, order: .zero, gfp: gfp, migratetype: .unmovable)])
        #expect(allocator.snapshot() == before)
    }
}
