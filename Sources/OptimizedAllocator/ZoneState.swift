import BuddyVocabulary

/// `struct per_cpu_pages` of one CPU in one zone. The lists themselves are sentinel frames in the
/// zone's frame table (`ZoneState.perCPUListSentinel`).
@usableFromInline
struct PerCPUPages {
    @usableFromInline var count = 0
    @usableFromInline var high = 0
    @usableFromInline var highMin = 0
    @usableFromInline var highMax = 0
    @usableFromInline var batch = 1
    @usableFromInline var flags: UInt8 = 0
    @usableFromInline var allocFactor = 0
    @usableFromInline var freeCount = 0

    @usableFromInline init() {}
}

/// Migratetype indexes as plain integers for the hot paths (`enum migratetype`).
@usableFromInline
enum MigrateIndex {
    @usableFromInline static let unmovable = 0
    @usableFromInline static let movable = 1
    @usableFromInline static let reclaimable = 2
    /// `MIGRATE_PCPTYPES`, also `MIGRATE_HIGHATOMIC`.
    @usableFromInline static let pcpTypes = 3
    @usableFromInline static let highatomic = 3
    @usableFromInline static let cma = 4
    @usableFromInline static let isolate = 5
    /// `MIGRATE_TYPES`: free lists per order (every type has a list, CMA included, so that the
    /// snapshot always has six lists).
    @usableFromInline static let count = 6
}

/// `struct zone`: geometry, the free areas with their per-list bitmasks, counters, watermarks,
/// flags and the per-CPU pagesets.
///
/// Memory layout of the frame table this zone owns:
///
/// ```
/// frames[0 ..< coveredPages]                         one PageFrame per covered page
/// frames[freeListBase + order * 6 + migratetype]     free_area[order].free_list[mt] sentinels
/// frames[perCPUListBase + cpu * 14 + pindex]         per_cpu_pages.lists[pindex] sentinels
/// ```
///
/// The covered pages are the zone's managed pages widened to whole `MAX_PAGE_ORDER` blocks, so
/// that every buddy of a managed block is inside the table; pages of the span outside the
/// covered range are never managed and need no frame.
@usableFromInline
struct ZoneState {
    // MARK: Identity and geometry (constant after boot)
    @usableFromInline let id: ZoneID
    /// `zone_to_nid` and `zone_idx` as plain integers for the hot paths.
    @usableFromInline let nodeIndex: Int
    @usableFromInline let typeIndex: Int
    @usableFromInline let startPfn: Int
    @usableFromInline let spannedPages: Int
    @usableFromInline let presentPages: Int
    @usableFromInline let managedPages: Int
    /// Managed pages > 0 (the vocabulary's `ZoneSnapshot.isPopulated`).
    @usableFromInline let isPopulated: Bool
    @usableFromInline let pageblockOrder: Int
    @usableFromInline let orderCount: Int

    // MARK: Frames and lists
    /// PFN of `frames[0]`.
    @usableFromInline let coverageStartPfn: Int
    @usableFromInline let coveredPages: Int
    @usableFromInline let frames: FrameTable
    @usableFromInline let freeListBase: UInt32
    @usableFromInline let perCPUListBase: UInt32

    // MARK: Free areas
    /// `free_area[order].nr_free`.
    @usableFromInline let nrFree: UnsafeMutablePointer<Int>
    /// Per migratetype, bit `order` is set while `free_area[order].free_list[mt]` is not empty.
    /// `__rmqueue_smallest`, `find_suitable_fallback` and the high-order watermark scan read
    /// these instead of walking orders: the first usable order is one count-trailing-zeros away.
    @usableFromInline let freeListMask: UnsafeMutablePointer<UInt32>

    // MARK: Pageblock flags
    /// The pageblock flags bitmap shared by every zone whose pageblocks touch (`NR_PAGEBLOCK_BITS`
    /// = 8 with isolation: one byte per pageblock; bits 0-2 `PB_migrate`, bit 3
    /// `PB_compact_skip`, bit 4 `PB_migrate_isolate`). Byte `i` is pageblock `pageblockBase + i`.
    @usableFromInline let pageblockFlags: UnsafeMutablePointer<UInt8>
    @usableFromInline let pageblockBase: Int

