import BuddyVocabulary

/// `CONFIG_PCP_BATCH_SCALE_MAX` (default 5).
let pcpBatchScaleMax = 5
/// `NR_LOWORDER_PCP_LISTS`: `MIGRATE_PCPTYPES * (PAGE_ALLOC_COSTLY_ORDER + 1)`.
let lowOrderPcpListCount = Migratetype.pcpTypeCount * (Order.costly.rawValue + 1)

extension ReferencePageAllocator {
    // MARK: - List index

    /// `order_to_pindex`: `3 * order + type` for orders up to 3; the two THP lists hold
    /// `HPAGE_PMD_ORDER` blocks, MOVABLE and the rest.
    func orderToPindex(_ migratetype: Migratetype, order: Int) -> Int {
        if order > Order.costly.rawValue {
            precondition(order == profile.pmdOrder, "order_to_pindex: order \(order) is not a pcp order")
            return lowOrderPcpListCount + (migratetype == .movable ? 1 : 0)
        }
        return Migratetype.pcpTypeCount * order + migratetype.rawValue
    }

    /// `pindex_to_order`
    func pindexToOrder(_ pindex: Int) -> Int {
        pindex >= lowOrderPcpListCount ? profile.pmdOrder : pindex / Migratetype.pcpTypeCount
    }

    // MARK: - Allocation side

    /// `rmqueue_pcplist` + `__rmqueue_pcplist`: halves `free_count`, refills an empty list with
    /// `nr_pcp_alloc` blocks in one `rmqueue_bulk`, then takes the list's head.
    func rmqueuePcplist(cpu: CPUID, _ zone: Zone, order: Int, _ migratetype: Migratetype, flags: AllocFlags) -> PFN? {
        let pcp = zone.pagesets[cpu.rawValue]
        pcp.freeCount >>= 1
        let pindex = orderToPindex(migratetype, order: order)
        if pcp.lists[pindex].isEmpty {
            let batch = nrPcpAlloc(pcp, zone, order: order)
            let allocated = rmqueueBulk(zone, order: order, count: batch, pcp, pindex: pindex, migratetype, flags: flags)
            pcp.count += allocated << order
            if pcp.lists[pindex].isEmpty { return nil }
        }
        let page = pcp.lists[pindex].removeFirst()
        pcp.count -= 1 << order
        zone[page] = .tail
        return page
    }

    /// `nr_pcp_alloc`: how many blocks of `order` to move to the pcp. Clamps `high`; grows it
    /// toward `high_max` while the zone is not below its high watermark; order-0 refills double
    /// (`alloc_factor`) with each refill not separated by a free, bounded by the room left
    /// under `high`; higher orders take one batch's worth of pages.
    func nrPcpAlloc(_ pcp: PerCPUPages, _ zone: Zone, order: Int) -> Int {
        let baseBatch = pcp.batch
        pcp.high = KernelArithmetic.clamp(pcp.high, pcp.highMin, pcp.highMax)
        var high = pcp.high
        if high < baseBatch { return 1 }
        var batch = order > 0 ? baseBatch : baseBatch << pcp.allocFactor
        if pcp.highMin != pcp.highMax && !zone.flags.contains(.belowHigh) {
            pcp.high = min(high + batch, pcp.highMax)
            high = pcp.high
        }
        if order == 0 {
            let maxNrAlloc = max(high - pcp.count - baseBatch, baseBatch)
            if batch <= maxNrAlloc && pcp.allocFactor < pcpBatchScaleMax {
                pcp.allocFactor += 1
            }
            batch = min(batch, maxNrAlloc)
        }
        if batch > 1 {
            batch = max(batch >> order, 2)
        }
        return batch
    }

    /// `rmqueue_bulk`: up to `count` blocks from `__rmqueue` under one zone-lock hold, keeping
    /// the `rmqueue_mode` between them, each appended to the list's **tail** so the refill is
    /// consumed in the order the buddy handed it out. Returns the number of blocks.
    func rmqueueBulk(_ zone: Zone, order: Int, count: Int, _ pcp: PerCPUPages, pindex: Int,
                     _ migratetype: Migratetype, flags: AllocFlags) -> Int {
        var mode = RmqueueMode.normal
        var allocated = 0
        while allocated < count {
            guard let page = rmqueue(zone, order: order, migratetype, flags: flags, mode: &mode) else { break }
            zone[page] = .onPCPList(order: order)
            pcp.lists[pindex].append(page)
            allocated += 1
        }
        return allocated
    }

