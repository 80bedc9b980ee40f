/// A page frame number: the index of a physical page (`page_to_pfn`).
///
/// Arithmetic on PFNs stays explicit (`advanced(by:)`, `buddy(atOrder:)`) so that a page count
/// never silently becomes an address.
public struct PFN: RawRepresentable, Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    public var rawValue: Int
    @inlinable public init(rawValue: Int) { self.rawValue = rawValue }
    @inlinable public init(_ rawValue: Int) { self.rawValue = rawValue }

    @inlinable public static func < (lhs: PFN, rhs: PFN) -> Bool { lhs.rawValue < rhs.rawValue }
    @inlinable public func advanced(by pages: Int) -> PFN { PFN(rawValue + pages) }
    @inlinable public func distance(to other: PFN) -> Int { other.rawValue - rawValue }

    /// True if this PFN may head a block of `order` (`IS_ALIGNED(pfn, 1 << order)`).
    @inlinable public func isAligned(_ order: Order) -> Bool { rawValue & (order.pageCount - 1) == 0 }
    /// `__find_buddy_pfn`: the PFN of the buddy block of the same order.
    @inlinable public func buddy(atOrder order: Order) -> PFN { PFN(rawValue ^ order.pageCount) }
    /// Rounds down to a multiple of `2^order`.
    @inlinable public func alignedDown(_ order: Order) -> PFN { PFN(rawValue & ~(order.pageCount - 1)) }

    public var description: String { "0x" + String(rawValue, radix: 16) }
}

/// An allocation order: a block of `2^order` pages.
public struct Order: RawRepresentable, Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    public var rawValue: Int
    @inlinable public init(rawValue: Int) { self.rawValue = rawValue }
    @inlinable public init(_ rawValue: Int) { self.rawValue = rawValue }
    @inlinable public static func < (lhs: Order, rhs: Order) -> Bool { lhs.rawValue < rhs.rawValue }
    /// `1 << order`.
    @inlinable public var pageCount: Int { 1 << rawValue }
    public static let zero = Order(0)
    /// `PAGE_ALLOC_COSTLY_ORDER`.
    public static let costly = Order(3)
    public var description: String { String(rawValue) }
}

/// A CPU number (`smp_processor_id()`); each CPU owns one `per_cpu_pages` per populated zone.
public struct CPUID: RawRepresentable, Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    public var rawValue: Int
    @inlinable public init(rawValue: Int) { self.rawValue = rawValue }
    @inlinable public init(_ rawValue: Int) { self.rawValue = rawValue }
    @inlinable public static func < (lhs: CPUID, rhs: CPUID) -> Bool { lhs.rawValue < rhs.rawValue }
    public var description: String { String(rawValue) }
}

/// A NUMA node id (`pg_data_t->node_id`).
public struct NodeID: RawRepresentable, Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    public var rawValue: Int
    @inlinable public init(rawValue: Int) { self.rawValue = rawValue }
    @inlinable public init(_ rawValue: Int) { self.rawValue = rawValue }
    @inlinable public static func < (lhs: NodeID, rhs: NodeID) -> Bool { lhs.rawValue < rhs.rawValue }
    public var description: String { String(rawValue) }
}

/// The x86_64 zone index (`enum zone_type`): DMA 0, DMA32 1, Normal 2, Movable 3.
/// `ZONE_DEVICE` (4) holds no buddy memory and is only counted in `MAX_NR_ZONES`.
public enum ZoneType: Int, CaseIterable, Comparable, Sendable, Codable, CustomStringConvertible {
    case dma = 0
    case dma32 = 1
    case normal = 2
    case movable = 3

    /// `MAX_NR_ZONES` on x86_64 with `CONFIG_ZONE_DEVICE`: the width of `lowmem_reserve[]` and of
    /// the `protection:` line in `/proc/zoneinfo`.
    public static let maxNumberOfZones = 5

    /// The kernel's zone name (`zone_names[]`).
    public var name: String {
        switch self {
        case .dma: "DMA"
        case .dma32: "DMA32"
        case .normal: "Normal"
        case .movable: "Movable"
        }
    }

    public init?(name: String) {
        guard let zone = ZoneType.allCases.first(where: { $0.name == name }) else { return nil }
        self = zone
    }

    public static func < (lhs: ZoneType, rhs: ZoneType) -> Bool { lhs.rawValue < rhs.rawValue }
    public var description: String { name }
}

/// A zone of a node: the pair `page_zone(page)` compares in `page_is_buddy`.
public struct ZoneID: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    public var node: NodeID
    public var type: ZoneType
    public init(node: NodeID, type: ZoneType) {
        self.node = node
        self.type = type
    }
    public static func < (lhs: ZoneID, rhs: ZoneID) -> Bool {
        (lhs.node.rawValue, lhs.type.rawValue) < (rhs.node.rawValue, rhs.type.rawValue)
    }
    public var description: String { "Node \(node) \(type.name)" }
}

/// `enum migratetype` with `CONFIG_CMA` and `CONFIG_MEMORY_ISOLATION`.
public enum Migratetype: Int, CaseIterable, Comparable, Sendable, Codable, CustomStringConvertible {
    case unmovable = 0
    case movable = 1
    case reclaimable = 2
    case highatomic = 3
    case cma = 4
    case isolate = 5

    /// `MIGRATE_PCPTYPES`: the types with their own pcp lists.
    public static let pcpTypeCount = 3
    /// `MIGRATE_TYPES`.
    public static let count = 6

    /// `migratetype_is_mergeable`: only the pcp types merge across pageblock boundaries.
    @inlinable public var isMergeable: Bool { rawValue < Migratetype.pcpTypeCount }

    /// `migratetype_names[]`, as `/proc/pagetypeinfo` prints them.
    public var kernelName: String {
        switch self {
        case .unmovable: "Unmovable"
        case .movable: "Movable"
        case .reclaimable: "Reclaimable"
        case .highatomic: "HighAtomic"
        case .cma: "CMA"
        case .isolate: "Isolate"
        }
    }

    /// The letter `show_migration_types` prints in `show_free_areas`.
    public var letter: Character {
        switch self {
        case .unmovable: "U"
        case .movable: "M"
        case .reclaimable: "E"
        case .highatomic: "H"
        case .cma: "C"
        case .isolate: "I"
        }
    }

    public static func < (lhs: Migratetype, rhs: Migratetype) -> Bool { lhs.rawValue < rhs.rawValue }
    public var description: String { kernelName }
}

/// The pageblock flags of one pageblock, 6.17+ layout (`include/linux/pageblock-flags.h`):
/// the 3-bit `PB_migrate` type and the separate `PB_migrate_isolate` bit.
///
/// Invariant: `type` is never `.isolate`; isolation is the `isolated` bit alone, so un-isolating
/// restores the type the block had.
public struct PageblockState: Hashable, Sendable, Codable, CustomStringConvertible {
    public var type: Migratetype
    public var isolated: Bool
    public init(type: Migratetype, isolated: Bool = false) {
        precondition(type != .isolate, "PB_migrate never holds MIGRATE_ISOLATE since 6.17")
        self.type = type
        self.isolated = isolated
    }
    /// `get_pfnblock_migratetype`: ISOLATE if the isolate bit is set, else the stored type.
    @inlinable public var effectiveType: Migratetype { isolated ? .isolate : type }
    public var description: String { isolated ? "\(type.kernelName)+Isolate" : type.kernelName }
}
