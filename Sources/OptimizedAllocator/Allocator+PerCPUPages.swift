import BuddyVocabulary

/// `CONFIG_PCP_BATCH_SCALE_MAX`.
@usableFromInline let pcpBatchScaleMax = 5

/// The kernel's `clamp(value, low, high)` (`__clamp`): `value ≥ high` gives `high`, else
/// `value ≤ low` gives `low`, else `value`. When `low > high` this is not `min(max(...))`.
@inline(__always) @usableFromInline
func kernelClamp(_ value: Int, _ low: Int, _ high: Int) -> Int {
    value >= high ? high : (value <= low ? low : value)
}

extension SeamedPageAllocator {
    @inline(__always)
    func perCPUPages(_ zone: Zone, _ cpu: Int) -> UnsafeMutablePointer<PerCPUPages> { zone.pointee.perCPU.advanced(by: cpu) }

    // MARK: - Free side

    /// `free_frozen_page_commit` (6.18 form: one bulk free): the page goes to the head of its
    /// pcp list; `free_high` detects a run of high-order frees; above `high`, `nr_pcp_free`
    /// pages go back to the buddy, and `ZONE_BELOW_HIGH` is cleared once the zone is back above
    /// its high watermark.
    @inline(__always)
    func freeFrozenPageCommit(_ zone: Zone, cpu: Int, _ index: UInt32, migratetype: Int, order: Int) {
        let pcp = perCPUPages(zone, cpu)
        pcp.pointee.allocFactor &>>= 1
        let pindex = orderToPindex(migratetype, order)
        zone.pointee.frames[index].state = .perCPU
        zone.pointee.frames[index].order = UInt8(truncatingIfNeeded: order)
        zone.pointee.frames[index].listType = UInt8(truncatingIfNeeded: pindex)
        zone.pointee.frames.addHead(index, zone.pointee.perCPUListSentinel(cpu: cpu, pindex: pindex))
        pcp.pointee.count &+= 1 &<< order
        let batch = pcp.pointee.batch
        let freeHigh = updateFreeHighState(pcp, batch: batch, order: order)
        if pcp.pointee.freeCount < batch &<< pcpBatchScaleMax || mutant(.pcpFreeCountUncapped) { pcp.pointee.freeCount &+= 1 &<< order }
        let high = nrPcpHigh(zone, pcp, batch: batch, freeHigh: freeHigh)
        guard pcp.pointee.count >= high else { return }
        freePcppagesBulk(zone, cpu: cpu, count: nrPcpFree(pcp, batch: batch, high: high, freeHigh: freeHigh), pindex: pindex)
        if zone.pointee.flags & ZoneFlagBit.belowHigh != 0, !mutant(.belowHighNeverCleared),
           zoneWatermarkOK(zone, order: 0, mark: zone.pointee.watermarkPages(WatermarkIndex.high), highestZone: ZoneIndex.movable, flags: 0) {
            zone.pointee.flags &= ~ZoneFlagBit.belowHigh
        }
    }

    /// The `free_high` test and the `PCPF_PREV_FREE_HIGH_ORDER` bookkeeping of
    /// `free_frozen_page_commit`: only orders 1...3 count as high-order frees.
    @inline(__always)
    func updateFreeHighState(_ pcp: UnsafeMutablePointer<PerCPUPages>, batch: Int, order: Int) -> Bool {
        let previous = PCPFlagBit.prevFreeHighOrder
        guard order > 0, order <= costlyOrder else {
            pcp.pointee.flags &= ~previous
            return false
        }
        let freeHigh = pcp.pointee.freeCount >= batch + pcp.pointee.highMin / 2
            && pcp.pointee.flags & previous != 0
            && (pcp.pointee.flags & PCPFlagBit.freeHighBatch == 0 || pcp.pointee.count >= batch || mutant(.pcpFreeHighIgnoresBatchFlag))
        pcp.pointee.flags |= previous
        return freeHigh
    }

