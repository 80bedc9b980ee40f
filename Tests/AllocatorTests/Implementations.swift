import BuddyVocabulary
import OptimizedAllocator
import ReferenceAllocator
import Testing

/// Every allocator the scenarios run against. A new implementation joins by adding one line.
nonisolated(unsafe) let allocatorImplementations: [any PageAllocator.Type] = [ReferencePageAllocator.self, OptimizedPageAllocator.self]

/// One allocator type under test, as a Swift Testing argument (metatypes are immutable, hence
/// the unchecked `Sendable`).
struct Implementation: @unchecked Sendable, CustomTestStringConvertible {
    let type: any PageAllocator.Type
    var testDescription: String { String(describing: type) }
    /// A freshly booted allocator.
    func boot(_ profile: Profile) -> any PageAllocator { type.init(profile: profile) }
}

/// `allocatorImplementations`, ready for `@Test(arguments:)`.
let implementations = allocatorImplementations.map(Implementation.init)

// MARK: - Profiles for drawn layouts

enum LayoutProfiles {
    /// One Normal zone at pfn 0 of `maxOrderBlocks` blocks of order 5 (32 pages), pageblocks of
    /// 8 pages (order 3), THP order 5, all watermarks 0 (`min_free_kbytes` 0), so that every
    /// allocation passes its watermark while a page is free.
    ///
    /// ```
    ///   pfn  0       8       16      24      32 ...
    ///        [pb 0  ][pb 1  ][pb 2  ][pb 3  ][pb 4 ...   four pageblocks per order-5 block
    /// ```
    static func oneZone(
        _ type: ZoneType = .normal, maxOrderBlocks: Int = 2, cpus: Int = 1, minFreeKbytes: Int = 0
    ) -> Profile {
        Profile(
            name: "layout", pageSize: 4096, maxPageOrder: 5, pageblockOrder: 3, pmdOrder: 5, cpus: cpus,
            sysctl: Profile.Sysctl(minFreeKbytes: minFreeKbytes),
            nodes: [Profile.Node(zones: [Profile.Zone(type: type, startPfn: 0, spannedPages: 32 * maxOrderBlocks)])])
    }

    /// The fallback scenarios' zone: a DMA32 zone of 256 pages (eight order-5 blocks), so that
    /// `GFP_KERNEL` requests fall back without `ALLOC_NOFRAGMENT`, and watermarks high enough
    /// for `boost_watermark`:
    ///
    /// ```
    ///   min_free_kbytes 64 → pages_min 16: min 16, step max(4, 0) = 4: low 20, high 24
    ///   max boost = max(8, mult_frac(24, 15000, 10000) = 36) = 36: boosts of 8 up to 36
    ///   batch 1, high_min = max(20, 4) = 20, high_max = max(256 / 8, 4) = 32
    /// ```
    static var fallback: Profile { oneZone(.dma32, maxOrderBlocks: 8, minFreeKbytes: 64) }
}

// MARK: - Driving an allocator through the protocol

extension PageAllocator {
    /// Applies an operation and records an issue when it was rejected.
    @discardableResult
    func run(_ operation: Operation, sourceLocation: SourceLocation = #_sourceLocation) -> Outcome {
        let outcome = apply(operation)
        if case .rejected(let rejection) = outcome {
            Issue.record("\(operation) was rejected: \(rejection)", sourceLocation: sourceLocation)
        }
        return outcome
    }

    /// Allocates and returns the pfn, recording an issue when the allocation fails.
    @discardableResult
    func allocate(order: Int, gfp: GFPFlags, cpu: Int = 0, sourceLocation: SourceLocation = #_sourceLocation) -> PFN? {
        let outcome = apply(.allocate(cpu: CPUID(cpu), order: Order(order), gfp: gfp))
        guard case .allocated(let pfn) = outcome else {
            Issue.record("allocation of order \(order) with \(gfp) did not succeed: \(outcome)", sourceLocation: sourceLocation)
            return nil
        }
        return pfn
    }

    func free(_ pfn: PFN?, order: Int, cpu: Int = 0, sourceLocation: SourceLocation = #_sourceLocation) {
        guard let pfn else { return }
        run(.freePages(cpu: CPUID(cpu), pfn: pfn, order: Order(order)), sourceLocation: sourceLocation)
    }

    /// The events of `body`, with recording switched on just for it.
    func eventsOf(_ body: () -> Void) -> [TraceEvent] {
        removeAllEvents()
        recordsEvents = true
        body()
        recordsEvents = false
        let recorded = events
        removeAllEvents()
        return recorded
    }
}

extension TraceEvent {
    /// The requested migratetype of an `mm_page_alloc` event.
    var allocMigratetype: Migratetype? {
        if case .pageAlloc(_, _, _, let migratetype) = self { return migratetype }
        return nil
    }
}

