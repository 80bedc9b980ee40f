import BuddyVocabulary

/// Snapshots of a profile's geometry with nothing free, for tests that place a few blocks by
/// hand. Watermarks, reserves and pagesets are arbitrary small numbers; they are not policy.
enum SyntheticSnapshot {
    static func empty(_ profile: Profile) -> StateSnapshot {
        let zones = profile.allZones.map { id, zone in
            let firstBlock = zone.startPfn >> profile.pageblockOrder
            let lastBlock = (zone.endPfn - 1) >> profile.pageblockOrder
            let populated = zone.managedPages > 0
            return ZoneSnapshot(
                id: id, startPfn: PFN(zone.startPfn), spannedPages: zone.spannedPages, presentPages: zone.presentPages,
                managedPages: zone.managedPages, watermarks: [10, 12, 14, 16], watermarkBoost: 0,
                lowmemReserve: Array(repeating: 0, count: ZoneType.maxNumberOfZones), flags: [],
                nrFreePages: 0, nrFreePagesBlocks: 0, nrFreeCMAPages: 0, nrReservedHighatomic: 0, nrFreeHighatomic: 0,
                freeAreas: Array(repeating: FreeAreaSnapshot(nrFree: 0, lists: Array(repeating: [], count: Migratetype.count)), count: profile.orderCount),
                buddyPages: [],
                pageblocks: Array(repeating: PageblockState(type: .movable), count: zone.spannedPages > 0 ? lastBlock - firstBlock + 1 : 0),
                pagesets: populated ? (0..<profile.cpus).map { cpu in
                    PagesetSnapshot(cpu: CPUID(cpu), count: 0, high: 0, highMin: 4, highMax: 8, batch: 1, flags: 0, allocFactor: 0, freeCount: 0, lists: Array(repeating: [], count: PagesetSnapshot.listCount))
                } : [],
                pagesetHighMin: 4, pagesetHighMax: 8, pagesetBatch: 1)
        }
        return StateSnapshot(
            zones: zones, allocated: [],
            sysctl: SysctlSnapshot(minFreeKbytes: 128, watermarkScaleFactor: 10, watermarkBoostFactor: 15000, percpuPagelistHighFraction: 0, lowmemReserveRatio: [256, 256, 32, 0, 0]),
            mobilityGroupingDisabled: false)
    }

    /// Puts `count` free blocks of `order` on `type`'s list of the zone at `zoneIndex` (an index
    /// into `snapshot.zones`), keeping `nr_free` and `NR_FREE_PAGES` in step.
    static func addFree(_ snapshot: inout StateSnapshot, zoneIndex: Int, order: Int, type: Migratetype, count: Int) {
        let start = snapshot.zones[zoneIndex].startPfn.rawValue
        let pfns = (0..<count).map { PFN(start + ($0 << order)) }
        snapshot.zones[zoneIndex].freeAreas[order].lists[type.rawValue] += pfns
        snapshot.zones[zoneIndex].freeAreas[order].nrFree += count
        if type != .isolate { snapshot.zones[zoneIndex].nrFreePages += count << order }
    }
}
