import BuddyVocabulary

/// `/proc/zoneinfo` (`zoneinfo_show` → `zoneinfo_show_print`, mm/vmstat.c), Linux 6.18 layout,
/// for a kernel configured like the fixture machine (`CONFIG_NUMA`, `CONFIG_ZSMALLOC`,
/// `CONFIG_ZONE_DEVICE`, no `CONFIG_UNACCEPTED_MEMORY`):
///
/// ```
/// Node 0, zone    DMA32
///   pages free     772808
///         boost    0
///         min      12185          (min/low/high/promo include the boost)
///         ...
///         protection: (0, 0, 1152, 1152, 1152)
///       nr_free_pages 772808
///       ...                       (zone stats, then NUMA stats: "%-12s %lu")
///   pagesets
///     cpu: 0
///               count:    0
///               ...
///   vm stats threshold: 24
///   node_unreclaimable:  0
///   start_pfn:           4096
/// ```
///
/// Every zone of every node is printed; an unpopulated zone stops after `protection:`.
/// Statistics the model does not keep (LRU sizes, NUMA hit counts, every per-node stat) are
/// printed as 0, so the file lines up with a real one line for line. The per-node block after
/// the first populated zone's header is printed the same way, all zeros.
public enum Zoneinfo {
    /// `enum node_stat_item` names as 6.18 prints them (`vmstat_text[]`, fixture config).
    public static let nodeStatNames = [
        "nr_inactive_anon", "nr_active_anon", "nr_inactive_file", "nr_active_file", "nr_unevictable",
        "nr_slab_reclaimable", "nr_slab_unreclaimable", "nr_isolated_anon", "nr_isolated_file",
        "workingset_nodes", "workingset_refault_anon", "workingset_refault_file",
        "workingset_activate_anon", "workingset_activate_file", "workingset_restore_anon",
        "workingset_restore_file", "workingset_nodereclaim", "nr_anon_pages", "nr_mapped",
        "nr_file_pages", "nr_dirty", "nr_writeback", "nr_shmem", "nr_shmem_hugepages",
        "nr_shmem_pmdmapped", "nr_file_hugepages", "nr_file_pmdmapped", "nr_anon_transparent_hugepages",
        "nr_vmscan_write", "nr_vmscan_immediate_reclaim", "nr_dirtied", "nr_written",
        "nr_throttled_written", "nr_kernel_misc_reclaimable", "nr_foll_pin_acquired",
        "nr_foll_pin_released", "nr_kernel_stack", "nr_page_table_pages", "nr_sec_page_table_pages",
        "nr_iommu_pages", "nr_swapcached", "pgpromote_success", "pgpromote_candidate",
        "pgpromote_candidate_nrl", "pgdemote_kswapd", "pgdemote_direct", "pgdemote_khugepaged",
        "pgdemote_proactive", "nr_hugetlb", "nr_balloon_pages", "nr_kernel_file_pages",
    ]

    /// `enum zone_stat_item` names, in order (6.18: `NR_FREE_PAGES_BLOCKS` second, no `NR_BOUNCE`).
    public static let zoneStatNames = [
        "nr_free_pages", "nr_free_pages_blocks", "nr_zone_inactive_anon", "nr_zone_active_anon",
        "nr_zone_inactive_file", "nr_zone_active_file", "nr_zone_unevictable", "nr_zone_write_pending",
        "nr_mlock", "nr_zspages", "nr_free_cma",
    ]

    /// `enum numa_stat_item` names.
    public static let numaStatNames = ["numa_hit", "numa_miss", "numa_foreign", "numa_interleave", "numa_local", "numa_other"]

    public static func render(_ snapshot: StateSnapshot, profile: Profile) -> String {
        var text = ""
        for node in NodeZone.all(in: snapshot, profile: profile) {
            let firstPopulated = node.first(where: \.isPopulated)?.index
            for slot in node {
                text += zone(slot, profile: profile, printsNodeStats: slot.index == firstPopulated)
            }
        }
        return text
    }

