import BuddyVocabulary
import Testing
@testable import OptimizedAllocator

/// The building blocks: intrusive lists, the list bitmasks, the pageblock bitmap, and the
/// module-local copies of kernel constants.
@Suite struct DataStructureTests {
    /// A frame table of `pages` frames plus `lists` sentinels, freed by the caller.
    func makeTable(pages: Int, lists: Int) -> FrameTable {
        let base = UnsafeMutablePointer<PageFrame>.allocate(capacity: pages + lists)
        base.initialize(repeating: PageFrame(state: .tail), count: pages + lists)
        let table = FrameTable(base: base)
        for sentinel in pages..<(pages + lists) { table.initializeList(UInt32(sentinel)) }
        return table
    }

    func contents(_ table: FrameTable, _ sentinel: UInt32) -> [UInt32] { table.indexes(of: sentinel, limit: 100) }

    /// Walking backwards must give the same list reversed: every prev link agrees with a next.
    func backwards(_ table: FrameTable, _ sentinel: UInt32) -> [UInt32] {
        var result: [UInt32] = []
        var cursor = table[sentinel].prev
        while cursor != sentinel, result.count < 100 {
            result.append(cursor)
            cursor = table[cursor].prev
        }
        return result
    }

    @Test func intrusiveListAddRemoveMove() {
        let table = makeTable(pages: 8, lists: 2)
        defer { table.base.deallocate() }
        let first: UInt32 = 8, second: UInt32 = 9
        #expect(table.isEmpty(first))
        table.addHead(3, first)
        table.addHead(1, first)
        table.addTail(5, first)
        #expect(contents(table, first) == [1, 3, 5])
        #expect(backwards(table, first) == [5, 3, 1])
        #expect(table.first(first) == 1 && table.last(first) == 5)
        table.remove(3)
        #expect(contents(table, first) == [1, 5])
        // A move is a remove and an add at the other list's tail (`list_move_tail`).
        table.remove(5)
        table.addTail(5, second)
        table.addTail(2, second)
        #expect(contents(table, first) == [1])
        #expect(contents(table, second) == [5, 2])
        #expect(backwards(table, second) == [2, 5])
        table.remove(1)
        #expect(table.isEmpty(first))
        #expect(backwards(table, first).isEmpty)
    }

    @Test func refcountSharesTheLinks() {
        var frame = PageFrame(state: .allocated)
        frame.refcount = 1 << 40 | 7
        #expect(frame.refcount == 1 << 40 | 7)
        #expect(frame.next == 7 && frame.prev == 1 << 8)
        #expect(MemoryLayout<PageFrame>.stride == 12, "the frame layout is 12 bytes")
    }

    @Test func freeListBitmaskFollowsListContents() {
        let allocator = OptimizedPageAllocator(profile: BuiltInProfiles.tiny)
        let zone = allocator.zones + (ZoneType.normal.rawValue)
        // Boot: every block is an order-6 MOVABLE block (see the tiny profile).
        #expect(zone.pointee.freeListMask[MigrateIndex.movable] == 1 << 6)
        #expect(zone.pointee.freeListMask[MigrateIndex.unmovable] == 0)
        let head = zone.pointee.firstFreeBlock(order: 6, migratetype: MigrateIndex.movable)!
        zone.pointee.deleteFreeBlockAccounted(head, order: 6, migratetype: MigrateIndex.movable)
        zone.pointee.addFreeBlock(head, order: 3, migratetype: MigrateIndex.reclaimable, tail: false)
        #expect(zone.pointee.freeListMask[MigrateIndex.reclaimable] == 1 << 3)
        zone.pointee.moveFreeBlock(head, order: 3, from: MigrateIndex.reclaimable, to: MigrateIndex.highatomic)
        #expect(zone.pointee.freeListMask[MigrateIndex.reclaimable] == 0)
        #expect(zone.pointee.freeListMask[MigrateIndex.highatomic] == 1 << 3)
        #expect(zone.pointee.nrFreeHighatomic == 8)
        zone.pointee.deleteFreeBlockAccounted(head, order: 3, migratetype: MigrateIndex.highatomic)
        #expect(zone.pointee.freeListMask[MigrateIndex.highatomic] == 0)
        #expect(zone.pointee.nrFreeHighatomic == 0)
    }

    @Test func pageblockBitmapKeepsTypeAndIsolateBitApart() {
        let allocator = OptimizedPageAllocator(profile: BuiltInProfiles.tiny)
        let zone = allocator.zones + (ZoneType.normal.rawValue)
        let pfn = 2048 + 16 * 3 + 5
        #expect(zone.pointee.pageblockMigratetype(pfn) == MigrateIndex.movable)
        zone.pointee.writePageblockType(pfn, MigrateIndex.reclaimable)
        zone.pointee.togglePageblockIsolate(pfn, true)
        #expect(zone.pointee.pageblockMigratetype(pfn) == MigrateIndex.isolate)
        #expect(zone.pointee.pageblockStoredType(pfn) == MigrateIndex.reclaimable)
        #expect(zone.pointee.pageblockByte(pfn).pointee == 0x12, "bits 0-2 type, bit 4 isolate")
        #expect(zone.pointee.pageblockMigratetype(pfn - 16) == MigrateIndex.movable, "neighbours untouched")
        zone.pointee.togglePageblockIsolate(pfn, false)
        #expect(zone.pointee.pageblockMigratetype(pfn) == MigrateIndex.reclaimable, "un-isolating restores the type")
        zone.pointee.togglePageblockIsolate(pfn, true)
        zone.pointee.writePageblockType(pfn, MigrateIndex.unmovable)
        #expect(zone.pointee.pageblockMigratetype(pfn) == MigrateIndex.unmovable, "setting a type clears the isolate bit")
    }