extension StateSnapshot {
    /// The zone of the given type on a node.
    func zone(_ type: ZoneType, node: Int = 0) -> ZoneSnapshot {
        zones.first { $0.id == ZoneID(node: NodeID(node), type: type) }!
    }
}

extension ZoneSnapshot {
    /// `free_list[type]` of `order`, head first, as raw pfns.
    func list(order: Int, _ type: Migratetype) -> [Int] { freeAreas[order].lists[type.rawValue].map(\.rawValue) }

    /// Free blocks as [pfn, order] pairs, by pfn.
    var freeBlocks: [[Int]] { buddyPages.map { [$0.pfn.rawValue, $0.order.rawValue] } }

    /// The effective types of the pageblocks, in order.
    var pageblockTypes: [Migratetype] { pageblocks.map(\.effectiveType) }
}

/// GFP masks used by the scenarios.
extension GFPFlags {
    /// `GFP_KERNEL | __GFP_RECLAIMABLE`
    static let kernelReclaimable: GFPFlags = [.kernel, .reclaimable]
    /// `GFP_KERNEL | __GFP_MOVABLE` (highest zone Normal, migratetype MOVABLE)
    static let kernelMovable: GFPFlags = [.kernel, .movable]
}

// MARK: - Layout pictures

extension StateSnapshot {
    /// One character per page of the zone, so a layout can be compared with a drawing:
    /// a digit is the first page of a free block of that order (its other pages are `-`), `p` a
    /// page of a block on a pcp list, `A` the first page of an allocated block (`a` the others),
    /// `#` a page that is not managed. `pmdOrder` is the order of the THP pcp lists.
    ///
    /// ```
    ///   "A0121...": an allocated page, a free page, a free order-1 block, ...
    /// ```
    func layout(_ type: ZoneType = .normal, node: Int = 0, pmdOrder: Int = 5) -> String {
        let zone = self.zone(type, node: node)
        let start = zone.startPfn.rawValue
        var pages = Array(repeating: Character("#"), count: zone.spannedPages)
        func mark(_ pfn: PFN, order: Int, head: Character, tail: Character) {
            for offset in 0..<(1 << order) where pfn.rawValue - start + offset < pages.count {
                pages[pfn.rawValue - start + offset] = offset == 0 ? head : tail
            }
        }
        for block in zone.buddyPages {
            mark(block.pfn, order: block.order.rawValue, head: Character(String(block.order.rawValue, radix: 36)), tail: "-")
        }
        for pageset in zone.pagesets {
            for (pindex, list) in pageset.lists.enumerated() {
                let order = pindex >= 12 ? pmdOrder : pindex / 3
                for pfn in list { mark(pfn, order: order, head: "p", tail: "p") }
            }
        }
        for block in allocated where zone.startPfn <= block.pfn && block.pfn < zone.endPfn {
            mark(block.pfn, order: block.order.rawValue, head: "A", tail: "a")
        }
        return String(pages)
    }
}

extension LayoutProfiles {
    /// One Normal zone of 32768 pages at pfn 0 (MAX order 5, pageblocks of 8, THP order 5),
    /// one CPU, `min_free_kbytes` 0, so that the pcp numbers are round:
    ///
    /// ```
    ///   batch    = rounddown_pow_of_two(8 + 4) − 1 = 7     (min(32768 >> 12, 64) = 8)
    ///   low      = 0 + mult_frac(32768, 10, 10000) = 32; high watermark 64
    ///   high_min = max(32 / 1 CPU, 4 * 7) = 32; high_max = max(32768 / 8, 28) = 4096
    ///   with percpu_pagelist_high_fraction 1024: high_min = high_max = max(32, 28) = 32
    /// ```
    static func pcp(highFraction: Int = 0) -> Profile {
        Profile(
            name: "pcp", pageSize: 4096, maxPageOrder: 5, pageblockOrder: 3, pmdOrder: 5, cpus: 1,
            sysctl: Profile.Sysctl(minFreeKbytes: 0, percpuPagelistHighFraction: highFraction),
            nodes: [Profile.Node(zones: [Profile.Zone(type: .normal, startPfn: 0, spannedPages: 32768)])])
    }
}

extension Array where Element == TraceEvent {
    /// The number of `mm_page_alloc_zone_locked` events.
    var zoneLockedCount: Int { filter { if case .pageAllocZoneLocked = $0 { true } else { false } }.count }
    /// The pfns of the `mm_page_pcpu_drain` events, in order.
    var drainedPfns: [Int] { compactMap { if case .pagePcpuDrain(let pfn, _, _) = $0 { pfn.rawValue } else { nil } } }
}