    // MARK: - Free side

    /// `free_frozen_page_commit` (6.18): links the block at the head of its pcp list; tracks
    /// runs of high-order frees (`free_high`, `PCPF_PREV_FREE_HIGH_ORDER`) and `free_count`;
    /// when the list reaches `nr_pcp_high`, one `free_pcppages_bulk` of `nr_pcp_free` pages
    /// starting at this list; then clears `ZONE_BELOW_HIGH` once the zone is back above its
    /// high watermark (checked against `lowmem_reserve[ZONE_MOVABLE]`).
    func freeFrozenPageCommit(_ zone: Zone, _ pcp: PerCPUPages, _ page: PFN, _ migratetype: Migratetype, order: Int) {
        pcp.allocFactor >>= 1
        let pindex = orderToPindex(migratetype, order: order)
        zone[page] = .onPCPList(order: order)
        pcp.lists[pindex].insert(page, at: 0)
        pcp.count += 1 << order
        let batch = pcp.batch
        var freeHigh = false
        if order > 0 && order <= Order.costly.rawValue {
            freeHigh = pcp.freeCount >= batch + pcp.highMin / 2
                && pcp.flags & PagesetSnapshot.flagPrevFreeHighOrder != 0
                && (pcp.flags & PagesetSnapshot.flagFreeHighBatch == 0 || pcp.count >= batch)
            pcp.flags |= PagesetSnapshot.flagPrevFreeHighOrder
        } else if pcp.flags & PagesetSnapshot.flagPrevFreeHighOrder != 0 {
            pcp.flags &= ~PagesetSnapshot.flagPrevFreeHighOrder
        }
        if pcp.freeCount < batch << pcpBatchScaleMax {
            pcp.freeCount += 1 << order
        }
        let high = nrPcpHigh(pcp, zone, batch: batch, freeHigh: freeHigh)
        guard pcp.count >= high else { return }
        freePcppagesBulk(zone, count: nrPcpFree(pcp, batch: batch, high: high, freeHigh: freeHigh), pcp, pindex: pindex)
        if zone.flags.contains(.belowHigh)
            && zoneWatermarkOk(zone, order: 0, mark: highWmarkPages(zone), highestZoneIndex: ZoneType.movable.rawValue, flags: []) {
            zone.flags.remove(.belowHigh)
        }
    }

    /// `nr_pcp_high`: the count at which a free spills to the buddy, adjusting `pcp->high` on
    /// the way: a high-order free run drops it by `batch << 5` and spills now (0); under
    /// reclaim or below the high watermark it shrinks by the recent frees; otherwise, when the
    /// list is full, it grows to hold the recent frees plus a batch.
    func nrPcpHigh(_ pcp: PerCPUPages, _ zone: Zone, batch: Int, freeHigh: Bool) -> Int {
        let highMin = pcp.highMin
        let highMax = pcp.highMax
        pcp.high = KernelArithmetic.clamp(pcp.high, highMin, highMax)
        var high = pcp.high
        if high == 0 { return 0 }
        if freeHigh {
            pcp.high = max(high - (batch << pcpBatchScaleMax), highMin)
            return 0
        }
        if zone.flags.contains(.reclaimActive) {
            let freeCount = max(pcp.freeCount, batch)
            pcp.high = max(high - freeCount, highMin)
            return min(batch << 2, pcp.high)
        }
        if highMin == highMax { return high }
        if zone.flags.contains(.belowHigh) {
            let freeCount = max(pcp.freeCount, batch)
            pcp.high = max(high - freeCount, highMin)
            high = max(pcp.count, highMin)
        } else if pcp.count >= high {
            let needHigh = pcp.freeCount + batch
            if pcp.high < needHigh {
                pcp.high = KernelArithmetic.clamp(needHigh, highMin, highMax)
            }
        }
        return high
    }

