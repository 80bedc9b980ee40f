import BuddyVocabulary

/// `struct alloc_context`: what `prepare_alloc_pages` works out once per request.
struct AllocationContext {
    let cpu: CPUID
    /// `ac->highest_zoneidx` (`gfp_zone`): also the classzone for `lowmem_reserve`.
    let highestZone: ZoneType
    /// `ac->migratetype` (`gfp_migratetype`).
    let migratetype: Migratetype
    /// `ac->zonelist`; iterations skip the zones above `highestZone`
    /// (`for_next_zone_zonelist_nodemask`).
    let zonelist: [Zone]
    /// `ac->preferred_zoneref` (`first_zones_zonelist`): the first zone up to `highestZone`.
    let preferredZone: Zone?

    init(cpu: CPUID, highestZone: ZoneType, migratetype: Migratetype, zonelist: [Zone]) {
        self.cpu = cpu
        self.highestZone = highestZone
        self.migratetype = migratetype
        self.zonelist = zonelist
        preferredZone = zonelist.first { $0.id.type <= highestZone }
    }

    /// Whether an iteration over the zonelist visits `zone`.
    func allows(_ zone: Zone) -> Bool { zone.id.type <= highestZone }
}

extension ReferencePageAllocator {
    // MARK: - The request

    /// `__alloc_pages` (`__alloc_frozen_pages_noprof` + `set_page_refcounted`) on `cpu`: the fast
    /// path, then the slow path, then exactly one `mm_page_alloc` with the requested type.
    ///
    /// Refused before anything happens: an order above `MAX_PAGE_ORDER` (the kernel warns and
    /// returns NULL without a trace event; a negative order is a huge unsigned one), a CPU the profile does not have, and the masks a
    /// debug kernel traps on (`gfp_zone`'s `GFP_ZONE_BAD` combinations, and `__GFP_MOVABLE` with
    /// `__GFP_RECLAIMABLE`, which `gfp_migratetype` warns about and would turn into
    /// MIGRATE_HIGHATOMIC).
    func allocPages(cpu: CPUID, order requestedOrder: Order, gfp: GFPFlags) -> Outcome {
        let order = requestedOrder.rawValue
        guard order >= 0, order <= maxPageOrder else { return .rejected(Rejection(.orderTooLarge, pfn: nil)) }
        guard isValid(cpu) else { return .rejected(Rejection(.noSuchCPUOrNode, pfn: nil)) }
        guard let highestZone = gfpZone(gfp), gfp.intersection(.movableMask) != .movableMask else {
            return .rejected(Rejection(.invalidGFP, pfn: nil))
        }
        let context = prepareAllocPages(cpu: cpu, gfp: gfp, highestZone: highestZone)
        var flags: AllocFlags = .wmarkLow
        if context.migratetype == .movable { flags.insert(.cma) }
        flags.formUnion(allocFlagsNofragment(context.preferredZone, gfp: gfp))
        var page = getPageFromFreelist(gfp: gfp, order: order, flags: flags, context)
        if page == nil {
            page = allocPagesSlowpath(gfp: gfp, order: order, context)
        }
        emit(.pageAlloc(pfn: page, order: requestedOrder, gfp: gfp, migratetype: context.migratetype))
        guard let page else { return .allocationFailed }
        return .allocated(pfn: page)
    }

    /// `prepare_alloc_pages`: the highest zone, the requested type and the zonelist.
    private func prepareAllocPages(cpu: CPUID, gfp: GFPFlags, highestZone: ZoneType) -> AllocationContext {
        let node = profile.node(ofCPU: cpu).rawValue
        let zonelist = gfp.contains(.thisNode) ? zonelists.noFallback[node] : zonelists.fallback[node]
        return AllocationContext(cpu: cpu, highestZone: highestZone, migratetype: gfpMigratetype(gfp), zonelist: zonelist)
    }

