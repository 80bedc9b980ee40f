import BuddyVocabulary
import Lockstep
import ReferenceAllocator
import Testing

/// Each checker is silent on valid states and fires on a state corrupted in exactly the way its
/// property forbids.
@Suite struct CheckerTests {
    static let profile = BuiltInProfiles.tiny
    static let context = CheckContext(profile: profile)

    /// A tiny-profile state with pcp pages on both CPUs, a compound block, split pages, a
    /// RECLAIMABLE pageblock claimed by fallback, and an isolated pageblock.
    static let busy: StateSnapshot = {
        let allocator = ReferencePageAllocator(profile: profile)
        var pfns: [PFN] = []
        func allocate(_ cpu: Int, _ order: Int, _ gfp: GFPFlags) {
            if case .allocated(let pfn) = allocator.apply(.allocate(cpu: CPUID(cpu), order: Order(order), gfp: gfp)) {
                pfns.append(pfn)
            }
        }
        for _ in 0..<6 { allocate(0, 0, .kernel) }
        allocate(1, 2, [.kernel, .comp])
        allocate(1, 3, .kernel)
        _ = allocator.apply(.splitPage(pfn: pfns[7], order: Order(3)))
        allocate(0, 0, [.kernel, .reclaimable])
        allocate(1, 1, .highUserMovable)
        _ = allocator.apply(.freePages(cpu: CPUID(0), pfn: pfns[0], order: .zero))
        _ = allocator.apply(.freePages(cpu: CPUID(1), pfn: pfns[1], order: .zero))
        _ = allocator.apply(.isolatePageblock(pfn: PFN(2048 + 512)))
        return allocator.snapshot()
    }()

    static func views(_ snapshot: StateSnapshot) -> [ZoneSnapshot] { snapshot.zones }

    func rules(_ checker: any InvariantChecker, _ snapshot: StateSnapshot, _ context: CheckContext = CheckerTests.context) -> [String] {
        checker.check(snapshot, context: context).map(\.rule)
    }

    /// The index of the Normal zone of `tiny` and a free block in it with its list position.
    func freeBlock(_ snapshot: StateSnapshot, zone: Int = 1, where predicate: (Int, Int) -> Bool) -> (order: Int, type: Int, index: Int, pfn: PFN) {
        for (order, area) in snapshot.zones[zone].freeAreas.enumerated() {
            for (type, list) in area.lists.enumerated() {
                if let index = list.indices.first(where: { _ in predicate(order, type) }) { return (order, type, index, list[index]) }
            }
        }
        fatalError("no such free block")
    }

    @Test(arguments: FuzzingProfiles.all)
    func silentOnBootStates(profile: Profile) {
        let snapshot = ReferencePageAllocator(profile: profile).snapshot()
        #expect(StandardCheckers.check(snapshot, context: CheckContext(profile: profile)).isEmpty)
    }

    @Test func silentOnABusyState() {
        let snapshot = Self.busy
        #expect(snapshot.zones.contains { zone in zone.pagesets.contains { $0.count > 0 } })
        #expect(snapshot.zones.contains { zone in zone.pageblocks.contains { $0.isolated } })
        #expect(snapshot.allocated.contains { $0.compound })
        let violations = StandardCheckers.check(snapshot, context: Self.context)
        #expect(violations.isEmpty, "\(violations)")
    }

    // MARK: - PageBuddyChecker

    @Test func pageBuddyFiresOnAListedBlockWithoutPageBuddy() throws {
        var snapshot = Self.busy
        let removed = snapshot.zones[1].buddyPages.removeFirst()
        let violations = PageBuddyChecker().check(snapshot, context: Self.context)
        let violation = try #require(violations.first)
        #expect(violation.title == "invariant: PageBuddyChecker: not-buddy-head")
        #expect(violation.pfn == removed.pfn)
        #expect(violation.order == removed.order)
        #expect(violation.zone == snapshot.zones[1].id)
        #expect(violation.dump.contains("free blocks:") && violation.dump.contains("\(removed.pfn)/\(removed.order)"))
    }

    @Test func pageBuddyFiresOnAWrongBuddyOrder() {
        var snapshot = Self.busy
        snapshot.zones[1].buddyPages[0].order = Order(snapshot.zones[1].buddyPages[0].order.rawValue - 1)
        #expect(rules(PageBuddyChecker(), snapshot) == ["buddy-order-mismatch"])
    }