    /// `nr_pcp_free`: how many pages a spill frees: everything up to `batch << 5` for a
    /// high-order free run, 1 when the pcp is disabled, else `free_count` clamped to
    /// `[batch, high - batch]` (leaving at least a batch on the list).
    func nrPcpFree(_ pcp: PerCPUPages, batch: Int, high: Int, freeHigh: Bool) -> Int {
        if freeHigh { return min(pcp.count, batch << pcpBatchScaleMax) }
        if high < batch { return 1 }
        return KernelArithmetic.clamp(pcp.freeCount, batch, high - batch)
    }

    /// `free_pcppages_bulk`: frees at least `count` pages (whole blocks, so it may overshoot)
    /// from the pcp to the buddy, starting at list `pindex` and going round-robin upward
    /// through the non-empty lists, taking each list's **tail** (oldest) entries until it is
    /// empty or the count is reached. Each block is freed with its pageblock's current type and
    /// emits `mm_page_pcpu_drain`.
    func freePcppagesBulk(_ zone: Zone, count requested: Int, _ pcp: PerCPUPages, pindex startPindex: Int) {
        var count = min(pcp.count, requested)
        var pindex = startPindex - 1
        while count > 0 {
            var listsTried = 0
            repeat {
                pindex += 1
                if pindex > PagesetSnapshot.listCount - 1 { pindex = 0 }
                listsTried += 1
                precondition(listsTried <= PagesetSnapshot.listCount, "free_pcppages_bulk: count \(pcp.count) but every list is empty")
            } while pcp.lists[pindex].isEmpty
            let order = pindexToOrder(pindex)
            let pages = 1 << order
            repeat {
                let page = pcp.lists[pindex].removeLast()
                let migratetype = pageblockMigratetype(zone, page)
                count -= pages
                pcp.count -= pages
                zone[page] = .tail
                freeOneBuddy(zone, page, order: order, migratetype, toTail: false)
                emit(.pagePcpuDrain(pfn: page, order: Order(order), migratetype: migratetype))
            } while count > 0 && !pcp.lists[pindex].isEmpty
        }
    }

    // MARK: - Drains and decay

    /// `drain_pages_zone`: empties the CPU's pcp of the zone in rounds of at most
    /// `batch << 5` pages, each from list 0.
    func drainPagesZone(cpu: CPUID, _ zone: Zone) {
        let pcp = zone.pagesets[cpu.rawValue]
        var count: Int
        repeat {
            count = pcp.count
            if count > 0 {
                let toDrain = min(count, pcp.batch << pcpBatchScaleMax)
                freePcppagesBulk(zone, count: toDrain, pcp, pindex: 0)
                count -= toDrain
            }
        } while count > 0
    }

    /// `drain_local_pages(NULL)` on `cpu`: every populated zone, in (node, zone index) order.
    func drainLocalPages(cpu: CPUID) {
        for zone in zones where zone.isPopulated {
            drainPagesZone(cpu: cpu, zone)
        }
    }

    /// `drain_all_pages(NULL)`: every CPU in ascending order, as `drain_local_pages`.
    func drainAllPages() {
        for cpu in 0..<profile.cpus {
            drainLocalPages(cpu: CPUID(cpu))
        }
    }

    /// `refresh_cpu_vm_stats` on `cpu`, pageset part: `decay_pcp_high` for the CPU's pcp of
    /// every populated zone in (node, zone index) order. Remote-node expiry
    /// (`drain_zone_pages`) is not modelled.
    func refreshCPUVMStats(cpu: CPUID) {
        for zone in zones where zone.isPopulated {
            decayPcpHigh(zone, zone.pagesets[cpu.rawValue])
        }
    }

    /// `decay_pcp_high` (6.18): lower `high` toward `high_min` by an eighth (but no lower than
    /// `count - (batch << 5)`), then free what is above it in one bulk free from list 0.
    func decayPcpHigh(_ zone: Zone, _ pcp: PerCPUPages) {
        if pcp.high > pcp.highMin {
            pcp.high = max(pcp.count - (pcp.batch << pcpBatchScaleMax), pcp.high - (pcp.high >> 3), pcp.highMin)
        }
        let toDrain = pcp.count - pcp.high
        if toDrain > 0 {
            freePcppagesBulk(zone, count: toDrain, pcp, pindex: 0)
        }
    }
}
