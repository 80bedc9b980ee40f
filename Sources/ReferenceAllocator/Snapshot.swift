import BuddyVocabulary

extension ReferencePageAllocator {
    /// The canonical state (see `StateSnapshot`): every zone the profile lists in (node, zone
    /// index) order, lists head first, PageBuddy pages read from the per-page state, every
    /// pageblock from the zone's start aligned down to its last spanned page, one pageset per
    /// CPU for populated zones, and the allocated blocks sorted by PFN.
    public func snapshot() -> StateSnapshot {
        var allocated: [AllocatedBlock] = []
        for zone in zones.sorted(by: { $0.startPfn < $1.startPfn }) {
            allocated += allocatedBlocks(zone)
        }
        return StateSnapshot(
            zones: zones.map(zoneSnapshot),
            allocated: allocated,
            sysctl: sysctl,
            mobilityGroupingDisabled: mobilityGroupingDisabled)
    }

    private func zoneSnapshot(_ zone: Zone) -> ZoneSnapshot {
        ZoneSnapshot(
            id: zone.id, startPfn: zone.startPfn, spannedPages: zone.spannedPages,
            presentPages: zone.presentPages, managedPages: zone.managedPages,
            watermarks: zone.watermark, watermarkBoost: zone.watermarkBoost,
            lowmemReserve: zone.lowmemReserve, flags: zone.flags,
            nrFreePages: zone.nrFreePages, nrFreePagesBlocks: zone.nrFreePagesBlocks,
            nrFreeCMAPages: zone.nrFreeCMAPages,
            nrReservedHighatomic: zone.nrReservedHighatomic, nrFreeHighatomic: zone.nrFreeHighatomic,
            freeAreas: zone.freeArea.map { FreeAreaSnapshot(nrFree: $0.nrFree, lists: $0.freeList) },
            buddyPages: buddyPages(zone),
            pageblocks: zone.pageblocks,
            pagesets: zone.pagesets.enumerated().map { cpu, pcp in pagesetSnapshot(CPUID(cpu), pcp) },
            pagesetHighMin: zone.pagesetHighMin, pagesetHighMax: zone.pagesetHighMax, pagesetBatch: zone.pagesetBatch)
    }

    private func pagesetSnapshot(_ cpu: CPUID, _ pcp: PerCPUPages) -> PagesetSnapshot {
        PagesetSnapshot(
            cpu: cpu, count: pcp.count, high: pcp.high, highMin: pcp.highMin, highMax: pcp.highMax,
            batch: pcp.batch, flags: pcp.flags, allocFactor: pcp.allocFactor, freeCount: pcp.freeCount,
            lists: pcp.lists)
    }

    /// Every PageBuddy page of the zone with its `buddy_order`, by PFN.
    private func buddyPages(_ zone: Zone) -> [FreeBlock] {
        var blocks: [FreeBlock] = []
        for (offset, state) in zone.pages.enumerated() {
            if case .buddy(let order, _) = state {
                blocks.append(FreeBlock(pfn: zone.startPfn.advanced(by: offset), order: Order(order)))
            }
        }
        return blocks
    }

    /// Every allocated block of the zone, by PFN.
    private func allocatedBlocks(_ zone: Zone) -> [AllocatedBlock] {
        var blocks: [AllocatedBlock] = []
        for (offset, state) in zone.pages.enumerated() {
            if case .allocated(let order, let compound, let refcount) = state {
                blocks.append(AllocatedBlock(
                    pfn: zone.startPfn.advanced(by: offset), order: Order(order), compound: compound, refcount: refcount))
            }
        }
        return blocks
    }
}
