import BuddyVocabulary

/// `mult_frac(x, numerator, denominator)`: no intermediate overflow for the kernel's ranges;
/// wrapping (never trapping) beyond them.
@inline(__always) @usableFromInline
func multFrac(_ value: Int, _ numerator: Int, _ denominator: Int) -> Int {
    (value / denominator) &* numerator &+ ((value % denominator) &* numerator) / denominator
}

/// `int_sqrt`: the largest integer whose square does not exceed `value`.
func integerSquareRoot(_ value: Int) -> Int {
    guard value > 0 else { return 0 }
    var root = Int(Double(value).squareRoot())
    while root > 0, root.multipliedReportingOverflow(by: root).overflow || root * root > value { root -= 1 }
    while !(root + 1).multipliedReportingOverflow(by: root + 1).overflow, (root + 1) * (root + 1) <= value { root += 1 }
    return root
}

extension SeamedPageAllocator {
    // MARK: - Checks

    /// `__zone_watermark_unusable_free`: pages the request may not count as free.
    @inline(__always)
    func unusableFree(_ zone: Zone, order: Int, flags: UInt32) -> Int {
        var unusable = (1 &<< order) - 1
        if flags & AllocBit.reserves == 0 {
            unusable += mutant(.watermarkSubtractsReservedHighatomic) ? zone.pointee.nrReservedHighatomic : zone.pointee.nrFreeHighatomic
        }
        if cmaConfigured, flags & AllocBit.cma == 0 { unusable += zone.pointee.nrFreeCMAPages }
        return unusable
    }

    /// `__zone_watermark_ok`: free pages above the (reduced) mark plus the lowmem reserve of the
    /// classzone, and, for order > 0, a non-empty usable list at `order` or above, found with
    /// one shift of the OR of the list bitmasks.
    @inline(__always)
    func zoneWatermarkOK(_ zone: Zone, order: Int, mark: Int, highestZone: Int, flags: UInt32, freePages: Int) -> Bool {
        let free = freePages - unusableFree(zone, order: order, flags: flags)
        var minimum = mark
        if flags & AllocBit.reserves != 0 {
            if flags & AllocBit.minReserve != 0 {
                minimum -= minimum / 2
                if flags & AllocBit.nonBlock != 0 { minimum -= minimum / 4 }
            }
            if flags & AllocBit.oom != 0 { minimum -= minimum / 2 }
        }
        if flags & (AllocBit.nonBlock | AllocBit.minReserve) == AllocBit.nonBlock, mutant(.watermarkNonBlockReduction) {
            minimum -= minimum / 4
        }
        if free <= minimum + lowmemReserve(zone, highestZone) { return false }
        if order == 0 { return true }
        let masks = zone.pointee.freeListMask
        var usable = masks[MigrateIndex.unmovable] | masks[MigrateIndex.movable] | masks[MigrateIndex.reclaimable]
        if cmaConfigured, flags & AllocBit.cma != 0 { usable |= masks[MigrateIndex.cma] }
        if flags & (AllocBit.highatomic | AllocBit.oom) != 0 { usable |= masks[MigrateIndex.highatomic] }
        return usable >> UInt32(order) != 0
    }

    /// `z->lowmem_reserve[highest_zoneidx]`.
    @inline(__always)
    func lowmemReserve(_ zone: Zone, _ highestZone: Int) -> Int {
        mutant(.watermarkIgnoresLowmemReserve) ? 0 : zone.pointee.lowmemReserve[highestZone]
    }

    /// `zone_watermark_ok`.
    @inline(__always)
    func zoneWatermarkOK(_ zone: Zone, order: Int, mark: Int, highestZone: Int, flags: UInt32) -> Bool {
        zoneWatermarkOK(zone, order: order, mark: mark, highestZone: highestZone, flags: flags, freePages: zone.pointee.nrFreePages)
    }