    /// `nr_pcp_high`: the effective high mark, with the auto-tuning of `pcp->high`.
    @inline(__always)
    func nrPcpHigh(_ zone: Zone, _ pcp: UnsafeMutablePointer<PerCPUPages>, batch: Int, freeHigh: Bool) -> Int {
        let highMin = pcp.pointee.highMin
        let highMax = pcp.pointee.highMax
        var high = kernelClamp(pcp.pointee.high, highMin, highMax)
        pcp.pointee.high = high
        if high == 0 { return 0 }
        if freeHigh {
            pcp.pointee.high = max(high - (batch &<< pcpBatchScaleMax), highMin)
            return 0
        }
        let zoneFlags = zone.pointee.flags
        if zoneFlags & ZoneFlagBit.reclaimActive != 0 {
            let freeCount = max(pcp.pointee.freeCount, batch)
            pcp.pointee.high = max(high - freeCount, highMin)
            return min(batch << 2, pcp.pointee.high)
        }
        if highMin == highMax { return high }
        if zoneFlags & ZoneFlagBit.belowHigh != 0 {
            let freeCount = max(pcp.pointee.freeCount, batch)
            pcp.pointee.high = max(high - freeCount, highMin)
            high = max(pcp.pointee.count, highMin)
        } else if pcp.pointee.count >= high {
            let needHigh = pcp.pointee.freeCount + batch
            if pcp.pointee.high < needHigh { pcp.pointee.high = kernelClamp(needHigh, highMin, highMax) }
        }
        return high
    }

    /// `nr_pcp_free`: how many pages to give back once `count ≥ high`.
    @inline(__always)
    func nrPcpFree(_ pcp: UnsafeMutablePointer<PerCPUPages>, batch: Int, high: Int, freeHigh: Bool) -> Int {
        if freeHigh { return min(pcp.pointee.count, batch &<< pcpBatchScaleMax) }
        if high < batch { return 1 }
        return kernelClamp(pcp.pointee.freeCount, batch, high - batch)
    }

    /// `free_pcppages_bulk`: starting at `pindex`, round-robin over the non-empty lists, taking
    /// each list's tail (oldest) until `count` pages are freed; each block is freed with its
    /// pageblock's type as read now, and `mm_page_pcpu_drain` follows its merge.
    func freePcppagesBulk(_ zone: Zone, cpu: Int, count requested: Int, pindex startIndex: Int) {
        let pcp = perCPUPages(zone, cpu)
        let listCount = ZoneState.perCPUListCount
        var count = min(pcp.pointee.count, requested)
        var pindex = startIndex - 1
        while count > 0 {
            var emptyLists = 0
            repeat {
                pindex = pindex + 1 > listCount - 1 ? 0 : pindex + 1
                emptyLists += 1
            } while zone.pointee.frames.isEmpty(zone.pointee.perCPUListSentinel(cpu: cpu, pindex: pindex)) && emptyLists <= listCount
            guard emptyLists <= listCount else {
                assertionFailure("pcp count \(pcp.pointee.count) but every list is empty")
                return
            }
            let sentinel = zone.pointee.perCPUListSentinel(cpu: cpu, pindex: pindex)
            let order = pindexToOrder(pindex)
            let pages = 1 &<< order
            repeat {
                let index = mutant(.pcpSpillNewestFirst) ? zone.pointee.frames.first(sentinel) : zone.pointee.frames.last(sentinel)
                let pfn = zone.pointee.pfn(index)
                let migratetype = mutant(.pcpDrainStaleMigratetype) ? pindexMigratetype(pindex) : zone.pointee.pageblockMigratetype(pfn)
                zone.pointee.frames.remove(index)
                zone.pointee.frames[index].state = .tail
                count -= pages
                pcp.pointee.count -= pages
                freeOneBlock(zone, index, order: order, migratetype: migratetype, toTail: false)
                emitPcpuDrain(pfn, order, migratetype)
            } while count > 0 && !zone.pointee.frames.isEmpty(sentinel)
        }
    }

    // MARK: - Allocation side

    /// `nr_pcp_alloc`: how many blocks a refill takes, with the auto-growth of `pcp->high` and
    /// the doubling `alloc_factor` of order-0 refills.
    @inline(__always)
    func nrPcpAlloc(_ zone: Zone, _ pcp: UnsafeMutablePointer<PerCPUPages>, order: Int) -> Int {
        let baseBatch = pcp.pointee.batch
        let highMin = pcp.pointee.highMin
        let highMax = pcp.pointee.highMax
        var high = kernelClamp(pcp.pointee.high, highMin, highMax)
        pcp.pointee.high = high
        if high < baseBatch { return 1 }
        var batch = order > 0 ? baseBatch : baseBatch << pcp.pointee.allocFactor
        if highMin != highMax, zone.pointee.flags & ZoneFlagBit.belowHigh == 0 {
            high = min(high + batch, highMax)
            pcp.pointee.high = high
        }
        if order == 0 {
            let maxAlloc = max(high - pcp.pointee.count - baseBatch, baseBatch)
            if batch <= maxAlloc, pcp.pointee.allocFactor < pcpBatchScaleMax || mutant(.pcpAllocFactorUncapped) { pcp.pointee.allocFactor += 1 }
            batch = min(batch, maxAlloc)
        }
        if batch > 1 { batch = max(batch >> order, 2) }
        return mutant(.pcpRefillOneMore) ? batch + 1 : batch
    }