    // MARK: Watermarks, counters, flags (`_watermark[]`, `vm_stat[]`, `zone->flags`)
    /// `_watermark[WMARK_MIN ... WMARK_PROMO]`, without boost.
    @usableFromInline let watermarks: UnsafeMutablePointer<Int>
    /// `lowmem_reserve[MAX_NR_ZONES]`.
    @usableFromInline let lowmemReserve: UnsafeMutablePointer<Int>
    @usableFromInline var watermarkBoost = 0
    @usableFromInline var flags: UInt8 = 0
    @usableFromInline var nrFreePages = 0
    @usableFromInline var nrFreePagesBlocks = 0
    @usableFromInline var nrFreeCMAPages = 0
    @usableFromInline var nrReservedHighatomic = 0
    @usableFromInline var nrFreeHighatomic = 0

    // MARK: Per-CPU pagesets
    @usableFromInline var pagesetHighMin = 0
    @usableFromInline var pagesetHighMax = 0
    @usableFromInline var pagesetBatch = 1
    @usableFromInline let perCPU: UnsafeMutablePointer<PerCPUPages>

    @usableFromInline static let perCPUListCount = PagesetSnapshot.listCount

    init(
        id: ZoneID, geometry: Profile.Zone?, pageblockOrder: Int, orderCount: Int, cpuCount: Int,
        coverage: (startPfn: Int, pages: Int), pageblocks: (flags: UnsafeMutablePointer<UInt8>, base: Int)
    ) {
        self.id = id
        nodeIndex = id.node.rawValue
        typeIndex = id.type.rawValue
        startPfn = geometry?.startPfn ?? 0
        spannedPages = geometry?.spannedPages ?? 0
        presentPages = geometry?.presentPages ?? 0
        managedPages = geometry?.managedPages ?? 0
        isPopulated = managedPages > 0
        self.pageblockOrder = pageblockOrder
        self.orderCount = orderCount
        coverageStartPfn = coverage.startPfn
        coveredPages = coverage.pages
        freeListBase = UInt32(coverage.pages)
        perCPUListBase = freeListBase + UInt32(orderCount * MigrateIndex.count)
        let frameCount = Int(perCPUListBase) + cpuCount * ZoneState.perCPUListCount
        let base = UnsafeMutablePointer<PageFrame>.allocate(capacity: frameCount)
        base.initialize(repeating: PageFrame(state: .unmanaged), count: frameCount)
        frames = FrameTable(base: base)
        for sentinel in Int(freeListBase)..<frameCount { frames.initializeList(UInt32(sentinel)) }
        nrFree = .allocate(capacity: orderCount)
        nrFree.initialize(repeating: 0, count: orderCount)
        freeListMask = .allocate(capacity: MigrateIndex.count)
        freeListMask.initialize(repeating: 0, count: MigrateIndex.count)
        pageblockFlags = pageblocks.flags
        pageblockBase = pageblocks.base
        watermarks = .allocate(capacity: Watermark.allCases.count)
        watermarks.initialize(repeating: 0, count: Watermark.allCases.count)
        lowmemReserve = .allocate(capacity: ZoneType.maxNumberOfZones)
        lowmemReserve.initialize(repeating: 0, count: ZoneType.maxNumberOfZones)
        perCPU = .allocate(capacity: cpuCount)
        perCPU.initialize(repeating: PerCPUPages(), count: cpuCount)
    }

    /// Frees the buffers this zone owns (not the shared pageblock bitmap).
    func deallocate() {
        frames.base.deallocate()
        nrFree.deallocate()
        freeListMask.deallocate()
        watermarks.deallocate()
        lowmemReserve.deallocate()
        perCPU.deallocate()
    }

    /// The metadata bytes this zone owns, for the benchmark.
    func metadataBytes(cpuCount: Int) -> Int {
        (Int(perCPUListBase) + cpuCount * ZoneState.perCPUListCount) * MemoryLayout<PageFrame>.stride
            + cpuCount * MemoryLayout<PerCPUPages>.stride
            + (orderCount + Watermark.allCases.count + ZoneType.maxNumberOfZones) * MemoryLayout<Int>.stride
            + MigrateIndex.count * MemoryLayout<UInt32>.stride
    }

