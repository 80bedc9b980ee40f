/// The machine geometry an allocator boots on: page size, orders, CPUs, sysctls, and the
/// nodes with their zones. A profile holds no policy; it is what `/proc/zoneinfo`,
/// `/proc/sys/vm` and the kernel config describe.
///
/// Where pages that are present but not managed (reserved) lie, and where holes lie, is part of
/// the profile. When a zone does not list them, the defaults are: holes at the end of the span,
/// reserved pages at the start of the present pages.
public struct Profile: Hashable, Sendable, Codable {
    public var name: String
    /// `PAGE_SIZE` in bytes: 4096, 16384 or 65536.
    public var pageSize: Int
    /// `MAX_PAGE_ORDER` (10 on x86_64; `CONFIG_ARCH_FORCE_MAX_ORDER` elsewhere).
    public var maxPageOrder: Int
    /// `pageblock_order` (9 on x86_64).
    public var pageblockOrder: Int
    /// `HPAGE_PMD_ORDER`: the THP order cached on the pcp lists. Defaults to `pageblockOrder`.
    public var pmdOrder: Int
    /// Number of online CPUs.
    public var cpus: Int
    /// `CONFIG_CMA`: whether the CMA migratetype exists (it changes what `/proc` prints).
    public var cmaConfigured: Bool
    /// `per_cpu_data_slice_size` of the CPU cache info, in bytes: decides `PCPF_FREE_HIGH_BATCH`.
    public var dataCacheSliceBytes: Int
    public var sysctl: Sysctl
    public var nodes: [Node]

    public init(
        name: String, pageSize: Int = 4096, maxPageOrder: Int = 10, pageblockOrder: Int = 9,
        pmdOrder: Int? = nil, cpus: Int, cmaConfigured: Bool = false,
        dataCacheSliceBytes: Int = Profile.defaultDataCacheSliceBytes,
        sysctl: Sysctl = Sysctl(), nodes: [Node]
    ) {
        self.name = name
        self.pageSize = pageSize
        self.maxPageOrder = maxPageOrder
        self.pageblockOrder = pageblockOrder
        self.pmdOrder = pmdOrder ?? pageblockOrder
        self.cpus = cpus
        self.cmaConfigured = cmaConfigured
        self.dataCacheSliceBytes = dataCacheSliceBytes
        self.sysctl = sysctl
        self.nodes = nodes
    }

    public static let defaultDataCacheSliceBytes = 1 << 20

    /// The vm sysctls that feed the zone setup (`/proc/sys/vm/*`).
    public struct Sysctl: Hashable, Sendable, Codable {
        /// `min_free_kbytes`; nil means the boot default of `calculate_min_free_kbytes`.
        public var minFreeKbytes: Int?
        public var watermarkScaleFactor: Int
        /// `lowmem_reserve_ratio`, one entry per zone index (`MAX_NR_ZONES`).
        public var lowmemReserveRatio: [Int]
        public var watermarkBoostFactor: Int
        public var percpuPagelistHighFraction: Int
        public init(
            minFreeKbytes: Int? = nil, watermarkScaleFactor: Int = 10,
            lowmemReserveRatio: [Int] = [256, 256, 32, 0, 0], watermarkBoostFactor: Int = 15000,
            percpuPagelistHighFraction: Int = 0
        ) {
            self.minFreeKbytes = minFreeKbytes
            self.watermarkScaleFactor = watermarkScaleFactor
            self.lowmemReserveRatio = lowmemReserveRatio
            self.watermarkBoostFactor = watermarkBoostFactor
            self.percpuPagelistHighFraction = percpuPagelistHighFraction
        }
    }

    /// A NUMA node (`pg_data_t`).
    public struct Node: Hashable, Sendable, Codable {
        /// CPUs on this node; nil spreads the profile's CPUs evenly, the remainder to low nodes.
        public var cpus: Int?
        /// `node_distance` to every node, in node order; nil means 10 to itself, 20 to others.
        public var distances: [Int]?
        public var zones: [Zone]
        public init(cpus: Int? = nil, distances: [Int]? = nil, zones: [Zone]) {
            self.cpus = cpus
            self.distances = distances
            self.zones = zones
        }
    }

    /// One zone's span and page counts, as `/proc/zoneinfo` reports them.
    public struct Zone: Hashable, Sendable, Codable {
        public var type: ZoneType
        public var startPfn: Int
        public var spannedPages: Int
        public var presentPages: Int
        public var managedPages: Int
        /// Spanned pages that do not exist; nil: the last `spanned - present` pages of the span.
        public var holes: [PFNRange]?
        /// Present pages kept out of the buddy; nil: the first `present - managed` present pages.
        public var reserved: [PFNRange]?
        public init(
            type: ZoneType, startPfn: Int, spannedPages: Int, presentPages: Int? = nil,
            managedPages: Int? = nil, holes: [PFNRange]? = nil, reserved: [PFNRange]? = nil
        ) {
            self.type = type
            self.startPfn = startPfn
            self.spannedPages = spannedPages
            self.presentPages = presentPages ?? spannedPages
            self.managedPages = managedPages ?? presentPages ?? spannedPages
            self.holes = holes
            self.reserved = reserved
        }
        public var endPfn: Int { startPfn + spannedPages }
    }

