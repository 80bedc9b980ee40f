import BuddyVocabulary

extension ReferencePageAllocator {
    /// `wmark_pages(zone, mark)`: the watermark plus the current boost.
    func wmarkPages(_ zone: Zone, _ mark: Watermark) -> Int {
        zone.watermark[mark.rawValue] + zone.watermarkBoost
    }

    /// `min_wmark_pages`
    func minWmarkPages(_ zone: Zone) -> Int { wmarkPages(zone, .min) }
    /// `low_wmark_pages`
    func lowWmarkPages(_ zone: Zone) -> Int { wmarkPages(zone, .low) }
    /// `high_wmark_pages`
    func highWmarkPages(_ zone: Zone) -> Int { wmarkPages(zone, .high) }

    /// `__zone_watermark_unusable_free`: the free pages this request may not count: the part
    /// of the request itself beyond one page, the free highatomic reserve unless the request
    /// may use reserves, and free CMA pages unless it may use CMA.
    func zoneWatermarkUnusableFree(_ zone: Zone, order: Int, flags: AllocFlags) -> Int {
        var unusableFree = (1 << order) - 1
        if flags.isDisjoint(with: .reserves) {
            unusableFree += zone.nrFreeHighatomic
        }
        if profile.cmaConfigured && !flags.contains(.cma) {
            unusableFree += zone.nrFreeCMAPages
        }
        return unusableFree
    }

    /// `__zone_watermark_ok`: free pages above `mark` (lowered for reserve users) plus the
    /// classzone's lowmem reserve, and for order > 0 a free block of at least `order` on a list
    /// the request may use.
    func zoneWatermarkOkFree(
        _ zone: Zone, order: Int, mark: Int, highestZoneIndex: Int, flags: AllocFlags, freePages: Int
    ) -> Bool {
        var min = mark
        let freePages = freePages - zoneWatermarkUnusableFree(zone, order: order, flags: flags)
        if !flags.isDisjoint(with: .reserves) {
            if flags.contains(.minReserve) {
                min -= min / 2
                if flags.contains(.nonBlock) { min -= min / 4 }
            }
            if flags.contains(.oom) { min -= min / 2 }
        }
        if freePages <= min + zone.lowmemReserve[highestZoneIndex] { return false }
        if order == 0 { return true }
        for currentOrder in order...maxPageOrder {
            let area = zone.freeArea[currentOrder]
            if area.nrFree == 0 { continue }
            for type in [Migratetype.unmovable, .movable, .reclaimable] where !area.freeList[type.rawValue].isEmpty {
                return true
            }
            if profile.cmaConfigured && flags.contains(.cma) && !area.freeList[Migratetype.cma.rawValue].isEmpty {
                return true
            }
            if !flags.isDisjoint(with: [.highatomic, .oom]) && !area.freeList[Migratetype.highatomic.rawValue].isEmpty {
                return true
            }
        }
        return false
    }

    /// `zone_watermark_ok`: `__zone_watermark_ok` with the zone's `NR_FREE_PAGES`.
    func zoneWatermarkOk(_ zone: Zone, order: Int, mark: Int, highestZoneIndex: Int, flags: AllocFlags) -> Bool {
        zoneWatermarkOkFree(zone, order: order, mark: mark, highestZoneIndex: highestZoneIndex, flags: flags, freePages: zone.nrFreePages)
    }

    /// `zone_watermark_fast`: an order-0 shortcut that skips the reserve reductions, then the
    /// full check, then, for order-0 `__GFP_HIGH` requests at the min watermark, the check
    /// again against the unboosted min watermark.
    func zoneWatermarkFast(_ zone: Zone, order: Int, mark: Int, highestZoneIndex: Int, flags: AllocFlags) -> Bool {
        let freePages = zone.nrFreePages
        if order == 0 {
            let reserved = zoneWatermarkUnusableFree(zone, order: 0, flags: flags)
            let usableFree = freePages - Swift.min(freePages, reserved)
            if usableFree > mark + zone.lowmemReserve[highestZoneIndex] { return true }
        }
        if zoneWatermarkOkFree(zone, order: order, mark: mark, highestZoneIndex: highestZoneIndex, flags: flags, freePages: freePages) {
            return true
        }
        if order == 0 && flags.contains(.minReserve) && zone.watermarkBoost != 0 && flags.watermark == .min {
            let unboostedMin = zone.watermark[Watermark.min.rawValue]
            return zoneWatermarkOkFree(zone, order: order, mark: unboostedMin, highestZoneIndex: highestZoneIndex, flags: flags, freePages: freePages)
        }
        return false
    }
}