    @Test func pageBuddyFiresOnAllocatedAndPCPPages() throws {
        var snapshot = Self.busy
        let allocated = try #require(snapshot.allocated.first { $0.pfn >= snapshot.zones[1].startPfn })
        let pcpPage = try #require(snapshot.zones[1].pagesets.flatMap { $0.lists.flatMap { $0 } }.first)
        snapshot.zones[1].buddyPages.append(FreeBlock(pfn: allocated.pfn, order: .zero))
        snapshot.zones[1].buddyPages.append(FreeBlock(pfn: pcpPage, order: .zero))
        #expect(rules(PageBuddyChecker(), snapshot) == ["allocated-page-is-buddy", "pcp-page-is-buddy"])
        #expect(rules(PageBuddyChecker(), Self.busy).isEmpty)
    }

    // MARK: - OrderChecker

    @Test func orderFiresOnAnOverlap() {
        var snapshot = Self.busy
        let block = freeBlock(snapshot) { order, _ in order == 6 }
        snapshot.allocated.append(AllocatedBlock(pfn: block.pfn.advanced(by: 8), order: Order(2), compound: false, refcount: 1))
        snapshot.allocated.sort { $0.pfn < $1.pfn }
        #expect(rules(OrderChecker(), snapshot).contains("overlap"))
        #expect(rules(OrderChecker(), Self.busy).isEmpty)
    }

    @Test func orderFiresOnAnUncoveredPage() {
        var snapshot = Self.busy
        snapshot.allocated.removeLast()
        #expect(rules(OrderChecker(), snapshot) == ["uncovered"])
    }

    @Test func orderFiresOnAMisalignedBlock() {
        var snapshot = Self.busy
        let block = freeBlock(snapshot) { order, _ in order == 6 }
        snapshot.zones[1].freeAreas[6].lists[block.type][block.index] = block.pfn.advanced(by: 64)
        snapshot.zones[1].freeAreas[5].lists[block.type].append(block.pfn.advanced(by: 32))
        let found = rules(OrderChecker(), snapshot)
        #expect(found.contains("outside-zone") || found.contains("misaligned") || found.contains("overlap"))
        var misaligned = Self.busy
        misaligned.allocated[0].pfn = misaligned.allocated[0].pfn.advanced(by: 1)
        #expect(rules(OrderChecker(), misaligned).contains("overlap") || rules(OrderChecker(), misaligned).contains("uncovered"))
    }

    @Test func orderFiresOnUnmergedBuddiesBelowPageblockOrder() throws {
        var snapshot = Self.busy
        let block = freeBlock(snapshot) { order, _ in order == 6 }
        // Split one free order-6 block into two order-5 halves, each with its PageBuddy.
        var zone = snapshot.zones[1]
        zone.freeAreas[6].lists[block.type].remove(at: block.index)
        zone.freeAreas[6].nrFree -= 1
        zone.freeAreas[5].lists[block.type] += [block.pfn, block.pfn.advanced(by: 32)]
        zone.freeAreas[5].nrFree += 2
        zone.buddyPages.removeAll { $0.pfn == block.pfn }
        zone.buddyPages += [FreeBlock(pfn: block.pfn, order: Order(5)), FreeBlock(pfn: block.pfn.advanced(by: 32), order: Order(5))]
        zone.buddyPages.sort { $0.pfn < $1.pfn }
        snapshot.zones[1] = zone
        // Order 5 is above pageblock order 4: a MOVABLE pair must merge unless a highatomic
        // block may have been released; two order-3 halves must merge always.
        #expect(rules(OrderChecker(), snapshot) == ["unmerged-buddies"])
        #expect(rules(OrderChecker(), snapshot, CheckContext(profile: Self.profile, highatomicReserveSeen: true)).isEmpty)
        let small = splitBelowPageblockOrder(Self.busy)
        #expect(rules(OrderChecker(), small, CheckContext(profile: Self.profile, highatomicReserveSeen: true)) == ["unmerged-buddies"])
        #expect(StandardCheckers.check(snapshot, context: CheckContext(profile: Self.profile, highatomicReserveSeen: true)).isEmpty)
    }

