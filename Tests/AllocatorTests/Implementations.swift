import BuddyVocabulary
import OptimizedAllocator
import ReferenceAllocator
import Testing

/// Every allocator the scenarios run against. A new implementation joins by adding one line.
nonisolated(unsafe) let allocatorImplementations: [any PageAllocator.Type] = [ReferencePageAllocator.self]

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
    static func oneZone(maxOrderBlocks: Int = 2, cpus: Int = 1, minFreeKbytes: Int = 0, boostFactor: Int = 15000) -> Profile {
        Profile(
            name: "layout", pageSize: 4096, maxPageOrder: 5, pageblockOrder: 3, pmdOrder: 5, cpus: cpus,
            sysctl: Profile.Sysctl(minFreeKbytes: minFreeKbytes, watermarkBoostFactor: boostFactor),
            nodes: [Profile.Node(zones: [Profile.Zone(type: .normal, startPfn: 0, spannedPages: 32 * maxOrderBlocks)])])
    }
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
