import BuddyVocabulary

/// Works out, once at boot, where each zone's buffers go: which pages each frame table covers,
/// which zones share a pageblock bitmap, and the zonelists. Nothing here runs after boot.
struct BootLayout {
    let profile: Profile
    let zoneCount: Int
    let typeCount = ZoneType.allCases.count
    /// Pageblock bitmaps: zones whose pageblock ranges share a pageblock share one bitmap, as the
    /// kernel's per-section bitmap is shared by zones meeting inside a pageblock.
    let pageblockBuffers: [(buffer: UnsafeMutablePointer<UInt8>, base: Int, count: Int)]
    /// For each zone index, its bitmap group (nil for a zone without span).
    let pageblockGroupOfZone: [Int?]
    let populatedZones: [Int]
    let spanningZones: [Int]
    /// A one-byte bitmap for zones without a span, which never read it.
    let emptyZoneBitmapGroup: Int

    init(profile: Profile) {
        self.profile = profile
        zoneCount = profile.nodes.count * ZoneType.allCases.count
        var ranges: [(zone: Int, first: Int, last: Int)] = []
        var populated: [Int] = []
        var spanning: [Int] = []
        for zoneIndex in 0..<zoneCount {
            guard let geometry = BootLayout.geometry(profile, zoneIndex) else { continue }
            if geometry.managedPages > 0 { populated.append(zoneIndex) }
            guard geometry.spannedPages > 0 else { continue }
            spanning.append(zoneIndex)
            ranges.append((zoneIndex, geometry.startPfn >> profile.pageblockOrder, (geometry.endPfn - 1) >> profile.pageblockOrder))
        }
        populatedZones = populated
        spanningZones = spanning
        var groups: [(first: Int, last: Int, zones: [Int])] = []
        for range in ranges.sorted(by: { $0.first < $1.first }) {
            if let last = groups.last, range.first <= last.last {
                groups[groups.count - 1].last = max(last.last, range.last)
                groups[groups.count - 1].zones.append(range.zone)
            } else {
                groups.append((range.first, range.last, [range.zone]))
            }
        }
        var buffers: [(buffer: UnsafeMutablePointer<UInt8>, base: Int, count: Int)] = []
        var groupOfZone = [Int?](repeating: nil, count: zoneCount)
        for (groupIndex, group) in groups.enumerated() {
            let count = group.last - group.first + 1
            let buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: count)
            // memmap_init: every pageblock covering a spanned page starts MOVABLE, not isolated.
            buffer.initialize(repeating: UInt8(MigrateIndex.movable), count: count)
            buffers.append((buffer, group.first, count))
            for zone in group.zones { groupOfZone[zone] = groupIndex }
        }
        let empty = UnsafeMutablePointer<UInt8>.allocate(capacity: 1)
        empty.initialize(to: UInt8(MigrateIndex.movable))
        buffers.append((empty, 0, 1))
        emptyZoneBitmapGroup = buffers.count - 1
        pageblockBuffers = buffers
        pageblockGroupOfZone = groupOfZone
    }

    static func geometry(_ profile: Profile, _ zoneIndex: Int) -> Profile.Zone? {
        let node = zoneIndex / ZoneType.allCases.count
        let type = ZoneType.allCases[zoneIndex % ZoneType.allCases.count]
        return profile.nodes[node].zones.first { $0.type == type }
    }

    /// The frame-table coverage: managed pages widened to whole `MAX_PAGE_ORDER` blocks.
    func coverage(_ geometry: Profile.Zone?) -> (startPfn: Int, pages: Int) {
        guard let runs = geometry?.managedRuns, let first = runs.first, let last = runs.last else { return (0, 0) }
        let blockPages = 1 << profile.maxPageOrder
        let start = first.start & ~(blockPages - 1)
        let end = (last.end + blockPages - 1) & ~(blockPages - 1)
        return (start, end - start)
    }

    func makeZone(_ zoneIndex: Int) -> ZoneState {
        let geometry = BootLayout.geometry(profile, zoneIndex)
        let node = zoneIndex / typeCount
        let id = ZoneID(node: NodeID(node), type: ZoneType.allCases[zoneIndex % typeCount])
        let group = pageblockBuffers[pageblockGroupOfZone[zoneIndex] ?? emptyZoneBitmapGroup]
        let coverage = coverage(geometry)
        let zone = ZoneState(
            id: id, geometry: geometry, pageblockOrder: profile.pageblockOrder, orderCount: profile.orderCount,
            cpuCount: profile.cpus, coverage: coverage, pageblocks: (group.buffer, group.base))
        for run in geometry?.managedRuns ?? [] {
            let first = run.start - coverage.startPfn
            (zone.frames.base + first).update(repeating: PageFrame(state: .tail), count: run.count)
        }
        return zone
    }

    /// The zonelists (`build_zonelists`, simplified as pinned): nodes by (distance from the
    /// local node, node id), each contributing its populated zones from the highest index down;
    /// `__GFP_THISNODE` keeps the local node only. Each slot lists the candidates for one
    /// highest zone type (`gfp_zone`).
    func zonelistTable() -> [Int] {
        let slotWidth = zoneCount + 1
        var table = [Int](repeating: 0, count: profile.nodes.count * 2 * typeCount * slotWidth)
        for node in 0..<profile.nodes.count {
            for thisNode in 0..<2 {
                let nodes = thisNode == 1 ? [node] : nodeOrder(from: node)
                for highest in 0..<typeCount {
                    var candidates: [Int] = []
                    for member in nodes {
                        for type in stride(from: typeCount - 1, through: 0, by: -1) where type <= highest {
                            let zoneIndex = member * typeCount + type
                            if populatedZones.contains(zoneIndex) { candidates.append(zoneIndex) }
                        }
                    }
                    let slot = ((node * 2 + thisNode) * typeCount + highest) * slotWidth
                    table[slot] = candidates.count
                    for (position, zoneIndex) in candidates.enumerated() { table[slot + 1 + position] = zoneIndex }
                }
            }
        }
        return table
    }

    func nodeOrder(from node: Int) -> [Int] {
        (0..<profile.nodes.count).sorted {
            let left = profile.distance(from: NodeID(node), to: NodeID($0))
            let right = profile.distance(from: NodeID(node), to: NodeID($1))
            return left != right ? left < right : $0 < $1
        }
    }
}
