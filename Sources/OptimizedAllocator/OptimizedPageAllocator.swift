import BuddyVocabulary

/// The scalar state every path reads, kept behind one pointer so that reading it costs a load
/// and no exclusivity check (a stored `var` of a class would pay `swift_beginAccess` on every
/// access; see the performance guide).
@usableFromInline
struct GlobalState {
    @usableFromInline var recordsEvents = false
    /// `page_group_by_mobility_disabled`.
    @usableFromInline var mobilityGroupingDisabled = false
    @usableFromInline var minFreeKbytes = 0
    @usableFromInline var watermarkScaleFactor = 10
    @usableFromInline var watermarkBoostFactor = 15000
    @usableFromInline var percpuPagelistHighFraction = 0
}

/// The system under test: the Linux 6.18 zoned buddy allocator (`mm/page_alloc.c`) on
/// kernel-style data structures.
///
/// - Per-page metadata is a packed 12-byte `PageFrame` per page in one buffer per zone.
/// - Free lists and pcp lists are intrusive, circular, doubly linked lists of 32-bit frame
///   indexes with sentinel frames, as `struct list_head` is.
/// - Each zone keeps a bitmask of non-empty free lists per migratetype, so the searches of
///   `__rmqueue_smallest`, `find_suitable_fallback` and `__zone_watermark_ok` are bit operations.
/// - Pageblock flags are a byte-per-pageblock bitmap (`NR_PAGEBLOCK_BITS` = 8).
/// - Hot state lives in unsafe buffers owned by this object; the allocation and free paths
///   allocate nothing and touch no reference counts. Events cost one branch when nobody
///   records them.
///
/// It makes the same decisions as `ReferencePageAllocator`; the lockstep harness checks that.
///
/// The state lives in this non-generic class, so that its fields sit at offsets the compiler
/// knows; the rules live in `SeamedPageAllocator`, generic over the mutant seam.
public class OptimizedAllocatorState {
    public let profile: Profile

    // MARK: Geometry (constant after boot)
    @usableFromInline let maxOrder: Int
    @usableFromInline let orderCount: Int
    @usableFromInline let pageblockOrder: Int
    @usableFromInline let pageblockPages: Int
    @usableFromInline let pmdOrder: Int
    @usableFromInline let cpuCount: Int
    @usableFromInline let nodeCount: Int
    @usableFromInline let pageShift: Int
    /// `MIGRATE_TYPES` as the mobility-grouping rule counts it (6 with CMA, else 5).
    @usableFromInline let migrateTypesForGrouping: Int
    @usableFromInline let cmaConfigured: Bool

    // MARK: Zones
    /// Every zone of every node, index `node * 4 + zone type`, populated or not.
    @usableFromInline let zones: UnsafeMutablePointer<ZoneState>
    @usableFromInline let zoneCount: Int
    /// Zones with managed pages, in (node, zone index) order (`for_each_populated_zone`).
    @usableFromInline let populatedZones: UnsafeMutablePointer<Int>
    @usableFromInline let populatedZoneCount: Int
    /// Zones with a span, for finding the zone of a PFN.
    @usableFromInline let spanningZones: UnsafeMutablePointer<Int>
    @usableFromInline let spanningZoneCount: Int
    /// The node of each CPU.
    @usableFromInline let cpuNode: UnsafeMutablePointer<Int>
    /// Candidate zones per (node, `__GFP_THISNODE`, highest zone type): slot
    /// `(node * 2 + thisNode) * 4 + highest` holds a count followed by up to `zoneCount` zone indexes.
    @usableFromInline let zonelists: UnsafeMutablePointer<Int>
    @usableFromInline let zonelistStride: Int
    /// Per CPU, the eight candidate lists of its node (`__GFP_THISNODE` × highest zone type),
    /// each pointing at its first entry, with the count just before it.
    @usableFromInline let cpuZonelists: UnsafeMutablePointer<UnsafeMutablePointer<Int>>
    /// The pageblock bitmaps, one per group of zones whose pageblocks touch.
    let pageblockBuffers: [(buffer: UnsafeMutablePointer<UInt8>, base: Int, count: Int)]
    @usableFromInline let lowmemReserveRatio: UnsafeMutablePointer<Int>