    /// `zone_watermark_fast`: an order-0 shortcut without the reserve reductions, the full check,
    /// and for `__GFP_HIGH` order-0 requests at the min mark a retry ignoring the boost.
    @inline(__always)
    func zoneWatermarkFast(_ zone: Zone, order: Int, mark: Int, highestZone: Int, flags: UInt32) -> Bool {
        let free = zone.pointee.nrFreePages
        if order == 0 {
            let reserved = unusableFree(zone, order: 0, flags: flags)
            let usable = free - min(free, reserved)
            if usable > mark + lowmemReserve(zone, highestZone) { return true }
        }
        if zoneWatermarkOK(zone, order: order, mark: mark, highestZone: highestZone, flags: flags, freePages: free) { return true }
        if order == 0, flags & AllocBit.minReserve != 0, zone.pointee.watermarkBoost != 0,
           flags & AllocBit.wmarkMask == AllocBit.wmarkMin {
            return zoneWatermarkOK(zone, order: order, mark: zone.pointee.watermarks[WatermarkIndex.min],
                                   highestZone: highestZone, flags: flags, freePages: free)
        }
        return false
    }

    /// `boost_watermark`: raise the boost by a pageblock, up to `watermark_boost_factor` of the
    /// high mark (at least a pageblock); nothing for zones under four pageblocks.
    func boostWatermark(_ zone: Zone) -> Bool {
        let factor = global.pointee.watermarkBoostFactor
        if factor == 0 { return false }
        if pageblockPages * 4 > zone.pointee.managedPages { return false }
        var maxBoost = multFrac(zone.pointee.watermarks[WatermarkIndex.high], factor, 10000)
        if maxBoost == 0 { return false }
        maxBoost = max(pageblockPages, maxBoost)
        zone.pointee.watermarkBoost = min(zone.pointee.watermarkBoost + pageblockPages, maxBoost)
        return true
    }

    // MARK: - Setup

    /// `calculate_min_free_kbytes` at boot: `int_sqrt(lowmem_kbytes * 16)` clamped to
    /// [128, 262144], lowmem being the managed pages of the zones up to Normal.
    func calculateMinFreeKbytes() -> Int {
        var lowmemPages = 0
        for position in 0..<populatedZoneCount {
            let zone = zones + populatedZones[position]
            if zone.pointee.id.type <= .normal { lowmemPages += zone.pointee.managedPages }
        }
        let lowmemKbytes = lowmemPages * profile.pageKiB
        return kernelClamp(integerSquareRoot(lowmemKbytes * 16), 128, 262144)
    }

    /// `setup_per_zone_wmarks`: `__setup_per_zone_wmarks` for every zone (boost reset), then the
    /// pcp sizing of every zone (`zone_pcp_update`).
    func setupPerZoneWatermarks() {
        let pagesMin = global.pointee.minFreeKbytes >> (pageShift - 10)
        var lowmemPages = 0
        for zoneIndex in 0..<zoneCount where zones[zoneIndex].id.type != .movable {
            lowmemPages += zones[zoneIndex].managedPages
        }
        for zoneIndex in 0..<zoneCount {
            setZoneWatermarks(zones + zoneIndex, pagesMin: pagesMin, lowmemPages: lowmemPages)
        }
        for zoneIndex in 0..<zoneCount { zoneSetPagesetHighAndBatch(zones + zoneIndex) }
    }

    /// One zone of `__setup_per_zone_wmarks`. Movable zones get a small min clamped to
    /// [`SWAP_CLUSTER_MAX`, 128]; the gaps low−min, high−low and promo−high are the larger of a
    /// quarter of the zone's share of `min_free_kbytes` and `watermark_scale_factor` of it.
    func setZoneWatermarks(_ zone: Zone, pagesMin: Int, lowmemPages: Int) {
        let managed = zone.pointee.managedPages
        // `(u64)pages_min * managed / lowmem`, exact; a share beyond any real machine (only a
        // min_free_kbytes far above INT_MAX can produce one) saturates instead of trapping.
        let saturated = Int.max >> 3
        var share = 0
        if lowmemPages > 0 {
            let product = UInt(pagesMin).multipliedFullWidth(by: UInt(managed))
            if product.high >= UInt(lowmemPages) {
                share = saturated
            } else {
                let quotient = UInt(lowmemPages).dividingFullWidth(product).quotient
                share = quotient > UInt(saturated) ? saturated : Int(quotient)
            }
        }
        let minimum = zone.pointee.id.type == .movable ? kernelClamp(managed / 1024, 32, 128) : share
        let gap = max(share >> 2, multFrac(managed, global.pointee.watermarkScaleFactor, 10000))
        zone.pointee.watermarkBoost = 0
        zone.pointee.watermarks[WatermarkIndex.min] = minimum
        zone.pointee.watermarks[WatermarkIndex.low] = minimum + gap
        zone.pointee.watermarks[WatermarkIndex.high] = minimum + 2 * gap
        zone.pointee.watermarks[WatermarkIndex.promo] = minimum + 3 * gap
    }

