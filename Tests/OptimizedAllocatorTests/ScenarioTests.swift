import BuddyVocabulary
import Testing
@_spi(Testing) @testable import OptimizedAllocator

/// Hand-worked scenarios on the `tiny` profile (MAX_PAGE_ORDER 6, pageblock_order 4, so a
/// MAX_ORDER block is four pageblocks of 16 pages).
@Suite struct ScenarioTests {
    func normalZone(_ state: StateSnapshot) -> ZoneSnapshot { state.zones.first { $0.id.type == .normal }! }

    /// Boot releases DMA32's managed run [100, 1600) as 100/2, 104/3, 112/4 and 23 blocks of
    /// order 6, and Normal's [2048, 4032) as 31 blocks of order 6, all MOVABLE, in PFN order.
    @Test func bootLayout() {
        let state = OptimizedPageAllocator(profile: BuiltInProfiles.tiny).snapshot()
        let dma32 = state.zones.first { $0.id.type == .dma32 }!
        #expect(dma32.freeAreas.map(\.nrFree) == [0, 0, 1, 1, 1, 0, 23])
        #expect(dma32.buddyPages.prefix(4).map(\.description) == ["0x64/2", "0x68/3", "0x70/4", "0x80/6"])
        let normal = normalZone(state)
        #expect(normal.freeAreas.map(\.nrFree) == [0, 0, 0, 0, 0, 0, 31])
        #expect(normal.freeAreas[6].lists[MigrateIndex.movable] == (0..<31).map { PFN(2048 + 64 * $0) })
        #expect(normal.watermarks == [67, 83, 99, 115])
        #expect(normal.pagesetBatch == 1 && normal.pagesetHighMin == 41 && normal.pagesetHighMax == 124)
    }