    @usableFromInline let global: UnsafeMutablePointer<GlobalState>
    /// The planted faults (`MutantSet.rawValue`); always zero when the seam is closed. A `let`:
    /// it never changes after boot, so an open seam is one load and one predictable branch.
    @usableFromInline let mutantBits: UInt64

    /// The recorded events, in emission order.
    public internal(set) var events: [TraceEvent] = []

    public var recordsEvents: Bool {
        get { global.pointee.recordsEvents }
        set { global.pointee.recordsEvents = newValue }
    }

    /// The faults planted at boot.
    public var mutants: MutantSet { MutantSet(rawValue: mutantBits) }

    /// Lays out the structures of a validated profile; `SeamedPageAllocator.init` boots them.
    init(profile: Profile, mutants: MutantSet) {
        assert((try? profile.validate()) != nil, "the profile must be validated before booting")
        self.profile = profile
        maxOrder = profile.maxPageOrder
        orderCount = profile.orderCount
        pageblockOrder = profile.pageblockOrder
        pageblockPages = profile.pageblockPages
        pmdOrder = profile.pmdOrder
        cpuCount = profile.cpus
        nodeCount = profile.nodes.count
        pageShift = profile.pageShift
        cmaConfigured = profile.cmaConfigured
        migrateTypesForGrouping = profile.cmaConfigured ? 6 : 5
        global = .allocate(capacity: 1)
        global.initialize(to: GlobalState())
        mutantBits = mutants.rawValue
        global.pointee.watermarkScaleFactor = profile.sysctl.watermarkScaleFactor
        global.pointee.watermarkBoostFactor = profile.sysctl.watermarkBoostFactor
        global.pointee.percpuPagelistHighFraction = profile.sysctl.percpuPagelistHighFraction
        lowmemReserveRatio = .allocate(capacity: ZoneType.maxNumberOfZones)
        lowmemReserveRatio.initialize(from: profile.sysctl.lowmemReserveRatio, count: ZoneType.maxNumberOfZones)

        let layout = BootLayout(profile: profile)
        pageblockBuffers = layout.pageblockBuffers
        zoneCount = layout.zoneCount
        zones = .allocate(capacity: zoneCount)
        for zoneIndex in 0..<zoneCount {
            (zones + zoneIndex).initialize(to: layout.makeZone(zoneIndex))
        }
        populatedZoneCount = layout.populatedZones.count
        populatedZones = .allocate(capacity: max(1, populatedZoneCount))
        populatedZones.initialize(from: layout.populatedZones, count: populatedZoneCount)
        spanningZoneCount = layout.spanningZones.count
        spanningZones = .allocate(capacity: max(1, spanningZoneCount))
        spanningZones.initialize(from: layout.spanningZones, count: spanningZoneCount)
        cpuNode = .allocate(capacity: cpuCount)
        cpuNode.initialize(from: (0..<cpuCount).map { profile.node(ofCPU: CPUID($0)).rawValue }, count: cpuCount)
        zonelistStride = zoneCount + 1
        let table = layout.zonelistTable()
        zonelists = .allocate(capacity: table.count)
        zonelists.initialize(from: table, count: table.count)
        cpuZonelists = .allocate(capacity: cpuCount * 2 * ZoneIndex.typeCount)
        for cpu in 0..<cpuCount {
            for list in 0..<(2 * ZoneIndex.typeCount) {
                let slot = (cpuNode[cpu] * 2 * ZoneIndex.typeCount + list) * zonelistStride
                cpuZonelists[cpu * 2 * ZoneIndex.typeCount + list] = zonelists + slot + 1
            }
        }

    }

    deinit {
        for zoneIndex in 0..<zoneCount { zones[zoneIndex].deallocate() }
        zones.deinitialize(count: zoneCount)
        zones.deallocate()
        for group in pageblockBuffers { group.buffer.deallocate() }
        populatedZones.deallocate()
        spanningZones.deallocate()
        cpuNode.deallocate()
        zonelists.deallocate()
        cpuZonelists.deallocate()
        lowmemReserveRatio.deallocate()
        global.deallocate()
    }
}