    /// `setup_per_zone_lowmem_reserve`: zone i keeps `(managed of zones i+1...j) / ratio[i]` pages
    /// from requests whose highest zone is j.
    func setupPerZoneLowmemReserve() {
        let typeCount = ZoneType.allCases.count
        for node in 0..<nodeCount {
            for lower in 0..<(ZoneType.maxNumberOfZones - 1) where lower < typeCount {
                let zone = zones + (node * typeCount + lower)
                let ratio = lowmemReserveRatio[lower]
                let clear = ratio == 0 || zone.pointee.managedPages == 0
                var upperManaged = 0
                for upper in (lower + 1)..<ZoneType.maxNumberOfZones {
                    if upper < typeCount { upperManaged += zones[node * typeCount + upper].managedPages }
                    zone.pointee.lowmemReserve[upper] = clear ? 0 : upperManaged / ratio
                }
            }
        }
    }

    /// `build_all_zonelists`: mobility grouping is off when the pages above the high watermark
    /// are fewer than `pageblock_nr_pages * MIGRATE_TYPES`.
    func computeMobilityGroupingDisabled() -> Bool {
        var pages = 0
        for position in 0..<populatedZoneCount {
            let zone = zones + populatedZones[position]
            pages += max(0, zone.pointee.managedPages - zone.pointee.watermarkPages(WatermarkIndex.high))
        }
        return pages < pageblockPages * migrateTypesForGrouping
    }

    /// `zone_batchsize`: about 0.025% of the zone, at most 256 KiB, rounded to 2^n − 1.
    func zoneBatchSize(_ zone: Zone) -> Int {
        let batch = min(zone.pointee.managedPages >> 12, (256 * 1024) / profile.pageSize)
        if batch <= 1 { return 1 }
        let value = batch + batch / 2
        return (1 &<< (Int.bitWidth - 1 - value.leadingZeroBitCount)) - 1
    }

    /// `zone_highsize`: the low watermark (or `managed / fraction`) split over the node's CPUs,
    /// at least four batches.
    func zoneHighSize(_ zone: Zone, batch: Int, fraction: Int) -> Int {
        let total = fraction == 0 ? zone.pointee.watermarkPages(WatermarkIndex.low) : zone.pointee.managedPages / fraction
        var cpus = profile.cpuCount(ofNode: zone.pointee.id.node.rawValue)
        if cpus == 0 { cpus = cpuCount }
        return max(total / cpus, batch << 2)
    }

    /// `zone_set_pageset_high_and_batch`: the zone-wide sizing and every CPU's `batch`,
    /// `high_min`, `high_max` (`pcp->high` itself is left to be clamped on use). A pcp's
    /// `PCPF_FREE_HIGH_BATCH` follows its batch.
    func zoneSetPagesetHighAndBatch(_ zone: Zone) {
        let batch = zoneBatchSize(zone)
        let fraction = global.pointee.percpuPagelistHighFraction
        let highMin: Int
        let highMax: Int
        if fraction != 0 {
            highMin = zoneHighSize(zone, batch: batch, fraction: fraction)
            highMax = highMin
        } else {
            highMin = zoneHighSize(zone, batch: batch, fraction: 0)
            highMax = zoneHighSize(zone, batch: batch, fraction: 8)
        }
        if zone.pointee.pagesetHighMin == highMin, zone.pointee.pagesetHighMax == highMax, zone.pointee.pagesetBatch == batch { return }
        zone.pointee.pagesetHighMin = highMin
        zone.pointee.pagesetHighMax = highMax
        zone.pointee.pagesetBatch = batch
        let freeHighBatch = (profile.dataCacheSliceBytes >> pageShift) > 3 * batch
        for cpu in 0..<cpuCount {
            let pcp = perCPUPages(zone, cpu)
            pcp.pointee.batch = batch
            pcp.pointee.highMin = highMin
            pcp.pointee.highMax = highMax
            if freeHighBatch {
                pcp.pointee.flags |= PCPFlagBit.freeHighBatch
            } else {
                pcp.pointee.flags &= ~PCPFlagBit.freeHighBatch
            }
        }
    }
}