    /// `__alloc_pages_slowpath`, with reclaim, compaction and the OOM killer making no
    /// progress, as the model fixes it:
    /// 1. `gfp_to_alloc_flags`, attempt;
    /// 2. `__GFP_MEMALLOC` without `__GFP_NOMEMALLOC` switches to `ALLOC_NO_WATERMARKS`;
    ///    attempt again either way;
    /// 3. without `__GFP_DIRECT_RECLAIM`, fail;
    /// 4. direct reclaim reclaims nothing but reports progress: unreserve a highatomic block
    ///    (not the last), drain every pcp, attempt;
    /// 5. `__GFP_NORETRY`, or a costly order without `__GFP_RETRY_MAYFAIL`, fails;
    /// 6. `should_reclaim_retry` gives up: unreserve a highatomic block even if it is the last,
    ///    and attempt once more if one was converted; then fail.
    ///
    /// Simplifications: the kernel's `__alloc_pages_direct_reclaim` attempts once before its
    /// unreserve-and-drain; the model makes only the attempt after it. The kernel gives up right
    /// after step 1 for a costly `__GFP_NORETRY` request whose first compaction was skipped; the
    /// model goes on to step 2. `should_reclaim_retry`'s retry loop is cut to its final
    /// unreserve. `__GFP_NOFAIL` gets no special treatment. A request with no zone to try fails
    /// at once (the kernel's `nopage`).
    private func allocPagesSlowpath(gfp: GFPFlags, order: Int, _ context: AllocationContext) -> PFN? {
        guard context.preferredZone != nil else { return nil }
        var flags = gfpToAllocFlags(gfp, order: order, context.migratetype)
        if let page = getPageFromFreelist(gfp: gfp, order: order, flags: flags, context) { return page }
        if gfp.contains(.memalloc) && !gfp.contains(.noMemalloc) {
            var reserveFlags: AllocFlags = .noWatermarks
            if context.migratetype == .movable { reserveFlags.insert(.cma) }
            flags = reserveFlags.union(flags.intersection(.kswapd))
        }
        if let page = getPageFromFreelist(gfp: gfp, order: order, flags: flags, context) { return page }
        guard gfp.contains(.directReclaim) else { return nil }
        unreserveHighatomicPageblock(context, force: false)
        drainAllPages()
        if let page = getPageFromFreelist(gfp: gfp, order: order, flags: flags, context) { return page }
        if gfp.contains(.noRetry) { return nil }
        if order > Order.costly.rawValue && !gfp.contains(.retryMayFail) { return nil }
        if unreserveHighatomicPageblock(context, force: true) {
            return getPageFromFreelist(gfp: gfp, order: order, flags: flags, context)
        }
        return nil
    }

    // MARK: - Zones and flags

    /// `gfp_zone` on x86_64 (no highmem): the highest zone the mask allows; nil for the
    /// `GFP_ZONE_BAD` combinations (two of DMA, DMA32 and HIGHMEM).
    func gfpZone(_ gfp: GFPFlags) -> ZoneType? {
        let zoneBits = gfp.intersection(.zoneMask)
        let placement = zoneBits.subtracting(.movable)
        let movable = zoneBits.contains(.movable)
        switch placement {
        case []: return .normal
        case .dma: return .dma
        case .dma32: return .dma32
        case .highmem: return movable ? .movable : .normal
        default: return nil
        }
    }

    /// `gfp_migratetype`: MOVABLE or RECLAIMABLE from the mobility bits; UNMOVABLE when
    /// grouping by mobility is disabled.
    func gfpMigratetype(_ gfp: GFPFlags) -> Migratetype {
        if mobilityGroupingDisabled { return .unmovable }
        if gfp.contains(.movable) { return .movable }
        if gfp.contains(.reclaimable) { return .reclaimable }
        return .unmovable
    }

    /// `alloc_flags_nofragment`: `ALLOC_KSWAPD` from `__GFP_KSWAPD_RECLAIM`, and
    /// `ALLOC_NOFRAGMENT` when the preferred zone is Normal and (one node, or the node's DMA32
    /// is populated): fall back within the node's Normal and DMA32 before fragmenting.
    func allocFlagsNofragment(_ preferredZone: Zone?, gfp: GFPFlags) -> AllocFlags {
        var flags: AllocFlags = gfp.contains(.kswapdReclaim) ? .kswapd : []
        guard let zone = preferredZone, zone.id.type == .normal else { return flags }
        if profile.nodes.count > 1 {
            let dma32 = zones.first { $0.id.node == zone.id.node && $0.id.type == .dma32 }
            guard let dma32, dma32.isPopulated else { return flags }
        }
        flags.insert(.noFragment)
        return flags
    }