    @Test func moduleConstantsMatchTheVocabulary() {
        #expect(GFPBit.zoneMask == GFPFlags.zoneMask.rawValue)
        #expect(GFPBit.movableMask == GFPFlags.movableMask.rawValue)
        #expect(GFPBit.high == GFPFlags.high.rawValue)
        #expect(GFPBit.directReclaim == GFPFlags.directReclaim.rawValue)
        #expect(GFPBit.kswapdReclaim == GFPFlags.kswapdReclaim.rawValue)
        #expect(GFPBit.retryMayFail == GFPFlags.retryMayFail.rawValue)
        #expect(GFPBit.noRetry == GFPFlags.noRetry.rawValue)
        #expect(GFPBit.memalloc == GFPFlags.memalloc.rawValue)
        #expect(GFPBit.comp == GFPFlags.comp.rawValue)
        #expect(GFPBit.noMemalloc == GFPFlags.noMemalloc.rawValue)
        #expect(GFPBit.thisNode == GFPFlags.thisNode.rawValue)
        let allocPairs: [(UInt32, AllocFlags)] = [
            (AllocBit.wmarkLow, .wmarkLow), (AllocBit.wmarkHigh, .wmarkHigh), (AllocBit.wmarkMask, .wmarkMask),
            (AllocBit.noWatermarks, .noWatermarks), (AllocBit.oom, .oom), (AllocBit.nonBlock, .nonBlock),
            (AllocBit.minReserve, .minReserve), (AllocBit.cpuset, .cpuset), (AllocBit.cma, .cma),
            (AllocBit.noFragment, .noFragment), (AllocBit.highatomic, .highatomic), (AllocBit.kswapd, .kswapd),
            (AllocBit.reserves, .reserves),
        ]
        for (local, vocabulary) in allocPairs { #expect(local == vocabulary.rawValue) }
        #expect(ZoneFlagBit.boostedWatermark == ZoneFlags.boostedWatermark.rawValue)
        #expect(ZoneFlagBit.reclaimActive == ZoneFlags.reclaimActive.rawValue)
        #expect(ZoneFlagBit.belowHigh == ZoneFlags.belowHigh.rawValue)
        #expect(PCPFlagBit.prevFreeHighOrder == PagesetSnapshot.flagPrevFreeHighOrder)
        #expect(PCPFlagBit.freeHighBatch == PagesetSnapshot.flagFreeHighBatch)
        #expect(ZoneState.perCPUListCount == PagesetSnapshot.listCount)
    }

    @Test func gfpZoneFollowsTheKernelTable() {
        #expect(gfpZone(GFPFlags.kernel.rawValue) == ZoneType.normal.rawValue)
        #expect(gfpZone(GFPFlags.gfpDMA.rawValue) == ZoneType.dma.rawValue)
        #expect(gfpZone(GFPFlags.gfpDMA32.rawValue) == ZoneType.dma32.rawValue)
        #expect(gfpZone(GFPFlags.highUser.rawValue) == ZoneType.normal.rawValue)
        #expect(gfpZone(GFPFlags.movable.rawValue) == ZoneType.normal.rawValue)
        #expect(gfpZone(GFPFlags.highUserMovable.rawValue) == ZoneType.movable.rawValue)
        #expect(gfpZone(GFPFlags([.movable, .dma32]).rawValue) == ZoneType.dma32.rawValue)
        #expect(gfpZone(GFPFlags([.movable, .dma]).rawValue) == ZoneType.dma.rawValue)
        let allocator = OptimizedPageAllocator(profile: BuiltInProfiles.tiny)
        for bad: GFPFlags in [[.dma, .dma32], [.dma, .highmem], [.dma32, .highmem], [.kernel, .movable, .reclaimable]] {
            #expect(!allocator.isValidGFP(bad.rawValue))
            #expect(allocator.apply(.allocate(cpu: CPUID(0), order: .zero, gfp: bad)) == .rejected(Rejection(.invalidGFP, pfn: nil)))
        }
        for good: GFPFlags in [.kernel, .atomic, .highUserMovable, .gfpDMA, .gfpDMA32, .transhuge, [.kernel, .reclaimable]] {
            #expect(allocator.isValidGFP(good.rawValue))
        }
    }

    @Test func kernelArithmetic() {
        #expect(kernelClamp(5, 1, 10) == 5)
        #expect(kernelClamp(0, 1, 10) == 1)
        #expect(kernelClamp(11, 1, 10) == 10)
        // low > high: `value ≥ high` gives high, else low (not min(max(...))).
        #expect(kernelClamp(20, 16, 4) == 4)
        #expect(kernelClamp(3, 16, 4) == 16)
        #expect(multFrac(18277, 15000, 10000) == 27415)
        #expect(integerSquareRoot(15) == 3)
        #expect(integerSquareRoot(16) == 4)
        #expect(integerSquareRoot(1 << 50) == 1 << 25)
    }
}