    @Test func orderAllowsUnmergedBuddiesAcrossAnIsolatedPageblock() {
        var snapshot = Self.busy
        let block = freeBlock(snapshot) { order, _ in order == 6 }
        var zone = snapshot.zones[1]
        zone.freeAreas[6].lists[block.type].remove(at: block.index)
        zone.freeAreas[6].nrFree -= 1
        zone.freeAreas[5].lists[block.type] += [block.pfn]
        zone.freeAreas[5].lists[Migratetype.isolate.rawValue] += [block.pfn.advanced(by: 32)]
        zone.freeAreas[5].nrFree += 2
        zone.buddyPages.removeAll { $0.pfn == block.pfn }
        zone.buddyPages += [FreeBlock(pfn: block.pfn, order: Order(5)), FreeBlock(pfn: block.pfn.advanced(by: 32), order: Order(5))]
        zone.buddyPages.sort { $0.pfn < $1.pfn }
        let firstIsolated = (zone.startPfn.distance(to: block.pfn) + 32) >> 4
        zone.pageblocks[firstIsolated].isolated = true
        zone.pageblocks[firstIsolated + 1].isolated = true
        zone.nrFreePages -= 32
        zone.nrFreePagesBlocks -= 32
        snapshot.zones[1] = zone
        #expect(rules(OrderChecker(), snapshot).isEmpty)
        #expect(StandardCheckers.check(snapshot, context: Self.context).isEmpty)
    }

    /// Splits a free order-3 block of DMA32 into two order-2 buddies.
    func splitBelowPageblockOrder(_ original: StateSnapshot) -> StateSnapshot {
        var snapshot = original
        let block = freeBlock(snapshot, zone: 0) { order, _ in order == 3 }
        var zone = snapshot.zones[0]
        zone.freeAreas[3].lists[block.type].remove(at: block.index)
        zone.freeAreas[3].nrFree -= 1
        zone.freeAreas[2].lists[block.type] += [block.pfn, block.pfn.advanced(by: 4)]
        zone.freeAreas[2].nrFree += 2
        zone.buddyPages.removeAll { $0.pfn == block.pfn }
        zone.buddyPages += [FreeBlock(pfn: block.pfn, order: Order(2)), FreeBlock(pfn: block.pfn.advanced(by: 4), order: Order(2))]
        zone.buddyPages.sort { $0.pfn < $1.pfn }
        snapshot.zones[0] = zone
        return snapshot
    }

    // MARK: - PageblockMigratetypeChecker

    @Test func pageblockFiresOnABlockOnTheWrongList() {
        var snapshot = Self.busy
        let block = freeBlock(snapshot) { order, type in order == 6 && type == Migratetype.movable.rawValue }
        snapshot.zones[1].freeAreas[6].lists[block.type].remove(at: block.index)
        snapshot.zones[1].freeAreas[6].lists[Migratetype.unmovable.rawValue].append(block.pfn)
        #expect(rules(PageblockMigratetypeChecker(), snapshot) == ["wrong-free-list"])
        #expect(rules(PageblockMigratetypeChecker(), Self.busy).isEmpty)
    }

    @Test func pageblockFiresWhenCoveredPageblocksDisagree() {
        var snapshot = Self.busy
        let block = freeBlock(snapshot) { order, type in order == 6 && type == Migratetype.movable.rawValue }
        let index = snapshot.zones[1].startPfn.distance(to: block.pfn) >> 4 + 2
        snapshot.zones[1].pageblocks[index].type = .unmovable
        #expect(rules(PageblockMigratetypeChecker(), snapshot) == ["pageblocks-disagree"])
        var isolatedInside = Self.busy
        isolatedInside.zones[1].pageblocks[index].isolated = true
        #expect(rules(PageblockMigratetypeChecker(), isolatedInside) == ["pageblocks-disagree"])
    }

    @Test func pageblockFiresOnAHighatomicCountMismatch() {
        var snapshot = Self.busy
        snapshot.zones[0].pageblocks[0].type = .highatomic
        #expect(rules(PageblockMigratetypeChecker(), snapshot).contains("highatomic-reserve"))
        var counted = Self.busy
        counted.zones[1].nrReservedHighatomic = 16
        #expect(rules(PageblockMigratetypeChecker(), counted) == ["highatomic-reserve"])
    }

    /// `tiny`'s Normal zone manages 1,984 pages: 1% is 19, `max_managed` = ALIGN(19, 16) = 32,
    /// and the last reservation may add a whole MAX_ORDER block (64 pages) to at most 16: the
    /// count never exceeds 80. Its DMA32 zone manages 1,500 pages: 1% is 15, below a pageblock,
    /// so it never reserves at all.
    @Test func pageblockFiresAboveTheHighatomicCap() {
        var atCap = Self.busy
        atCap.zones[1].nrReservedHighatomic = 80
        #expect(rules(PageblockMigratetypeChecker(), atCap) == ["highatomic-reserve"])
        var aboveCap = Self.busy
        aboveCap.zones[1].nrReservedHighatomic = 96
        #expect(rules(PageblockMigratetypeChecker(), aboveCap) == ["highatomic-reserve", "highatomic-cap"])
        var tooSmallToReserve = Self.busy
        tooSmallToReserve.zones[0].nrReservedHighatomic = 16
        #expect(rules(PageblockMigratetypeChecker(), tooSmallToReserve) == ["highatomic-reserve", "highatomic-cap"])
    }