    /// A run of page frames `[start, start + count)`.
    public struct PFNRange: Hashable, Sendable, Codable, CustomStringConvertible {
        public var start: Int
        public var count: Int
        public init(start: Int, count: Int) {
            self.start = start
            self.count = count
        }
        public var end: Int { start + count }
        public var description: String { "[\(start), \(end))" }
    }
}

// MARK: - Derived geometry (no policy: what the profile says, made convenient)

extension Profile {
    /// `pageblock_nr_pages`
    public var pageblockPages: Int { 1 << pageblockOrder }
    /// `PAGE_SHIFT`
    public var pageShift: Int { pageSize.trailingZeroBitCount }
    /// `NR_PAGE_ORDERS`
    public var orderCount: Int { maxPageOrder + 1 }
    /// Kibibytes per page (`K(x)` multiplies by this).
    public var pageKiB: Int { pageSize / 1024 }

    /// The node's CPU ids. CPUs are numbered consecutively node after node.
    public func cpuIDs(ofNode nodeIndex: Int) -> [CPUID] {
        var first = 0
        for index in 0..<nodeIndex { first += cpuCount(ofNode: index) }
        return (first..<(first + cpuCount(ofNode: nodeIndex))).map(CPUID.init(rawValue:))
    }

    /// Number of CPUs on a node.
    public func cpuCount(ofNode nodeIndex: Int) -> Int {
        if let explicit = nodes[nodeIndex].cpus { return explicit }
        let share = cpus / nodes.count
        return share + (nodeIndex < cpus % nodes.count ? 1 : 0)
    }

    /// The node a CPU belongs to.
    public func node(ofCPU cpu: CPUID) -> NodeID {
        var first = 0
        for index in nodes.indices {
            let count = cpuCount(ofNode: index)
            if cpu.rawValue < first + count { return NodeID(index) }
            first += count
        }
        return NodeID(nodes.count - 1)
    }

    /// `node_distance(from, to)`.
    public func distance(from: NodeID, to: NodeID) -> Int {
        if let row = nodes[from.rawValue].distances { return row[to.rawValue] }
        return from == to ? 10 : 20
    }

    /// Every zone of every node with its id, in (node, zone index) order.
    public var allZones: [(id: ZoneID, zone: Zone)] {
        var result: [(id: ZoneID, zone: Zone)] = []
        for (nodeIndex, node) in nodes.enumerated() {
            for zone in node.zones.sorted(by: { $0.type < $1.type }) {
                result.append((ZoneID(node: NodeID(nodeIndex), type: zone.type), zone))
            }
        }
        return result
    }
}

extension Profile.Zone {
    /// The holes of the zone, explicit or by the default rule, sorted.
    public var effectiveHoles: [Profile.PFNRange] {
        if let holes { return holes.sorted { $0.start < $1.start } }
        let count = spannedPages - presentPages
        return count > 0 ? [Profile.PFNRange(start: endPfn - count, count: count)] : []
    }

    /// The reserved pages of the zone, explicit or by the default rule, sorted.
    public var effectiveReserved: [Profile.PFNRange] {
        if let reserved { return reserved.sorted { $0.start < $1.start } }
        var remaining = presentPages - managedPages
        var result: [Profile.PFNRange] = []
        for run in presentRuns where remaining > 0 {
            let take = min(run.count, remaining)
            result.append(Profile.PFNRange(start: run.start, count: take))
            remaining -= take
        }
        return result
    }

    /// Present runs of the span: the span minus the holes, ascending.
    public var presentRuns: [Profile.PFNRange] { Self.subtract(effectiveHoles, from: [Profile.PFNRange(start: startPfn, count: spannedPages)]) }

    /// Managed runs: present pages minus reserved pages, ascending. Boot releases exactly these.
    public var managedRuns: [Profile.PFNRange] { Self.subtract(effectiveReserved, from: presentRuns) }

    static func subtract(_ cuts: [Profile.PFNRange], from runs: [Profile.PFNRange]) -> [Profile.PFNRange] {
        var result = runs
        for cut in cuts {
            var next: [Profile.PFNRange] = []
            for run in result {
                if cut.end <= run.start || cut.start >= run.end {
                    next.append(run)
                    continue
                }
                if cut.start > run.start { next.append(Profile.PFNRange(start: run.start, count: cut.start - run.start)) }
                if cut.end < run.end { next.append(Profile.PFNRange(start: cut.end, count: run.end - cut.end)) }
            }
            result = next
        }
        return result
    }
}
