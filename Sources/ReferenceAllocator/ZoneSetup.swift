import BuddyVocabulary

extension ReferencePageAllocator {
    /// `setup_per_zone_wmarks`: the watermarks of every zone, then the pcp batch and high
    /// limits of every zone (`zone_pcp_update`), since they derive from the low watermark.
    func setupPerZoneWmarks() {
        setupPerZoneWmarksLocked()
        for zone in zones { zoneSetPagesetHighAndBatch(zone) }
    }

    /// `__setup_per_zone_wmarks`: `min_free_kbytes` shared out over the lowmem zones in
    /// proportion to their managed pages; the low/high/promo steps are the larger of a quarter
    /// of the min share and `watermark_scale_factor`/10000 of the zone. The boost is zeroed.
    ///
    /// Simplification: when no lowmem zone has managed pages the kernel would divide by zero;
    /// the model takes the share as 0.
    private func setupPerZoneWmarksLocked() {
        let pagesMin = sysctl.minFreeKbytes >> (profile.pageShift - 10)
        var lowmemPages = 0
        for zone in zones where zone.id.type != .movable {
            lowmemPages += zone.managedPages
        }
        for zone in zones {
            let share = lowmemPages == 0 ? 0 : pagesMin * zone.managedPages / lowmemPages
            if zone.id.type == .movable {
                zone.watermark[Watermark.min.rawValue] = KernelArithmetic.clamp(zone.managedPages / 1024, 32, 128)
            } else {
                zone.watermark[Watermark.min.rawValue] = share
            }
            let step = max(share >> 2, KernelArithmetic.multFrac(zone.managedPages, sysctl.watermarkScaleFactor, 10_000))
            zone.watermarkBoost = 0
            zone.watermark[Watermark.low.rawValue] = minWmarkPages(zone) + step
            zone.watermark[Watermark.high.rawValue] = lowWmarkPages(zone) + step
            zone.watermark[Watermark.promo.rawValue] = highWmarkPages(zone) + step
        }
    }

    /// `setup_per_zone_lowmem_reserve`: zone i keeps `lowmem_reserve[j]` = (managed pages of
    /// zones i+1…j of its node) / `lowmem_reserve_ratio[i]` against allocations whose highest
    /// zone is j; 0 when the ratio is 0 or zone i has no managed pages.
    func setupPerZoneLowmemReserve() {
        for node in profile.nodes.indices {
            for lowerType in 0..<(ZoneType.maxNumberOfZones - 1) {
                guard let zone = zones.first(where: { $0.id.node.rawValue == node && $0.id.type.rawValue == lowerType }) else { continue }
                let ratio = sysctl.lowmemReserveRatio[lowerType]
                let clear = ratio == 0 || zone.managedPages == 0
                var managedAbove = 0
                for upperType in (lowerType + 1)..<ZoneType.maxNumberOfZones {
                    managedAbove += managedPages(node: node, zoneIndex: upperType)
                    zone.lowmemReserve[upperType] = clear ? 0 : managedAbove / ratio
                }
            }
        }
    }

    /// `zone_managed_pages(&pgdat->node_zones[zoneIndex])`; 0 for a zone the profile omits.
    private func managedPages(node: Int, zoneIndex: Int) -> Int {
        zones.first { $0.id.node.rawValue == node && $0.id.type.rawValue == zoneIndex }?.managedPages ?? 0
    }

    /// `zone_batchsize`: about 0.025% of the zone, at most 256 KiB of pages, rounded to
    /// 2^n − 1; 1 for tiny zones.
    func zoneBatchsize(_ zone: Zone) -> Int {
        let batch = min(zone.managedPages >> 12, (256 * 1024) / profile.pageSize)
        if batch <= 1 { return 1 }
        return KernelArithmetic.roundDownPowerOfTwo(batch + batch / 2) - 1
    }

    /// `zone_highsize(zone, batch, cpu_online = 0, high_fraction)`: the low watermark (or
    /// managed / fraction) split over the CPUs of the zone's node, at least `4 * batch`.
    func zoneHighsize(_ zone: Zone, batch: Int, highFraction: Int) -> Int {
        let totalPages = highFraction == 0 ? lowWmarkPages(zone) : zone.managedPages / highFraction
        var splitCPUs = profile.cpuCount(ofNode: zone.id.node.rawValue)
        if splitCPUs == 0 { splitCPUs = profile.cpus }
        return max(totalPages / splitCPUs, batch << 2)
    }

