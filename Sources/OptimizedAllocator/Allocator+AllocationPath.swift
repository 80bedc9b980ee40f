import BuddyVocabulary

/// `struct alloc_context`, plus the request itself.
@usableFromInline
struct AllocationContext {
    @usableFromInline let cpu: Int
    @usableFromInline let order: Int
    @usableFromInline let gfp: UInt32
    /// `ac->migratetype` (`gfp_migratetype`).
    @usableFromInline let migratetype: Int
    /// `ac->highest_zoneidx` (`gfp_zone`).
    @usableFromInline let highestZone: Int
    /// The classzone of every lowmem_reserve check: `highestZone`.
    @usableFromInline let classzone: Int
    /// The candidate zones (zonelist entries with index ≤ highest), preferred zone first.
    @usableFromInline let zonelist: UnsafeMutablePointer<Int>
    @usableFromInline let zonelistCount: Int
}

/// `gfp_zone` on x86_64: `GFP_ZONE_TABLE`, two bits per combination of the four zone-modifier
/// bits, as the kernel packs it. The combinations in `GFP_ZONE_BAD` have no entry (they read as
/// zone 0); the allocator refuses them before asking.
@inline(__always) @usableFromInline
func gfpZone(_ gfp: UInt32) -> Int {
    let normal: UInt64 = 2, dma32: UInt64 = 1, movable: UInt64 = 3
    let table: UInt64 = normal << (0 * 2) | normal << (0x2 * 2) | dma32 << (0x4 * 2) | normal << (0x8 * 2)
        | movable << (0xA * 2) | dma32 << (0xC * 2)
    return Int((table >> UInt64((gfp & GFPBit.zoneMask) * 2)) & 0x3)
}

extension SeamedPageAllocator {
    /// `alloc_pages(gfp, order)` on `cpu` (`__alloc_frozen_pages_noprof`): the fast path, the
    /// slow path, and exactly one `mm_page_alloc`.
    @inline(__always)
    func allocate(cpu: Int, order: Int, gfp: UInt32) -> Outcome {
        guard order >= 0, order <= maxOrder else { return .rejected(Rejection(.orderTooLarge, pfn: nil)) }
        guard isValidCPU(cpu) else { return .rejected(Rejection(.noSuchCPUOrNode, pfn: nil)) }
        guard isValidGFP(gfp) else { return .rejected(Rejection(.invalidGFP, pfn: nil)) }
        let context = makeContext(cpu: cpu, order: order, gfp: gfp)
        var flags = AllocBit.wmarkLow | (gfp & GFPBit.kswapdReclaim)
        if context.migratetype == MigrateIndex.movable { flags |= AllocBit.cma }
        flags |= allocFlagsNofragment(context)
        var pfn = getPageFromFreelist(context, flags: flags)
        if pfn == nil { pfn = allocateSlowPath(context) }
        if global.pointee.recordsEvents {
            record(.pageAlloc(pfn: pfn.map { PFN($0) }, order: Order(order), gfp: GFPFlags(rawValue: gfp),
                              migratetype: Migratetype(rawValue: context.migratetype)!))
        }
        guard let pfn else { return .allocationFailed }
        return .allocated(pfn: PFN(pfn))
    }

    /// A mask a debug kernel traps on is refused: two or more of `__GFP_DMA`, `__GFP_DMA32`,
    /// `__GFP_HIGHMEM` (`GFP_ZONE_BAD`), or `__GFP_MOVABLE` with `__GFP_RECLAIMABLE`
    /// (`gfp_migratetype` would name MIGRATE_HIGHATOMIC).
    @inline(__always)
    func isValidGFP(_ gfp: UInt32) -> Bool {
        (gfp & GFPBit.zoneModifiers).nonzeroBitCount <= 1 && gfp & GFPBit.movableMask != GFPBit.movableMask
    }