    /// `rmqueue_pcplist` + `__rmqueue_pcplist`: the head of the CPU's list, refilled by
    /// `rmqueue_bulk` when empty.
    @inline(__always)
    func rmqueuePcplist(_ zone: Zone, _ context: AllocationContext, flags: UInt32) -> UInt32? {
        let cpu = context.cpu
        let order = context.order
        let pcp = perCPUPages(zone, cpu)
        pcp.pointee.freeCount &>>= 1
        let pindex = orderToPindex(context.migratetype, order)
        let sentinel = zone.pointee.perCPUListSentinel(cpu: cpu, pindex: pindex)
        if zone.pointee.frames.isEmpty(sentinel) {
            let batch = nrPcpAlloc(zone, pcp, order: order)
            let taken = rmqueueBulk(zone, order: order, count: batch, sentinel: sentinel, pindex: pindex, migratetype: context.migratetype, flags: flags)
            pcp.pointee.count += mutant(.pcpCountIgnoresOrder) ? taken : taken << order
            if zone.pointee.frames.isEmpty(sentinel) { return nil }
        }
        let index = zone.pointee.frames.first(sentinel)
        zone.pointee.frames.remove(index)
        pcp.pointee.count &-= 1 &<< order
        return index
    }

    /// `rmqueue_bulk`: up to `count` blocks under one zone-lock hold, each appended to the pcp
    /// list's tail, with the `rmqueue_mode` kept across iterations.
    func rmqueueBulk(_ zone: Zone, order: Int, count: Int, sentinel: UInt32, pindex: Int, migratetype: Int, flags: UInt32) -> Int {
        var mode = RmqueueMode.normal
        for taken in 0..<max(count, 0) {
            if mutant(.rmqueueModeNotCached) { mode = .normal }
            guard let index = rmqueue(zone, order: order, migratetype: migratetype, flags: flags, mode: &mode) else { return taken }
            zone.pointee.frames[index].state = .perCPU
            zone.pointee.frames[index].order = UInt8(truncatingIfNeeded: order)
            zone.pointee.frames[index].listType = UInt8(truncatingIfNeeded: pindex)
            zone.pointee.frames.addTail(index, sentinel)
        }
        return max(count, 0)
    }

    // MARK: - Drains

    /// `drain_pages_zone`: the CPU's pcp of one zone back to the buddy, `batch << 5` at a time.
    func drainPagesZone(_ zone: Zone, cpu: Int) {
        let pcp = perCPUPages(zone, cpu)
        var rounds = 0
        var count = 0
        repeat {
            count = pcp.pointee.count
            if count > 0 {
                let toDrain = min(count, pcp.pointee.batch &<< pcpBatchScaleMax)
                freePcppagesBulk(zone, cpu: cpu, count: toDrain, pindex: 0)
                count -= toDrain
            }
            rounds += 1
        } while count > 0 && rounds <= zone.pointee.managedPages + 1
    }

    /// `drain_local_pages(NULL)` on `cpu`: every populated zone in (node, zone index) order.
    func drainLocalPages(cpu: Int) {
        for position in 0..<populatedZoneCount { drainPagesZone(zones + populatedZones[position], cpu: cpu) }
    }

    /// `drain_all_pages(NULL)`: CPUs ascending.
    func drainAllPages() {
        for cpu in 0..<cpuCount { drainLocalPages(cpu: cpu) }
    }

    /// `refresh_cpu_vm_stats` → `decay_pcp_high` on each populated zone of `cpu` (6.18 form:
    /// one bulk free from pindex 0).
    func vmstatTick(cpu: Int) {
        for position in 0..<populatedZoneCount { decayPcpHigh(zones + populatedZones[position], cpu: cpu) }
    }

    /// `decay_pcp_high`: `high` shrinks by an eighth (or to `count − batch << 5`) towards
    /// `high_min`, and whatever exceeds it is drained.
    func decayPcpHigh(_ zone: Zone, cpu: Int) {
        let pcp = perCPUPages(zone, cpu)
        let highMin = pcp.pointee.highMin
        let batch = pcp.pointee.batch
        if pcp.pointee.high > highMin, !mutant(.pcpHighNoDecay) {
            let high = pcp.pointee.high
            pcp.pointee.high = max(pcp.pointee.count - (batch &<< pcpBatchScaleMax), high - (high >> 3), highMin)
        }
        let toDrain = pcp.pointee.count - pcp.pointee.high
        if toDrain > 0 { freePcppagesBulk(zone, cpu: cpu, count: toDrain, pindex: 0) }
    }
}
