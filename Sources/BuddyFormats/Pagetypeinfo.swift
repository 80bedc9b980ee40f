import BuddyVocabulary

/// `/proc/pagetypeinfo` (`pagetypeinfo_show`, mm/vmstat.c), one block per node with memory:
///
/// ```
/// Page block order: 9
/// Pages per block:  512
///
/// Free pages count per migrate type at order       0      1 ...
/// Node    0, zone   Normal, type    Unmovable    260    196 ...
/// ...
///
/// Number of blocks type     Unmovable      Movable ...
/// Node 0, zone   Normal           54          506 ...
/// ```
///
/// The "Number of mixed blocks" table needs page_owner and is never printed.
public enum Pagetypeinfo {
    /// `pagetypeinfo_showfree_print` stops walking a free list at this many entries and
    /// prints `>100000`.
    public static let freeListWalkCap = 100_000

    public static func render(_ snapshot: StateSnapshot, profile: Profile) -> String {
        let onlineSections = OnlineSections(profile: profile)
        var text = ""
        for node in NodeZone.all(in: snapshot, profile: profile) {
            // `node_state(nid, N_MEMORY)`: a node without memory prints nothing.
            let populated = node.filter(\.isPopulated).compactMap(\.zone)
            guard !populated.isEmpty else { continue }
            text += "Page block order: \(profile.pageblockOrder)\n"
            text += "Pages per block:  \(profile.pageblockPages)\n"
            text += "\n"
            text += freeCounts(populated, profile: profile)
            text += blockCounts(populated, profile: profile, onlineSections: onlineSections)
        }
        return text
    }

    /// `MIGRATE_TYPES` as the kernel enumerates them: CMA exists only with `CONFIG_CMA`.
    public static func migratetypes(_ profile: Profile) -> [Migratetype] {
        Migratetype.allCases.filter { $0 != .cma || profile.cmaConfigured }
    }

    /// `pagetypeinfo_showfree`: the length of every free list, capped.
    static func freeCounts(_ zones: [ZoneSnapshot], profile: Profile) -> String {
        var text = KernelText.padded("Free pages count per migrate type at order", width: 43, leftJustified: true) + " "
        for order in 0..<profile.orderCount { text += KernelText.number(order, width: 6) + " " }
        text += "\n"
        for zone in zones {
            for type in migratetypes(profile) {
                text += "Node \(KernelText.number(zone.id.node.rawValue, width: 4)), zone \(KernelText.padded(zone.id.type.name, width: 8)), type \(KernelText.padded(type.kernelName, width: 12)) "
                for order in 0..<profile.orderCount {
                    let length = order < zone.freeAreas.count ? zone.freeAreas[order].lists[type.rawValue].count : 0
                    text += cappedCount(length) + " "
                }
                text += "\n"
            }
        }
        return text
    }

    /// `"%s%6lu"` of the walk: the walk stops when its count reaches the cap.
    static func cappedCount(_ length: Int) -> String {
        if length >= freeListWalkCap { return ">" + KernelText.number(freeListWalkCap, width: 6) }
        return KernelText.number(length, width: 6)
    }

    /// `pagetypeinfo_showblockcount`: pageblocks by `get_pageblock_migratetype`, so an isolated
    /// block counts as Isolate.
    static func blockCounts(_ zones: [ZoneSnapshot], profile: Profile, onlineSections: OnlineSections) -> String {
        let types = migratetypes(profile)
        var text = "\n" + KernelText.padded("Number of blocks type ", width: 23, leftJustified: true)
        for type in types { text += KernelText.padded(type.kernelName, width: 12) + " " }
        text += "\n"
        for zone in zones {
            let counts = blockCountsByType(zone, profile: profile, onlineSections: onlineSections)
            text += "Node \(zone.id.node.rawValue), zone \(KernelText.padded(zone.id.type.name, width: 8)) "
            for type in types { text += KernelText.number(counts[type.rawValue], width: 12) + " " }
            text += "\n"
        }
        return text
    }

    /// `pagetypeinfo_showblockcount_print`: probes `zone_start_pfn`, then every
    /// `pageblock_nr_pages` after it, up to the zone's end, and counts the probed page's
    /// pageblock type. Probes for which `pfn_to_online_page` finds nothing are skipped.
    static func blockCountsByType(_ zone: ZoneSnapshot, profile: Profile, onlineSections: OnlineSections) -> [Int] {
        var counts = Array(repeating: 0, count: Migratetype.count)
        let firstBlock = zone.startPfn.rawValue >> profile.pageblockOrder
        var pfn = zone.startPfn.rawValue
        while pfn < zone.endPfn.rawValue {
            defer { pfn += profile.pageblockPages }
            guard onlineSections.contains(pfn) else { continue }
            let index = (pfn >> profile.pageblockOrder) - firstBlock
            guard index < zone.pageblocks.count else { continue }
            counts[zone.pageblocks[index].effectiveType.rawValue] += 1
        }
        return counts
    }
}

/// Which pfns `pfn_to_online_page` resolves: those whose memory section is online.
///
/// Simplification: the model has no memory sections, hotplug or offline memory. A section
/// counts as online when it holds at least one managed page of any zone. Sections that are
/// all hole are skipped, as the kernel skips sections without memory; sections of present
/// pages none of which is managed are read as offline memory and skipped too (the kernel
/// would count a section of only boot-reserved pages; a profile cannot tell the two apart).
/// The section size is `SECTION_SIZE_BITS`: 27 (128 MiB) on x86_64 and on arm64 with 4 KiB
/// or 16 KiB pages, 29 (512 MiB) on arm64 with 64 KiB pages.
struct OnlineSections {
    let sectionShift: Int
    /// Online section numbers, ascending, without duplicates.
    let sections: [Int]

    init(profile: Profile) {
        let sectionSizeBits = profile.pageSize == 65536 ? 29 : 27
        sectionShift = max(0, sectionSizeBits - profile.pageShift)
        var numbers: [Int] = []
        for (_, zone) in profile.allZones {
            for run in zone.managedRuns where run.count > 0 {
                numbers += Array((run.start >> sectionShift)...((run.end - 1) >> sectionShift))
            }
        }
        sections = Array(Set(numbers)).sorted()
    }

    func contains(_ pfn: Int) -> Bool {
        let section = pfn >> sectionShift
        var low = 0
        var high = sections.count
        while low < high {
            let middle = (low + high) / 2
            if sections[middle] < section { low = middle + 1 } else { high = middle }
        }
        return low < sections.count && sections[low] == section
    }
}