    /// `prepare_alloc_pages`: highest zone, migratetype (UNMOVABLE when mobility grouping is
    /// off), zonelist of the CPU's node.
    @inline(__always)
    func makeContext(cpu: Int, order: Int, gfp: UInt32) -> AllocationContext {
        let highestZone = gfpZone(gfp)
        var migratetype = Int((gfp & GFPBit.movableMask) >> GFPBit.movableShift)
        if global.pointee.mobilityGroupingDisabled { migratetype = MigrateIndex.unmovable }
        let thisNode = gfp & GFPBit.thisNode != 0 ? ZoneIndex.typeCount : 0
        let zonelist = cpuZonelists[cpu &* 2 &* ZoneIndex.typeCount &+ thisNode &+ highestZone]
        var classzone = highestZone
        if mutant(.classzoneIsPreferredZone), zonelist[-1] > 0 { classzone = zones[zonelist[0]].typeIndex }
        return AllocationContext(
            cpu: cpu, order: order, gfp: gfp, migratetype: migratetype, highestZone: highestZone, classzone: classzone,
            zonelist: zonelist, zonelistCount: zonelist[-1])
    }

    /// `alloc_flags_nofragment` (without `defrag_mode`): NOFRAGMENT when the preferred zone is
    /// Normal and, on NUMA, the node's DMA32 is populated.
    @inline(__always)
    func allocFlagsNofragment(_ context: AllocationContext) -> UInt32 {
        guard context.zonelistCount > 0 else { return 0 }
        let preferred = zones + context.zonelist[0]
        guard preferred.pointee.typeIndex == ZoneIndex.normal else { return 0 }
        if nodeCount > 1 {
            let dma32 = zones[preferred.pointee.nodeIndex * ZoneIndex.typeCount + ZoneIndex.dma32]
            if !dma32.isPopulated { return 0 }
        }
        return AllocBit.noFragment
    }

    /// `get_page_from_freelist`: each candidate zone in zonelist order; `ZONE_BELOW_HIGH` is
    /// noted on the way; a zone passing its watermark (or any zone with
    /// `ALLOC_NO_WATERMARKS`) is tried. NOFRAGMENT is dropped before leaving the preferred node,
    /// and for one more pass when every zone failed.
    @inline(__always)
    func getPageFromFreelist(_ context: AllocationContext, flags initialFlags: UInt32) -> Int? {
        var flags = initialFlags
        var passes = 0
        while passes < 3 {
            passes += 1
            let noFallback = flags & AllocBit.noFragment != 0
            switch scanZonelist(context, flags: flags) {
            case let .allocated(pfn):
                return pfn
            case .leftPreferredNode:
                flags &= ~AllocBit.noFragment
                continue
            case .exhausted:
                guard noFallback, !mutant(.nofragmentKeptOnRetry) else { return nil }
                flags &= ~AllocBit.noFragment
            }
        }
        return nil
    }

    @usableFromInline
    enum ZonelistScan {
        case allocated(Int)
        case leftPreferredNode
        case exhausted
    }

    /// One pass of `get_page_from_freelist` over the zonelist.
    @inline(__always)
    func scanZonelist(_ context: AllocationContext, flags: UInt32) -> ZonelistScan {
        let noFallback = flags & AllocBit.noFragment != 0
        for position in 0..<context.zonelistCount {
            let zone = zones + context.zonelist[position]
            if noFallback, nodeCount > 1, position != 0,
               zone.pointee.nodeIndex != zones[context.zonelist[0]].nodeIndex {
                return .leftPreferredNode
            }
            guard zoneMayAllocate(zone, context, flags: flags) else { continue }
            if let index = rmqueueZone(zone, context, flags: flags) {
                prepNewPage(zone, index, order: context.order, gfp: context.gfp)
                let pfn = zone.pointee.pfn(index)
                if flags & AllocBit.highatomic != 0 { reserveHighatomicPageblock(zone, pfn, order: context.order) }
                return .allocated(pfn)
            }
        }
        return .exhausted
    }