    // MARK: - Geometry helpers

    @inline(__always)
    func spans(_ pfn: Int) -> Bool { UInt(bitPattern: pfn &- startPfn) < UInt(bitPattern: spannedPages) }

    /// The frame index of a PFN if it is covered.
    @inline(__always)
    func frameIndex(_ pfn: Int) -> UInt32? {
        let offset = pfn &- coverageStartPfn
        guard UInt(bitPattern: offset) < UInt(bitPattern: coveredPages) else { return nil }
        return UInt32(truncatingIfNeeded: offset)
    }

    @inline(__always)
    func pfn(_ index: UInt32) -> Int { coverageStartPfn &+ Int(index) }

    /// The sentinel of `free_area[order].free_list[migratetype]`.
    @inline(__always)
    func freeListSentinel(order: Int, migratetype: Int) -> UInt32 {
        freeListBase &+ UInt32(truncatingIfNeeded: order &* MigrateIndex.count &+ migratetype)
    }

    /// The sentinel of `per_cpu_pages.lists[pindex]` of `cpu`.
    @inline(__always)
    func perCPUListSentinel(cpu: Int, pindex: Int) -> UInt32 {
        perCPUListBase &+ UInt32(truncatingIfNeeded: cpu &* ZoneState.perCPUListCount &+ pindex)
    }

    /// `wmark_pages(zone, mark)`: the watermark plus the boost.
    @inline(__always)
    func watermarkPages(_ mark: Int) -> Int { watermarks[mark] &+ watermarkBoost }

    // MARK: - Pageblock flags (`get_pfnblock_migratetype` and friends)

    @usableFromInline static let migratetypeMask: UInt8 = 0x7
    @usableFromInline static let isolateBit: UInt8 = 1 &<< 4

    @inline(__always)
    func pageblockByte(_ pfn: Int) -> UnsafeMutablePointer<UInt8> {
        pageblockFlags + ((pfn &>> pageblockOrder) &- pageblockBase)
    }

    /// `get_pfnblock_migratetype`: ISOLATE if the isolate bit is set, else the 3-bit type.
    @inline(__always)
    func pageblockMigratetype(_ pfn: Int) -> Int {
        let byte = pageblockByte(pfn).pointee
        return byte & ZoneState.isolateBit != 0 ? MigrateIndex.isolate : Int(byte & ZoneState.migratetypeMask)
    }

    /// The 3-bit type alone (`__get_pfnblock_flags_mask(.., MIGRATETYPE_MASK)`).
    @inline(__always)
    func pageblockStoredType(_ pfn: Int) -> Int { Int(pageblockByte(pfn).pointee & ZoneState.migratetypeMask) }

    /// `get_pageblock_isolate`.
    @inline(__always)
    func pageblockIsolated(_ pfn: Int) -> Bool { pageblockByte(pfn).pointee & ZoneState.isolateBit != 0 }

    /// `set_pageblock_migratetype` without the grouping rule (the caller applies it): writes the
    /// type with a mask that also clears the isolate bit (`MIGRATETYPE_AND_ISO_MASK`).
    @inline(__always)
    func writePageblockType(_ pfn: Int, _ migratetype: Int) {
        assert(migratetype != MigrateIndex.isolate, "PB_migrate never holds MIGRATE_ISOLATE")
        let byte = pageblockByte(pfn)
        byte.pointee = (byte.pointee & ~(ZoneState.migratetypeMask | ZoneState.isolateBit)) | UInt8(migratetype)
    }

    /// `set_pageblock_isolate` / `clear_pageblock_isolate`.
    @inline(__always)
    func togglePageblockIsolate(_ pfn: Int, _ isolate: Bool) {
        let byte = pageblockByte(pfn)
        byte.pointee = isolate ? byte.pointee | ZoneState.isolateBit : byte.pointee & ~ZoneState.isolateBit
    }

    // MARK: - Free lists with their accounting

    /// `account_freepages`.
    @inline(__always)
    mutating func accountFreePages(_ pages: Int, _ migratetype: Int) {
        if migratetype == MigrateIndex.isolate { return }
        nrFreePages &+= pages
        if migratetype == MigrateIndex.cma {
            nrFreeCMAPages &+= pages
        } else if migratetype == MigrateIndex.highatomic {
            nrFreeHighatomic &+= pages
        }
    }