    /// `zoneinfo_show_print` for one zone.
    static func zone(_ slot: NodeZone, profile: Profile, printsNodeStats: Bool) -> String {
        var text = "Node \(slot.node.rawValue), zone \(KernelText.padded(slot.name, width: 8))"
        if printsNodeStats {
            text += "\n  per-node stats"
            for name in nodeStatNames { text += statLine(name, 0) }
        }
        text += watermarkBlock(slot)
        guard slot.isPopulated, let zone = slot.zone else { return text + "\n" }
        for (name, value) in zoneStats(zone) { text += statLine(name, value) }
        for name in numaStatNames { text += statLine(name, 0) }
        text += "\n  pagesets"
        let threshold = normalStatThreshold(managedPages: zone.managedPages, cpus: profile.cpus, pageShift: profile.pageShift)
        for cpu in 0..<profile.cpus {
            text += pageset(zone.pagesets.first { $0.cpu.rawValue == cpu }, cpu: cpu)
            text += "\n  vm stats threshold: \(threshold)"
        }
        // `pgdat->kswapd_failures >= MAX_RECLAIM_RETRIES`: kswapd is not modelled, never true.
        text += "\n  node_unreclaimable:  0"
        text += "\n  start_pfn:           \(zone.startPfn.rawValue)"
        return text + "\n"
    }

    /// From "pages free" to the `protection:` line.
    static func watermarkBlock(_ slot: NodeZone) -> String {
        let zone = slot.zone
        var text = "\n  pages free     \(zone?.nrFreePages ?? 0)"
        text += "\n        boost    \(zone?.watermarkBoost ?? 0)"
        text += "\n        min      \(slot.watermark(.min))"
        text += "\n        low      \(slot.watermark(.low))"
        text += "\n        high     \(slot.watermark(.high))"
        text += "\n        promo    \(slot.watermark(.promo))"
        text += "\n        spanned  \(zone?.spannedPages ?? 0)"
        text += "\n        present  \(zone?.presentPages ?? 0)"
        text += "\n        managed  \(zone?.managedPages ?? 0)"
        // `zone_cma_pages`: no pageblock is ever CMA in the model.
        text += "\n        cma      0"
        text += "\n        protection: (" + slot.lowmemReserve.map(String.init).joined(separator: ", ") + ")"
        return text
    }

    /// The zone stats, with the counters the model keeps filled in and the others 0.
    static func zoneStats(_ zone: ZoneSnapshot) -> [(String, Int)] {
        zoneStatNames.map { name in
            switch name {
            case "nr_free_pages": (name, zone.nrFreePages)
            case "nr_free_pages_blocks": (name, zone.nrFreePagesBlocks)
            case "nr_free_cma": (name, zone.nrFreeCMAPages)
            default: (name, 0)
            }
        }
    }

    /// `"\n      %-12s %lu"`.
    static func statLine(_ name: String, _ value: Int) -> String {
        "\n      " + KernelText.padded(name, width: 12, leftJustified: true) + " \(value)"
    }

    /// One CPU's `per_cpu_pages`. A CPU without a pageset in the snapshot shows the boot
    /// pageset (`pageset_init`: high 0, batch `BOOT_PAGESET_BATCH` = 1, high_min = high_max = 0).
    static func pageset(_ pageset: PagesetSnapshot?, cpu: Int) -> String {
        var text = "\n    cpu: \(cpu)"
        text += "\n              count:    \(pageset?.count ?? 0)"
        text += "\n              high:     \(pageset?.high ?? 0)"
        text += "\n              batch:    \(pageset?.batch ?? 1)"
        text += "\n              high_min: \(pageset?.highMin ?? 0)"
        text += "\n              high_max: \(pageset?.highMax ?? 0)"
        return text
    }

    /// `calculate_normal_threshold` (mm/vmstat.c), the per-CPU vmstat fold threshold that
    /// `refresh_zone_stat_thresholds` gives every populated zone:
    /// `min(125, 2 * fls(num_online_cpus) * (1 + fls(managed >> (27 - PAGE_SHIFT))))`.
    ///
    /// The model keeps exact counters and never uses it; it is printed because the kernel
    /// prints it. kswapd's pressure threshold (`calculate_pressure_threshold`) is never in force.
    public static func normalStatThreshold(managedPages: Int, cpus: Int, pageShift: Int) -> Int {
        let memoryIn128MiB = managedPages >> max(0, 27 - pageShift)
        return min(125, 2 * KernelText.fls(cpus) * (1 + KernelText.fls(memoryIn128MiB)))
    }
}