/// The rules of the allocator over its state, generic over the mutant seam.
///
/// The mutant seam is the type parameter: `OptimizedPageAllocator` (`Seam` closed) is what
/// ships, and the compiler specializes every rule for it with each seam test folded to
/// `false`, so the seam costs nothing there; `PlantedPageAllocator` (`Seam` open) tests the
/// planted mask at each seam. Both are final subclasses whose `apply` and `snapshot` call the
/// rules from non-generic code, so every call through the `PageAllocator` protocol lands in a
/// copy of the rules specialized for one seam.
public class SeamedPageAllocator<Seam: MutantSeam>: OptimizedAllocatorState {
    /// Boots on a validated profile with the given planted faults (none when the seam is closed).
    override init(profile: Profile, mutants: MutantSet) {
        precondition(Seam.isOpen || mutants.rawValue == 0, "only a PlantedPageAllocator takes mutants")
        super.init(profile: profile, mutants: mutants)
        releaseBootMemory()
        global.pointee.minFreeKbytes = profile.sysctl.minFreeKbytes ?? calculateMinFreeKbytes()
        setupPerZoneWatermarks()
        setupPerZoneLowmemReserve()
        global.pointee.mobilityGroupingDisabled = computeMobilityGroupingDisabled()
    }

    /// Bytes of allocator metadata: frame tables (pages and list sentinels), free-area counters
    /// and masks, watermarks, pagesets and pageblock bitmaps.
    public var metadataBytes: Int {
        var bytes = pageblockBuffers.reduce(0) { $0 + $1.count }
        for zoneIndex in 0..<zoneCount {
            bytes += zones[zoneIndex].metadataBytes(cpuCount: cpuCount)
        }
        return bytes + zoneCount * MemoryLayout<ZoneState>.stride
    }

    public func removeAllEvents() {
        events.removeAll(keepingCapacity: true)
    }

    // MARK: - Operations

    /// `apply` of both subclasses: called from their non-generic bodies, so the compiler
    /// specializes it, and every rule it reaches, for each seam.
    @inline(__always)
    final func applyOperation(_ operation: Operation) -> Outcome {
        switch operation {
        case let .allocate(cpu, order, gfp):
            return allocate(cpu: cpu.rawValue, order: order.rawValue, gfp: gfp.rawValue)
        case let .freePages(cpu, pfn, order):
            return freePages(cpu: cpu.rawValue, pfn: pfn.rawValue, order: order.rawValue)
        case let .getPage(pfn):
            return getPage(pfn: pfn.rawValue)
        case let .putPage(cpu, pfn):
            return putPage(cpu: cpu.rawValue, pfn: pfn.rawValue)
        case let .splitPage(pfn, order):
            return splitPage(pfn: pfn.rawValue, order: order.rawValue)
        case let .drainCPU(cpu):
            guard isValidCPU(cpu.rawValue) else { return .rejected(Rejection(.noSuchCPUOrNode, pfn: nil)) }
            drainLocalPages(cpu: cpu.rawValue)
            return .completed(pagesFreed: 0)
        case .drainAll:
            drainAllPages()
            return .completed(pagesFreed: 0)
        case let .vmstatTick(cpu):
            guard isValidCPU(cpu.rawValue) else { return .rejected(Rejection(.noSuchCPUOrNode, pfn: nil)) }
            vmstatTick(cpu: cpu.rawValue)
            return .completed(pagesFreed: 0)
        case let .kswapdBalanced(node):
            return kswapdBalanced(node: node.rawValue)
        case let .isolatePageblock(pfn):
            return isolatePageblock(pfn: pfn.rawValue)
        case let .unisolatePageblock(pfn):
            return unisolatePageblock(pfn: pfn.rawValue)
        case let .writeSysctl(write):
            return writeSysctl(write)
        }
    }

    @inline(__always)
    func isValidCPU(_ cpu: Int) -> Bool { cpu >= 0 && cpu < cpuCount }