    @Test func pageblockFiresWhenIsolatedPagesAreCounted() {
        var snapshot = Self.busy
        snapshot.zones[1].nrFreePages += snapshot.zones[1].freeAreas.enumerated().reduce(0) { $0 + $1.element.lists[Migratetype.isolate.rawValue].count << $1.offset }
        #expect(snapshot.zones[1].nrFreePages != Self.busy.zones[1].nrFreePages)
        #expect(rules(PageblockMigratetypeChecker(), snapshot) == ["isolated-pages-counted"])
    }

    // MARK: - ZoneAccountingChecker

    /// `tiny`'s Normal zone: high watermark 99, `watermark_boost_factor` 15000, so `max_boost` =
    /// mult_frac(99, 15000, 10000) = 148; boosts go up by one pageblock (16 pages) at a time.
    @Test func zoneAccountingFiresOnABoostThatBoostWatermarkCannotReach() {
        func rulesWithBoost(_ boost: Int, factor: Int = 15000) -> [String] {
            var snapshot = Self.busy
            #expect(snapshot.zones[1].watermarks[Watermark.high.rawValue] == 99)
            snapshot.zones[1].watermarkBoost = boost
            snapshot.sysctl.watermarkBoostFactor = factor
            return rules(ZoneAccountingChecker(), snapshot)
        }
        #expect(rulesWithBoost(16).isEmpty)
        #expect(rulesWithBoost(144).isEmpty)
        #expect(rulesWithBoost(148).isEmpty)
        #expect(rulesWithBoost(150) == ["watermark-boost"])
        #expect(rulesWithBoost(24) == ["watermark-boost"])
        #expect(rulesWithBoost(16, factor: 0) == ["watermark-boost"])
    }

    @Test func zoneAccountingFiresOnEveryCounter() {
        func corrupted(_ change: (inout ZoneSnapshot) -> Void) -> [String] {
            var snapshot = Self.busy
            change(&snapshot.zones[1])
            return rules(ZoneAccountingChecker(), snapshot)
        }
        #expect(rules(ZoneAccountingChecker(), Self.busy).isEmpty)
        #expect(corrupted { $0.freeAreas[2].nrFree += 1 } == ["nr_free"])
        #expect(corrupted { $0.nrFreePages -= 1 } == ["NR_FREE_PAGES"])
        #expect(corrupted { $0.nrFreeHighatomic = 16 } == ["nr_free_highatomic"])
        #expect(corrupted { $0.nrFreePagesBlocks += 64 } == ["NR_FREE_PAGES_BLOCKS"])
        #expect(corrupted { $0.nrFreeCMAPages = 1 } == ["NR_FREE_CMA_PAGES"])
        #expect(corrupted { $0.pagesets[0].count += 1 } == ["pcp-count"])
        #expect(corrupted { $0.managedPages -= 1 } == ["managed-pages"])
        #expect(corrupted { $0.watermarks.swapAt(0, 2) } == ["watermark-order"])
    }

    // MARK: - ReferencesChecker

    @Test func referencesFiresOnBrokenAllocations() {
        func corrupted(_ change: (inout AllocatedBlock) -> Void) -> [String] {
            var snapshot = Self.busy
            let index = snapshot.allocated.firstIndex { $0.compound }!
            change(&snapshot.allocated[index])
            return rules(ReferencesChecker(), snapshot)
        }
        #expect(rules(ReferencesChecker(), Self.busy).isEmpty)
        #expect(corrupted { $0.refcount = 0 } == ["refcount"])
        #expect(corrupted { $0.order = .zero } == ["compound-order-0"])
        #expect(corrupted { $0.pfn = $0.pfn.advanced(by: 1) } == ["misaligned"])
        #expect(corrupted { $0.order = Order(7) } == ["order-too-large"])
        var duplicated = Self.busy
        duplicated.allocated.append(duplicated.allocated[0])
        #expect(rules(ReferencesChecker(), duplicated) == ["unsorted"])
    }
}