    /// `set_buddy_order` + `__add_to_free_list`: the block becomes PageBuddy and joins the head or
    /// tail of `free_list[migratetype]`; `NR_FREE_PAGES_BLOCKS` counts it if it is at least a
    /// pageblock and not isolated. Free-page accounting is the caller's.
    @inline(__always)
    mutating func addFreeBlock(_ index: UInt32, order: Int, migratetype: Int, tail: Bool) {
        let sentinel = freeListSentinel(order: order, migratetype: migratetype)
        if tail { frames.addTail(index, sentinel) } else { frames.addHead(index, sentinel) }
        frames[index].state = .buddy
        frames[index].order = UInt8(truncatingIfNeeded: order)
        frames[index].listType = UInt8(truncatingIfNeeded: migratetype)
        freeListMask[migratetype] |= 1 &<< UInt32(order)
        nrFree[order] &+= 1
        if order >= pageblockOrder, migratetype != MigrateIndex.isolate { nrFreePagesBlocks &+= 1 &<< order }
    }

    /// Unlinks a free block from the list it is on, keeping that list's mask bit exact.
    @inline(__always)
    mutating func unlinkFreeBlock(_ index: UInt32, order: Int) {
        let actualType = Int(frames[index].listType)
        frames.remove(index)
        if frames.isEmpty(freeListSentinel(order: order, migratetype: actualType)) {
            freeListMask[actualType] &= ~(1 &<< UInt32(order))
        }
    }

    /// `__del_page_from_free_list`: off the list, PageBuddy and the order cleared; accounting of
    /// `NR_FREE_PAGES_BLOCKS` by the type the caller passes, as the kernel does.
    @inline(__always)
    mutating func deleteFreeBlock(_ index: UInt32, order: Int, migratetype: Int) {
        unlinkFreeBlock(index, order: order)
        frames[index].state = .tail
        frames[index].order = 0
        nrFree[order] &-= 1
        if order >= pageblockOrder, migratetype != MigrateIndex.isolate { nrFreePagesBlocks &-= 1 &<< order }
    }

    /// `del_page_from_free_list`: `__del_page_from_free_list` plus the free-page accounting.
    @inline(__always)
    mutating func deleteFreeBlockAccounted(_ index: UInt32, order: Int, migratetype: Int) {
        deleteFreeBlock(index, order: order, migratetype: migratetype)
        accountFreePages(-(1 &<< order), migratetype)
    }

    /// `move_to_free_list`: to the tail of `free_list[new]`, accounted out of `old` and into
    /// `new`; `NR_FREE_PAGES_BLOCKS` changes only when isolate-ness changes.
    @inline(__always)
    /// `accounted` is false only under the `moveSkipsAccounting` mutant.
    mutating func moveFreeBlock(_ index: UInt32, order: Int, from old: Int, to new: Int, accounted: Bool = true) {
        unlinkFreeBlock(index, order: order)
        frames.addTail(index, freeListSentinel(order: order, migratetype: new))
        frames[index].listType = UInt8(truncatingIfNeeded: new)
        freeListMask[new] |= 1 &<< UInt32(order)
        if accounted {
            accountFreePages(-(1 &<< order), old)
            accountFreePages(1 &<< order, new)
        }
        let oldIsolated = old == MigrateIndex.isolate
        if order >= pageblockOrder, oldIsolated != (new == MigrateIndex.isolate) {
            nrFreePagesBlocks += oldIsolated ? 1 &<< order : -(1 &<< order)
        }
    }

    /// `get_page_from_free_area`: the head of a free list, if any.
    @inline(__always)
    func firstFreeBlock(order: Int, migratetype: Int) -> UInt32? {
        guard freeListMask[migratetype] & (1 &<< UInt32(order)) != 0 else { return nil }
        return frames.first(freeListSentinel(order: order, migratetype: migratetype))
    }

    /// `free_area_empty`.
    @inline(__always)
    func freeListIsEmpty(order: Int, migratetype: Int) -> Bool {
        freeListMask[migratetype] & (1 &<< UInt32(order)) == 0
    }
}