    /// The zone whose span holds `pfn`.
    @inline(__always)
    func zoneSpanning(_ pfn: Int) -> UnsafeMutablePointer<ZoneState>? {
        for position in 0..<spanningZoneCount {
            let zone = zones + spanningZones[position]
            if zone.pointee.spans(pfn) { return zone }
        }
        return nil
    }

    /// Whether a planted fault is in force: a constant `false` in the shipped allocator, one
    /// load and one predictable branch in a planted one.
    @inline(__always)
    func mutant(_ fault: Mutant) -> Bool { Seam.isOpen && mutantBits & fault.bit != 0 }

    // MARK: - Background operations

    /// `kswapd` finished balancing the node: boost and the two zone flags are reset.
    func kswapdBalanced(node: Int) -> Outcome {
        guard node >= 0, node < nodeCount else { return .rejected(Rejection(.noSuchCPUOrNode, pfn: nil)) }
        for type in 0..<ZoneType.allCases.count {
            let zone = zones + (node * ZoneType.allCases.count + type)
            if !mutant(.kswapdKeepsBoost) { zone.pointee.watermarkBoost = 0 }
            zone.pointee.flags &= ~(ZoneFlagBit.boostedWatermark | ZoneFlagBit.belowHigh)
        }
        return .completed(pagesFreed: 0)
    }

    /// The vm sysctl handlers. The values are C `int`s read by `proc_dointvec_minmax`, which
    /// refuses anything outside `[extra1, extra2]` and anything above `INT_MAX`.
    /// - `min_free_kbytes_sysctl_handler` (0...INT_MAX) and `watermark_scale_factor_sysctl_handler`
    ///   (1...3000): `setup_per_zone_wmarks`, even when the value did not change.
    /// - `percpu_pagelist_high_fraction_sysctl_handler` (0, or 8...INT_MAX): returns early when the
    ///   value did not change ("No change?"), else `zone_set_pageset_high_and_batch` for each
    ///   zone of `for_each_populated_zone`. The early return matters: `zone_highsize` reads the
    ///   boosted low watermark, so recomputing with an unchanged fraction can change `high_min`.
    func writeSysctl(_ write: SysctlWrite) -> Outcome {
        let refused = Outcome.rejected(Rejection(.sysctlOutOfRange, pfn: nil))
        switch write {
        case let .minFreeKbytes(value):
            guard (0...Int(Int32.max)).contains(value) else { return refused }
            global.pointee.minFreeKbytes = value
            setupPerZoneWatermarks()
        case let .watermarkScaleFactor(value):
            guard (1...3000).contains(value) else { return refused }
            global.pointee.watermarkScaleFactor = value
            setupPerZoneWatermarks()
        case let .percpuPagelistHighFraction(value):
            guard value == 0 || (8...Int(Int32.max)).contains(value) else { return refused }
            // "No change?": the handler returns before touching any pageset when the value is
            // the one in force, so a boost that grew since the last sizing is not picked up.
            guard value != global.pointee.percpuPagelistHighFraction else { break }
            global.pointee.percpuPagelistHighFraction = value
            for position in 0..<populatedZoneCount { zoneSetPagesetHighAndBatch(zones + populatedZones[position]) }
        }
        return .completed(pagesFreed: 0)
    }
}

/// The system under test, as shipped: the mutant seam closed and compiled away.
public final class OptimizedPageAllocator: SeamedPageAllocator<MutantSeamClosed>, PageAllocator {
    public init(profile: Profile) {
        super.init(profile: profile, mutants: [])
    }

    public func apply(_ operation: Operation) -> Outcome { applyOperation(operation) }
    public func snapshot() -> StateSnapshot { makeSnapshot() }
}

/// The system under test with faults planted at boot, for the bug hunt.
public final class PlantedPageAllocator: SeamedPageAllocator<MutantSeamOpen>, PageAllocator {
    public override init(profile: Profile, mutants: MutantSet) {
        super.init(profile: profile, mutants: mutants)
    }

    /// The protocol's boot: nothing planted.
    public convenience init(profile: Profile) {
        self.init(profile: profile, mutants: [])
    }

    public func apply(_ operation: Operation) -> Outcome { applyOperation(operation) }
    public func snapshot() -> StateSnapshot { makeSnapshot() }
}
