import BuddyVocabulary

/// The zone part of `show_free_areas` (mm/show_mem.c), as an OOM report or SysRq-m prints it
/// with `CONFIG_NUMA`, Linux 6.18:
///
/// ```
/// Node 0 DMA32 free:3091232kB boost:0kB min:48740kB ... free_cma:0kB
/// lowmem_reserve[]: 0 0 1152 1152 1152
/// Node 0 Normal ...
/// lowmem_reserve[]: 0 0 0 0 0
/// Node 0 DMA32: 2*4kB (M) 3*8kB (M) 0*16kB ... 752*4096kB (M) = 3091232kB
/// Node 0 Normal: ...
/// ```
///
/// First a summary and a `lowmem_reserve[]:` line for every populated zone, then a free-area
/// line for every populated zone. The global and per-node lines that precede them carry only
/// LRU and slab statistics, which the model does not have, and are not printed. Statistics of
/// the summary line that the model does not keep are printed as 0.
public enum FreeAreas {
    /// Renders the zone lines. `cpu` is the CPU running the report (`local_pcp`);
    /// `highestZoneIndex` is the `max_zone_idx` filter (an OOM report passes the request's
    /// `gfp_zone`).
    public static func render(
        _ snapshot: StateSnapshot, profile: Profile, cpu: CPUID = CPUID(0),
        highestZoneIndex: Int = ZoneType.maxNumberOfZones - 1
    ) -> String {
        let zones = NodeZone.all(in: snapshot, profile: profile).joined()
            .filter { $0.isPopulated && $0.index <= highestZoneIndex }
            .compactMap(\.zone)
        var text = ""
        for zone in zones { text += summary(zone, profile: profile, cpu: cpu) }
        for zone in zones { text += freeArea(zone, profile: profile) }
        return text
    }

    /// The per-zone summary line and its `lowmem_reserve[]:` line.
    static func summary(_ zone: ZoneSnapshot, profile: Profile, cpu: CPUID) -> String {
        let kib = profile.pageKiB
        let freePcp = zone.pagesets.reduce(0) { $0 + $1.count }
        let localPcp = zone.pagesets.first { $0.cpu == cpu }?.count ?? 0
        let fields: [(String, Int, String)] = [
            ("free", zone.nrFreePages, "kB"),
            ("boost", zone.watermarkBoost, "kB"),
            ("min", zone.watermark(.min), "kB"),
            ("low", zone.watermark(.low), "kB"),
            ("high", zone.watermark(.high), "kB"),
            ("reserved_highatomic", zone.nrReservedHighatomic, "KB"),
            ("free_highatomic", zone.nrFreeHighatomic, "KB"),
            ("active_anon", 0, "kB"),
            ("inactive_anon", 0, "kB"),
            ("active_file", 0, "kB"),
            ("inactive_file", 0, "kB"),
            ("unevictable", 0, "kB"),
            ("writepending", 0, "kB"),
            ("zspages", 0, "kB"),
            ("present", zone.presentPages, "kB"),
            ("managed", zone.managedPages, "kB"),
            ("mlocked", 0, "kB"),
            ("bounce", 0, "kB"),
            ("free_pcp", freePcp, "kB"),
            ("local_pcp", localPcp, "kB"),
            ("free_cma", zone.nrFreeCMAPages, "kB"),
        ]
        var text = "Node \(zone.id.node.rawValue) \(zone.id.type.name)"
        for (name, pages, unit) in fields { text += " \(name):\(pages * kib)\(unit)" }
        text += "\n"
        text += "lowmem_reserve[]:" + zone.lowmemReserve.map { " \($0)" }.joined() + "\n"
        return text
    }

    /// The free-area line: `"%lu*%lukB "` per order, followed by `"(%s) "` with the letters of
    /// the non-empty lists (`show_migration_types`) when the order has free blocks, then
    /// `"= %lukB"` of the zone's free pages, ISOLATE lists included.
    static func freeArea(_ zone: ZoneSnapshot, profile: Profile) -> String {
        var text = "Node \(zone.id.node.rawValue) \(zone.id.type.name): "
        var totalPages = 0
        for order in 0..<profile.orderCount {
            let area = order < zone.freeAreas.count ? zone.freeAreas[order] : FreeAreaSnapshot(nrFree: 0, lists: [])
            totalPages += area.nrFree << order
            text += "\(area.nrFree)*\(profile.pageKiB << order)kB "
            if area.nrFree > 0 { text += "(" + migrationTypeLetters(area) + ") " }
        }
        return text + "= \(totalPages * profile.pageKiB)kB\n"
    }

    /// `show_migration_types`: one letter per non-empty free list, in migratetype order.
    static func migrationTypeLetters(_ area: FreeAreaSnapshot) -> String {
        var letters = ""
        for (index, list) in area.lists.enumerated() where !list.isEmpty {
            if let type = Migratetype(rawValue: index) { letters.append(type.letter) }
        }
        return letters
    }
}
