import BuddyVocabulary

extension ReferencePageAllocator {
    /// Boot, in the kernel's order: `memmap_init` (every pageblock MOVABLE, holes and reserved
    /// pages marked), `setup_zone_pageset` for the populated zones, `memblock_free_all`
    /// releasing every managed run to the buddy, then `init_per_zone_wmark_min`
    /// (`calculate_min_free_kbytes`, `setup_per_zone_wmarks`, `setup_per_zone_lowmem_reserve`),
    /// and `page_group_by_mobility_disabled` computed once from the result.
    ///
    /// Simplification: `build_all_zonelists` computes the grouping switch before the
    /// watermarks exist; the model computes it after the zone setup, from the high watermarks.
    func boot() {
        for (zone, profileZone) in zip(zones, profile.allZones.map(\.zone)) {
            memmapInit(zone, profileZone)
            setupZonePageset(zone)
        }
        for (zone, profileZone) in zip(zones, profile.allZones.map(\.zone)) {
            for run in profileZone.managedRuns {
                freePagesMemory(zone, start: run.start, end: run.end)
            }
        }
        if profile.sysctl.minFreeKbytes == nil {
            sysctl.minFreeKbytes = calculateMinFreeKbytes()
        }
        setupPerZoneWmarks()
        setupPerZoneLowmemReserve()
        mobilityGroupingDisabled = computeMobilityGroupingDisabled()
    }

    /// `memmap_init` and `init_unavailable_range`: holes and reserved pages are marked, every
    /// managed page waits for `memblock_free_all` (`Zone.pages` starts as `.tail`, i.e. "not
    /// free, not the first page of anything"), every pageblock is MOVABLE.
    private func memmapInit(_ zone: Zone, _ profileZone: Profile.Zone) {
        for hole in profileZone.effectiveHoles {
            for pfn in hole.start..<hole.end { zone[PFN(pfn)] = .hole }
        }
        for reserved in profileZone.effectiveReserved {
            for pfn in reserved.start..<reserved.end { zone[PFN(pfn)] = .reserved }
        }
    }

    /// `setup_zone_pageset`: a pageset per CPU with the boot values (`per_cpu_pages_init`),
    /// for populated zones only; unpopulated zones keep using the boot pageset, which the model
    /// does not show.
    private func setupZonePageset(_ zone: Zone) {
        guard zone.isPopulated else { return }
        zone.pagesets = (0..<profile.cpus).map { _ in PerCPUPages() }
    }

    /// `__free_pages_memory`: releases `[start, end)` in the largest blocks alignment allows,
    /// each through `__free_pages_core` → `__free_pages_ok(FPI_TO_TAIL)`.
    private func freePagesMemory(_ zone: Zone, start: Int, end: Int) {
        var start = start
        while start < end {
            var order = start == 0 ? maxPageOrder : min(maxPageOrder, start.trailingZeroBitCount)
            while start + (1 << order) > end { order -= 1 }
            freePagesCore(zone, pfn: PFN(start), order: order)
            start += 1 << order
        }
    }

    /// `__free_pages_core` → `__free_pages_ok(page, order, FPI_TO_TAIL)` → `free_one_page`.
    /// `free_pages_prepare` would emit `mm_page_free`; boot emits no events.
    private func freePagesCore(_ zone: Zone, pfn: PFN, order: Int) {
        splitLargeBuddy(zone, pfn: pfn, order: order, toTail: true)
    }

    /// `calculate_min_free_kbytes`: `int_sqrt(lowmem_kbytes * 16)` clamped to [128, 262144].
    /// `nr_free_buffer_pages` is read before any watermark exists, so it is the sum of the
    /// managed pages of the zones up to Normal.
    func calculateMinFreeKbytes() -> Int {
        let lowmemPages = zones.filter { $0.id.type <= .normal }.reduce(0) { $0 + $1.managedPages }
        let lowmemKbytes = lowmemPages * (profile.pageSize >> 10)
        return KernelArithmetic.clamp(KernelArithmetic.intSqrt(lowmemKbytes * 16), 128, 262_144)
    }

    /// `build_all_zonelists`: grouping by mobility is disabled when the pages above the high
    /// watermark in all populated zones are fewer than `pageblock_nr_pages * MIGRATE_TYPES`.
    /// `MIGRATE_TYPES` is 6 with `CONFIG_CMA`, else 5.
    private func computeMobilityGroupingDisabled() -> Bool {
        var pagesAboveHigh = 0
        for zone in zones where zone.isPopulated {
            pagesAboveHigh += max(0, zone.managedPages - highWmarkPages(zone))
        }
        let migrateTypes = profile.cmaConfigured ? 6 : 5
        return pagesAboveHigh < pageblockPages * migrateTypes
    }
}