    /// The watermark gate of `get_page_from_freelist`: the high-watermark test that maintains
    /// `ZONE_BELOW_HIGH`, then the request's own watermark (waived by `ALLOC_NO_WATERMARKS`).
    @inline(__always)
    func zoneMayAllocate(_ zone: Zone, _ context: AllocationContext, flags: UInt32) -> Bool {
        if zone.pointee.flags & ZoneFlagBit.belowHigh == 0 {
            let high = zone.pointee.watermarkPages(WatermarkIndex.high)
            if zoneWatermarkFast(zone, order: context.order, mark: high, highestZone: context.classzone, flags: flags) { return true }
            zone.pointee.flags |= ZoneFlagBit.belowHigh
        }
        let mark = zone.pointee.watermarkPages(Int(flags & AllocBit.wmarkMask))
        if zoneWatermarkFast(zone, order: context.order, mark: mark, highestZone: context.classzone, flags: flags) { return true }
        return flags & AllocBit.noWatermarks != 0
    }

    /// `prep_new_page`: refcount 1; with `__GFP_COMP` and order > 0, a compound page.
    @inline(__always)
    func prepNewPage(_ zone: Zone, _ index: UInt32, order: Int, gfp: UInt32) {
        zone.pointee.frames[index].state = .allocated
        zone.pointee.frames[index].order = UInt8(truncatingIfNeeded: order)
        zone.pointee.frames[index].flags = order > 0 && gfp & GFPBit.comp != 0 ? PageFrame.compoundFlag : 0
        zone.pointee.frames[index].refcount = 1
    }

    // MARK: - Slow path

    /// `gfp_to_alloc_flags`.
    func gfpToAllocFlags(_ context: AllocationContext) -> UInt32 {
        let gfp = context.gfp
        var flags = AllocBit.wmarkMin | AllocBit.cpuset
        flags |= gfp & (GFPBit.high | GFPBit.kswapdReclaim)
        if gfp & GFPBit.directReclaim == 0 {
            if gfp & GFPBit.noMemalloc == 0 {
                flags |= AllocBit.nonBlock
                if context.order > 0, flags & AllocBit.minReserve != 0 { flags |= AllocBit.highatomic }
            }
            if flags & AllocBit.minReserve != 0 { flags &= ~AllocBit.cpuset }
        }
        if context.migratetype == MigrateIndex.movable { flags |= AllocBit.cma }
        return flags
    }

    /// `__alloc_pages_slowpath` with reclaim, compaction and the OOM killer making no progress
    /// (the pinned sequence): the slow-path flags, the `__GFP_MEMALLOC` retry, direct reclaim
    /// as unreserve + drain + retry, then the forced unreserve of `should_reclaim_retry`.
    func allocateSlowPath(_ context: AllocationContext) -> Int? {
        // No candidate zone at all: `goto nopage` right after the flags are computed.
        guard context.zonelistCount > 0 else { return nil }
        let gfp = context.gfp
        var flags = gfpToAllocFlags(context)
        if let pfn = getPageFromFreelist(context, flags: flags) { return pfn }
        if gfp & GFPBit.memalloc != 0, gfp & GFPBit.noMemalloc == 0 {
            flags = AllocBit.noWatermarks | (flags & AllocBit.kswapd)
            if context.migratetype == MigrateIndex.movable { flags |= AllocBit.cma }
        }
        if let pfn = getPageFromFreelist(context, flags: flags) { return pfn }
        if gfp & GFPBit.directReclaim == 0 { return nil }
        unreserveHighatomicPageblock(context, force: false)
        drainAllPages()
        if let pfn = getPageFromFreelist(context, flags: flags) { return pfn }
        if gfp & GFPBit.noRetry != 0 { return nil }
        if context.order > costlyOrder, gfp & GFPBit.retryMayFail == 0 { return nil }
        if unreserveHighatomicPageblock(context, force: true) {
            return getPageFromFreelist(context, flags: flags)
        }
        return nil
    }
}