    /// The first GFP_KERNEL page claims a whole MOVABLE MAX_ORDER block (NOFRAGMENT allows
    /// only pageblock-sized fallbacks), retypes its four pageblocks and splits it:
    ///
    /// ```
    /// before: [2048 ........................ 2111] MOVABLE order 6
    /// after:  [2048][2049][2050-1][2052-5][2056-63][2064-79][2080-2111]  UNMOVABLE
    ///          page   /0    /1      /2      /3       /4        /5
    /// ```
    ///
    /// Freeing and draining it merges everything back into one UNMOVABLE order-6 block; the
    /// merge stops at MAX_PAGE_ORDER without touching the MOVABLE neighbour.
    @Test func firstUnmovablePageClaimsAMaxOrderBlock() {
        let allocator = OptimizedPageAllocator(profile: BuiltInProfiles.tiny)
        allocator.recordsEvents = true
        let outcome = allocator.apply(.allocate(cpu: CPUID(0), order: .zero, gfp: .kernel))
        #expect(outcome == .allocated(pfn: PFN(2048)))
        #expect(allocator.events == [
            .pageAllocExtfrag(pfn: PFN(2048), allocOrder: .zero, fallbackOrder: Order(6), allocMigratetype: .unmovable,
                              fallbackMigratetype: .movable, changeOwnership: true),
            .pageAlloc(pfn: PFN(2048), order: .zero, gfp: .kernel, migratetype: .unmovable),
        ])
        var normal = normalZone(allocator.snapshot())
        #expect((0..<6).map { normal.freeAreas[$0].lists[MigrateIndex.unmovable] } == [[2049], [2050], [2052], [2056], [2064], [2080]].map { $0.map { PFN($0) } })
        #expect(normal.pageblocks.prefix(5).map(\.type) == [.unmovable, .unmovable, .unmovable, .unmovable, .movable])
        #expect(normal.nrFreePages == 1983)
        #expect(normal.pagesets[0].high == 42 && normal.pagesets[0].allocFactor == 1 && normal.pagesets[0].count == 0)

        allocator.removeAllEvents()
        #expect(allocator.apply(.freePages(cpu: CPUID(0), pfn: PFN(2048), order: .zero)) == .completed(pagesFreed: 1))
        #expect(allocator.events == [.pageFree(pfn: PFN(2048), order: .zero)])
        normal = normalZone(allocator.snapshot())
        #expect(normal.pagesets[0].lists[0] == [PFN(2048)], "below high, the page stays on the pcp")
        #expect(normal.nrFreePages == 1983)

        allocator.removeAllEvents()
        #expect(allocator.apply(.drainCPU(cpu: CPUID(0))) == .completed(pagesFreed: 0))
        #expect(allocator.events == [.pagePcpuDrain(pfn: PFN(2048), order: .zero, migratetype: .unmovable)])
        normal = normalZone(allocator.snapshot())
        #expect(normal.freeAreas[6].lists[MigrateIndex.unmovable] == [PFN(2048)])
        #expect(normal.freeAreas[6].lists[MigrateIndex.movable].first == PFN(2112))
        #expect(normal.pageblocks[4].type == .movable)
        #expect(normal.nrFreePages == 1984)
        #expect(allocator.consistencyProblems().isEmpty)
    }

    /// Isolating a pageblock inside a free order-6 buddy splits the buddy into pageblocks
    /// first (`split_large_buddy`); the isolated piece leaves NR_FREE_PAGES. Un-isolating
    /// merges it back.
    @Test func isolationSplitsAStraddlingBuddy() {
        let allocator = OptimizedPageAllocator(profile: BuiltInProfiles.tiny)
        #expect(allocator.apply(.isolatePageblock(pfn: PFN(2048 + 16 + 3))) == .completed(pagesFreed: 0))
        var normal = normalZone(allocator.snapshot())
        #expect(normal.freeAreas[4].lists[MigrateIndex.isolate] == [PFN(2064)])
        #expect(normal.freeAreas[4].lists[MigrateIndex.movable] == [PFN(2048)])
        #expect(normal.freeAreas[5].lists[MigrateIndex.movable] == [PFN(2080)])
        #expect(normal.pageblocks[1] == PageblockState(type: .movable, isolated: true))
        #expect(normal.nrFreePages == 1984 - 16)
        #expect(allocator.apply(.isolatePageblock(pfn: PFN(2064))) == .rejected(Rejection(.isolationState, pfn: PFN(2064))))
        #expect(allocator.apply(.unisolatePageblock(pfn: PFN(2064))) == .completed(pagesFreed: 0))
        normal = normalZone(allocator.snapshot())
        #expect(normal.freeAreas[6].lists[MigrateIndex.movable].contains(PFN(2048)))
        #expect(normal.freeAreas.map(\.nrFree) == [0, 0, 0, 0, 0, 0, 31])
        #expect(normal.nrFreePages == 1984)
        #expect(allocator.consistencyProblems().isEmpty)
    }

    /// `percpu_pagelist_high_fraction_sysctl_handler` returns early when the value written is
    /// the one in force: a boost that grew since the last sizing is not picked up. A changed
    /// value resizes with `low_wmark_pages`, boost included.
    @Test func unchangedHighFractionKeepsThePagesetSizing() {
        let allocator = OptimizedPageAllocator(profile: BuiltInProfiles.tiny)
        let zone = allocator.zones + ZoneType.normal.rawValue
        zone.pointee.watermarkBoost = 148
        #expect(allocator.apply(.writeSysctl(.percpuPagelistHighFraction(0))) == .completed(pagesFreed: 0))
        #expect(zone.pointee.pagesetHighMin == 41, "low 83 / 2 CPUs, as at boot")
        #expect(allocator.apply(.writeSysctl(.percpuPagelistHighFraction(8))) == .completed(pagesFreed: 0))
        #expect(allocator.apply(.writeSysctl(.percpuPagelistHighFraction(0))) == .completed(pagesFreed: 0))
        #expect(zone.pointee.pagesetHighMin == (83 + 148) / 2)
        #expect(allocator.apply(.writeSysctl(.percpuPagelistHighFraction(7))) == .rejected(Rejection(.sysctlOutOfRange, pfn: nil)))
    }

    /// Bad frees are refused with the check the kernel would trip, and change nothing.
    @Test func badFreesAreRefusedWithoutSideEffects() {
        let allocator = OptimizedPageAllocator(profile: BuiltInProfiles.tiny)
        guard case let .allocated(pfn) = allocator.apply(.allocate(cpu: CPUID(0), order: Order(2), gfp: [.kernel, .comp])) else {
            Issue.record("allocation failed")
            return
        }
        let before = allocator.snapshot()
        let cpu = CPUID(1)
        #expect(allocator.apply(.freePages(cpu: cpu, pfn: PFN(0), order: .zero)) == .rejected(Rejection(.notHead, pfn: PFN(0))))
        #expect(allocator.apply(.freePages(cpu: cpu, pfn: PFN(64), order: .zero)) == .rejected(Rejection(.notHead, pfn: PFN(64))), "reserved")
        #expect(allocator.apply(.freePages(cpu: cpu, pfn: PFN(4050), order: .zero)) == .rejected(Rejection(.notHead, pfn: PFN(4050))), "hole")
        #expect(allocator.apply(.freePages(cpu: cpu, pfn: PFN(3000), order: .zero)) == .rejected(Rejection(.doubleFree, pfn: PFN(3000))))
        #expect(allocator.apply(.freePages(cpu: cpu, pfn: pfn.advanced(by: 1), order: .zero)) == .rejected(Rejection(.tailPage, pfn: pfn.advanced(by: 1))))
        #expect(allocator.apply(.freePages(cpu: cpu, pfn: pfn, order: Order(1))) == .rejected(Rejection(.wrongOrder, pfn: pfn)))
        #expect(allocator.apply(.splitPage(pfn: pfn, order: Order(2))) == .rejected(Rejection(.splitCompound, pfn: pfn)))
        #expect(allocator.apply(.freePages(cpu: CPUID(9), pfn: pfn, order: Order(2))) == .rejected(Rejection(.noSuchCPUOrNode, pfn: nil)))
        #expect(allocator.apply(.allocate(cpu: cpu, order: Order(7), gfp: .kernel)) == .rejected(Rejection(.orderTooLarge, pfn: nil)))
        #expect(allocator.snapshot() == before)
        #expect(allocator.apply(.putPage(cpu: cpu, pfn: pfn.advanced(by: 3))) == .completed(pagesFreed: 4), "a compound tail puts its folio")
        #expect(allocator.apply(.freePages(cpu: cpu, pfn: pfn, order: Order(2))) == .rejected(Rejection(.doubleFree, pfn: pfn)))
    }
}