    /// `zone_set_pageset_high_and_batch(zone, 0)`: new batch and high limits for the zone and
    /// each of its pcps (`pageset_update`); nothing happens when they are unchanged. `pcp->high`
    /// itself is left alone.
    ///
    /// Model decision: `PCPF_FREE_HIGH_BATCH` (set by `zone_pcp_update_cacheinfo` in the kernel)
    /// is re-evaluated for each pcp whenever its batch is set.
    func zoneSetPagesetHighAndBatch(_ zone: Zone) {
        let newBatch = zoneBatchsize(zone)
        let newHighMin: Int
        let newHighMax: Int
        if sysctl.percpuPagelistHighFraction != 0 {
            newHighMin = zoneHighsize(zone, batch: newBatch, highFraction: sysctl.percpuPagelistHighFraction)
            newHighMax = newHighMin
        } else {
            newHighMin = zoneHighsize(zone, batch: newBatch, highFraction: 0)
            newHighMax = zoneHighsize(zone, batch: newBatch, highFraction: minPercpuPagelistHighFraction)
        }
        if zone.pagesetHighMin == newHighMin && zone.pagesetHighMax == newHighMax && zone.pagesetBatch == newBatch {
            return
        }
        zone.pagesetHighMin = newHighMin
        zone.pagesetHighMax = newHighMax
        zone.pagesetBatch = newBatch
        for pcp in zone.pagesets {
            pcp.batch = newBatch
            pcp.highMin = newHighMin
            pcp.highMax = newHighMax
            zonePcpUpdateCacheinfo(pcp)
        }
    }

    /// `MIN_PERCPU_PAGELIST_HIGH_FRACTION`
    var minPercpuPagelistHighFraction: Int { 8 }

    /// `zone_pcp_update_cacheinfo`: keep a batch of high-order pages on the pcp when the CPU's
    /// data cache slice holds more than three batches.
    func zonePcpUpdateCacheinfo(_ pcp: PerCPUPages) {
        if (profile.dataCacheSliceBytes >> profile.pageShift) > 3 * pcp.batch {
            pcp.flags |= PagesetSnapshot.flagFreeHighBatch
        } else {
            pcp.flags &= ~PagesetSnapshot.flagFreeHighBatch
        }
    }

    /// The sysctl handlers: `min_free_kbytes_sysctl_handler` and
    /// `watermark_scale_factor_sysctl_handler` rerun `setup_per_zone_wmarks` (not the lowmem
    /// reserves); `percpu_pagelist_high_fraction_sysctl_handler` resets the pcp limits of every
    /// populated zone when the value changed. Values `proc_dointvec_minmax` or the handler would
    /// refuse change nothing.
    func writeSysctl(_ write: SysctlWrite) -> Outcome {
        let refused = Outcome.rejected(Rejection(.sysctlOutOfRange, pfn: nil))
        switch write {
        case .minFreeKbytes(let value):
            guard (0...Int(Int32.max)).contains(value) else { return refused }
            sysctl.minFreeKbytes = value
            setupPerZoneWmarks()
        case .watermarkScaleFactor(let value):
            guard (1...3000).contains(value) else { return refused }
            sysctl.watermarkScaleFactor = value
            setupPerZoneWmarks()
        case .percpuPagelistHighFraction(let value):
            guard value == 0 || (minPercpuPagelistHighFraction...Int(Int32.max)).contains(value) else { return refused }
            guard value != sysctl.percpuPagelistHighFraction else { break }
            sysctl.percpuPagelistHighFraction = value
            for zone in zones where zone.isPopulated { zoneSetPagesetHighAndBatch(zone) }
        }
        return .completed(pagesFreed: 0)
    }

    /// kswapd finished balancing `node`: as `balance_pgdat` does for a balanced node, the boost
    /// of each of its zones is zeroed; the model also clears `ZONE_BOOSTED_WATERMARK` and
    /// `ZONE_BELOW_HIGH` there, standing in for the reclaim it does not model.
    func kswapdBalanced(node: NodeID) {
        for zone in zones where zone.id.node == node {
            zone.watermarkBoost = 0
            zone.flags.remove(.boostedWatermark)
            zone.flags.remove(.belowHigh)
        }
    }
}