    /// `gfp_to_alloc_flags`: the slow path's flags. The min watermark; `__GFP_HIGH` grants
    /// `ALLOC_MIN_RESERVE`; requests that cannot reclaim directly get `ALLOC_NON_BLOCK` (unless
    /// `__GFP_NOMEMALLOC`) and, for order > 0 with `__GFP_HIGH`, `ALLOC_HIGHATOMIC`. No
    /// `ALLOC_NOFRAGMENT` (`defrag_mode` is 0), so stealing is allowed.
    func gfpToAllocFlags(_ gfp: GFPFlags, order: Int, _ migratetype: Migratetype) -> AllocFlags {
        var flags: AllocFlags = [.wmarkMin, .cpuset]
        if gfp.contains(.high) { flags.insert(.minReserve) }
        if gfp.contains(.kswapdReclaim) { flags.insert(.kswapd) }
        if !gfp.contains(.directReclaim) {
            if !gfp.contains(.noMemalloc) {
                flags.insert(.nonBlock)
                if order > 0 && flags.contains(.minReserve) { flags.insert(.highatomic) }
            }
            if flags.contains(.minReserve) { flags.remove(.cpuset) }
        }
        if migratetype == .movable { flags.insert(.cma) }
        return flags
    }

    // MARK: - The zone scan

    /// `get_page_from_freelist`: the zones of the zonelist in order. A zone not known to be
    /// below its high watermark is tried at once if it passes the high mark, else marked
    /// `ZONE_BELOW_HIGH`; then it must pass the request's own mark (or have
    /// `ALLOC_NO_WATERMARKS`). Under `ALLOC_NOFRAGMENT`, reaching another node's zone, or
    /// failing everywhere, restarts the scan without it.
    func getPageFromFreelist(gfp: GFPFlags, order: Int, flags initialFlags: AllocFlags, _ context: AllocationContext) -> PFN? {
        var flags = initialFlags
        guard let preferredZone = context.preferredZone else { return nil }
        let classzone = context.highestZone.rawValue
        retry: while true {
            let noFallback = flags.contains(.noFragment)
            for zone in context.zonelist where context.allows(zone) {
                if noFallback && profile.nodes.count > 1 && zone !== preferredZone && zone.id.node != preferredZone.id.node {
                    flags.remove(.noFragment)
                    continue retry
                }
                if !zoneAllowsAllocation(zone, order: order, flags: flags, classzone: classzone) { continue }
                if let page = rmqueue(cpu: context.cpu, zone, order: order, flags: flags, context.migratetype) {
                    prepNewPage(zone, page, order: order, gfp: gfp)
                    if flags.contains(.highatomic) {
                        reserveHighatomicPageblock(zone, page, order: order)
                    }
                    return page
                }
            }
            if noFallback {
                flags.remove(.noFragment)
                continue retry
            }
            return nil
        }
    }

    /// The watermark part of `get_page_from_freelist` for one zone.
    private func zoneAllowsAllocation(_ zone: Zone, order: Int, flags: AllocFlags, classzone: Int) -> Bool {
        if !zone.flags.contains(.belowHigh) {
            if zoneWatermarkFast(zone, order: order, mark: highWmarkPages(zone), highestZoneIndex: classzone, flags: flags) {
                return true
            }
            zone.flags.insert(.belowHigh)
        }
        let mark = wmarkPages(zone, flags.watermark)
        if zoneWatermarkFast(zone, order: order, mark: mark, highestZoneIndex: classzone, flags: flags) {
            return true
        }
        return flags.contains(.noWatermarks)
    }

    /// `prep_new_page`: the block belongs to the caller with one reference
    /// (`set_page_refcounted`); with `__GFP_COMP` and order > 0 it is a compound page.
    private func prepNewPage(_ zone: Zone, _ page: PFN, order: Int, gfp: GFPFlags) {
        zone[page] = .allocated(order: order, compound: gfp.contains(.comp) && order > 0, refcount: 1)
    }
}
