import BuddyVocabulary

/// The executable specification of the Linux 6.18 zoned buddy page allocator
/// (`mm/page_alloc.c`, `mm/page_isolation.c`).
///
/// Naive on purpose: every free list and pcp list is a Swift array of PFNs (head first), every
/// zone keeps one state per page and one flags value per pageblock, and every rule is a plain
/// function named after the kernel function it mirrors, so that the code reads next to the
/// kernel source. Where the model departs from the kernel, the doc comment says so.
///
/// An operation that is rejected is checked completely before anything changes, so a rejected
/// operation leaves the state exactly as it was.
public final class ReferencePageAllocator: PageAllocator {
    public let profile: Profile
    public var recordsEvents = false
    @exclusivity(unchecked) public private(set) var events: [TraceEvent] = []

    /// Every zone the profile lists, in (node, zone index) order.
    let zones: [Zone]
    /// The zonelists of every node.
    let zonelists: Zonelists
    /// The vm sysctls in force.
    var sysctl: SysctlSnapshot
    /// `page_group_by_mobility_disabled`, computed once at boot.
    var mobilityGroupingDisabled = false

    var pageblockOrder: Int { profile.pageblockOrder }
    /// `pageblock_nr_pages`
    var pageblockPages: Int { profile.pageblockPages }
    /// `MAX_PAGE_ORDER`
    var maxPageOrder: Int { profile.maxPageOrder }

    /// Boots on a validated profile (see `Boot.swift`). Boot emits no events.
    public init(profile: Profile) {
        self.profile = profile
        zones = profile.allZones.map { Zone(id: $0.id, profileZone: $0.zone, profile: profile) }
        zonelists = Zonelists(profile: profile, zones: zones)
        sysctl = SysctlSnapshot(
            minFreeKbytes: profile.sysctl.minFreeKbytes ?? 0,
            watermarkScaleFactor: profile.sysctl.watermarkScaleFactor,
            watermarkBoostFactor: profile.sysctl.watermarkBoostFactor,
            percpuPagelistHighFraction: profile.sysctl.percpuPagelistHighFraction,
            lowmemReserveRatio: profile.sysctl.lowmemReserveRatio)
        boot()
    }

    public func apply(_ operation: Operation) -> Outcome {
        switch operation {
        case .allocate(let cpu, let order, let gfp):
            return allocPages(cpu: cpu, order: order, gfp: gfp)
        case .freePages(let cpu, let pfn, let order):
            return freePages(cpu: cpu, pfn: pfn, order: order)
        case .getPage(let pfn):
            return getPage(pfn: pfn)
        case .putPage(let cpu, let pfn):
            return putPage(cpu: cpu, pfn: pfn)
        case .splitPage(let pfn, let order):
            return splitPage(pfn: pfn, order: order)
        case .drainCPU(let cpu):
            guard isValid(cpu) else { return .rejected(Rejection(.noSuchCPUOrNode, pfn: nil)) }
            drainLocalPages(cpu: cpu)
            return .completed(pagesFreed: 0)
        case .drainAll:
            drainAllPages()
            return .completed(pagesFreed: 0)
        case .vmstatTick(let cpu):
            guard isValid(cpu) else { return .rejected(Rejection(.noSuchCPUOrNode, pfn: nil)) }
            refreshCPUVMStats(cpu: cpu)
            return .completed(pagesFreed: 0)
        case .kswapdBalanced(let node):
            guard node.rawValue >= 0, node.rawValue < profile.nodes.count else {
                return .rejected(Rejection(.noSuchCPUOrNode, pfn: nil))
            }
            kswapdBalanced(node: node)
            return .completed(pagesFreed: 0)
        case .isolatePageblock(let pfn):
            return isolatePageblock(pfn: pfn)
        case .unisolatePageblock(let pfn):
            return unisolatePageblock(pfn: pfn)
        case .writeSysctl(let write):
            return writeSysctl(write)
        }
    }

    public func removeAllEvents() { events.removeAll(keepingCapacity: true) }

    /// Records a tracepoint event when events are being recorded.
    func emit(_ event: TraceEvent) {
        if recordsEvents { events.append(event) }
    }

    /// `cpu_online(cpu)`: the profile has this CPU.
    func isValid(_ cpu: CPUID) -> Bool { cpu.rawValue >= 0 && cpu.rawValue < profile.cpus }

    /// `page_zone(pfn_to_page(pfn))`: the zone whose span holds `pfn`. A pfn outside every
    /// zone's span has no zone in the model.
    func zone(containing pfn: PFN) -> Zone? {
        zones.first { $0.spans(pfn) }
    }
}
