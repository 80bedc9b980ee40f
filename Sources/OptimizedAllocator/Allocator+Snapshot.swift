import BuddyVocabulary

extension SeamedPageAllocator {
    /// The canonical state, read from the frame tables and lists (never from caches alone).
    /// `snapshot()` of both subclasses, specialized for each seam like `applyOperation`.
    func makeSnapshot() -> StateSnapshot {
        var zoneSnapshots: [ZoneSnapshot] = []
        var allocated: [AllocatedBlock] = []
        let listedZones = profile.allZones.map(\.id)
        for zoneIndex in 0..<zoneCount {
            let zone = zones + zoneIndex
            // The frame tables keep every zone type of every node; the snapshot lists the zones
            // the profile names, as `StateSnapshot.zones` is defined.
            guard listedZones.contains(zone.pointee.id) else { continue }
            zoneSnapshots.append(zoneSnapshot(zone))
            allocated.append(contentsOf: allocatedBlocks(zone))
        }
        allocated.sort { $0.pfn < $1.pfn }
        let sysctl = SysctlSnapshot(
            minFreeKbytes: global.pointee.minFreeKbytes, watermarkScaleFactor: global.pointee.watermarkScaleFactor,
            watermarkBoostFactor: global.pointee.watermarkBoostFactor,
            percpuPagelistHighFraction: global.pointee.percpuPagelistHighFraction,
            lowmemReserveRatio: Array(UnsafeBufferPointer(start: lowmemReserveRatio, count: ZoneType.maxNumberOfZones)))
        return StateSnapshot(
            zones: zoneSnapshots, allocated: allocated, sysctl: sysctl,
            mobilityGroupingDisabled: global.pointee.mobilityGroupingDisabled)
    }

    func zoneSnapshot(_ zone: Zone) -> ZoneSnapshot {
        let state = zone.pointee
        return ZoneSnapshot(
            id: state.id, startPfn: PFN(state.startPfn), spannedPages: state.spannedPages,
            presentPages: state.presentPages, managedPages: state.managedPages,
            watermarks: Array(UnsafeBufferPointer(start: state.watermarks, count: Watermark.allCases.count)),
            watermarkBoost: state.watermarkBoost,
            lowmemReserve: Array(UnsafeBufferPointer(start: state.lowmemReserve, count: ZoneType.maxNumberOfZones)),
            flags: ZoneFlags(rawValue: state.flags),
            nrFreePages: state.nrFreePages, nrFreePagesBlocks: state.nrFreePagesBlocks, nrFreeCMAPages: state.nrFreeCMAPages,
            nrReservedHighatomic: state.nrReservedHighatomic, nrFreeHighatomic: state.nrFreeHighatomic,
            freeAreas: freeAreaSnapshots(zone), buddyPages: buddyPages(zone), pageblocks: pageblockStates(zone),
            pagesets: state.isPopulated ? (0..<cpuCount).map { pagesetSnapshot(zone, cpu: $0) } : [],
            pagesetHighMin: state.pagesetHighMin, pagesetHighMax: state.pagesetHighMax, pagesetBatch: state.pagesetBatch)
    }

    /// A list as PFNs, head first.
    func listPFNs(_ zone: Zone, _ sentinel: UInt32) -> [PFN] {
        zone.pointee.frames.indexes(of: sentinel, limit: zone.pointee.coveredPages).map { PFN(zone.pointee.pfn($0)) }
    }

    func freeAreaSnapshots(_ zone: Zone) -> [FreeAreaSnapshot] {
        (0..<orderCount).map { order in
            FreeAreaSnapshot(
                nrFree: zone.pointee.nrFree[order],
                lists: (0..<MigrateIndex.count).map { listPFNs(zone, zone.pointee.freeListSentinel(order: order, migratetype: $0)) })
        }
    }

    /// PageBuddy heads read from the frames, by PFN.
    func buddyPages(_ zone: Zone) -> [FreeBlock] {
        var blocks: [FreeBlock] = []
        for index in 0..<zone.pointee.coveredPages where zone.pointee.frames[UInt32(index)].state == .buddy {
            blocks.append(FreeBlock(pfn: PFN(zone.pointee.pfn(UInt32(index))), order: Order(Int(zone.pointee.frames[UInt32(index)].order))))
        }
        return blocks
    }

    func pageblockStates(_ zone: Zone) -> [PageblockState] {
        guard zone.pointee.spannedPages > 0 else { return [] }
        let first = zone.pointee.startPfn >> pageblockOrder
        let last = (zone.pointee.startPfn + zone.pointee.spannedPages - 1) >> pageblockOrder
        return (first...last).map { block in
            let byte = zone.pointee.pageblockByte(block << pageblockOrder).pointee
            let type = Migratetype(rawValue: Int(byte & ZoneState.migratetypeMask)) ?? .unmovable
            return PageblockState(type: type == .isolate ? .unmovable : type, isolated: byte & ZoneState.isolateBit != 0)
        }
    }

    func pagesetSnapshot(_ zone: Zone, cpu: Int) -> PagesetSnapshot {
        let pcp = perCPUPages(zone, cpu).pointee
        return PagesetSnapshot(
            cpu: CPUID(cpu), count: pcp.count, high: pcp.high, highMin: pcp.highMin, highMax: pcp.highMax,
            batch: pcp.batch, flags: pcp.flags, allocFactor: pcp.allocFactor, freeCount: pcp.freeCount,
            lists: (0..<ZoneState.perCPUListCount).map { listPFNs(zone, zone.pointee.perCPUListSentinel(cpu: cpu, pindex: $0)) })
    }

    func allocatedBlocks(_ zone: Zone) -> [AllocatedBlock] {
        var blocks: [AllocatedBlock] = []
        for index in 0..<zone.pointee.coveredPages {
            let frame = zone.pointee.frames[UInt32(index)]
            guard frame.state == .allocated else { continue }
            blocks.append(AllocatedBlock(
                pfn: PFN(zone.pointee.pfn(UInt32(index))), order: Order(Int(frame.order)), compound: frame.isCompound,
                refcount: Int(clamping: frame.refcount)))
        }
        return blocks
    }
}
