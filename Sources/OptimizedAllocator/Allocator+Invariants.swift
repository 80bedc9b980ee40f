import BuddyVocabulary

extension SeamedPageAllocator {
    /// A full audit: every cached counter and bitmask against a recount of the lists and frames,
    /// every list entry against its frame, and the kernel's structural invariants. Returns one
    /// line per problem, naming zone, PFN, order, type, expected and found; empty when
    /// consistent. Slow (walks every page); for tests and checked runs only.
    @_spi(Testing)
    public func consistencyProblems() -> [String] {
        var problems: [String] = []
        for zoneIndex in 0..<zoneCount {
            let zone = zones + zoneIndex
            guard zone.pointee.coveredPages > 0 else { continue }
            problems += freeListProblems(zone)
            problems += coverageProblems(zone)
            problems += perCPUProblems(zone)
            problems += pageblockProblems(zone)
        }
        return problems
    }

    func freeListProblems(_ zone: Zone) -> [String] {
        var problems: [String] = []
        let name = "\(zone.pointee.id)"
        var freePages = 0, highatomicPages = 0, cmaPages = 0, blockPages = 0
        for order in 0..<orderCount {
            var blocks = 0
            for migratetype in 0..<MigrateIndex.count {
                let entries = zone.pointee.frames.indexes(of: zone.pointee.freeListSentinel(order: order, migratetype: migratetype), limit: zone.pointee.coveredPages + 1)
                let maskSays = !zone.pointee.freeListIsEmpty(order: order, migratetype: migratetype)
                if maskSays != !entries.isEmpty {
                    problems.append("\(name): mask of order \(order) type \(migratetype) says non-empty=\(maskSays), list has \(entries.count)")
                }
                for index in entries {
                    let frame = zone.pointee.frames[index]
                    let pfn = zone.pointee.pfn(index)
                    if frame.state != .buddy || Int(frame.order) != order || Int(frame.listType) != migratetype {
                        problems.append("\(name): pfn \(pfn) on free list order \(order) type \(migratetype) has state \(frame.state) order \(frame.order) listType \(frame.listType)")
                    }
                    if pfn & ((1 << order) - 1) != 0 { problems.append("\(name): pfn \(pfn) misaligned for order \(order)") }
                }
                blocks += entries.count
                let pages = entries.count << order
                if migratetype != MigrateIndex.isolate {
                    freePages += pages
                    if order >= pageblockOrder { blockPages += pages }
                }
                if migratetype == MigrateIndex.highatomic { highatomicPages += pages }
                if migratetype == MigrateIndex.cma { cmaPages += pages }
            }
            if blocks != zone.pointee.nrFree[order] {
                problems.append("\(name): nr_free[\(order)] is \(zone.pointee.nrFree[order]), lists hold \(blocks)")
            }
        }
        let counters = [("NR_FREE_PAGES", zone.pointee.nrFreePages, freePages), ("nr_free_highatomic", zone.pointee.nrFreeHighatomic, highatomicPages),
                        ("NR_FREE_CMA_PAGES", zone.pointee.nrFreeCMAPages, cmaPages), ("NR_FREE_PAGES_BLOCKS", zone.pointee.nrFreePagesBlocks, blockPages)]
        for (counter, cached, counted) in counters where cached != counted {
            problems.append("\(name): \(counter) is \(cached), lists hold \(counted)")
        }
        return problems
    }

    /// Every managed page lies in exactly one block; no free block has a free buddy of its
    /// order that it could have merged with (the sheet's invariant, widened: isolation moves
    /// leave isolated buddies unmerged).
    func coverageProblems(_ zone: Zone) -> [String] {
        var problems: [String] = []
        let name = "\(zone.pointee.id)"
        var cursor = 0
        while cursor < zone.pointee.coveredPages {
            let frame = zone.pointee.frames[UInt32(cursor)]
            let pfn = zone.pointee.pfn(UInt32(cursor))
            switch frame.state {
            case .unmanaged:
                cursor += 1
            case .tail:
                problems.append("\(name): pfn \(pfn) is managed but covered by no block")
                cursor += 1
            case .buddy, .perCPU, .allocated:
                let pages = 1 << Int(frame.order)
                if frame.state == .buddy, let problem = unmergedBuddyProblem(zone, pfn: pfn, order: Int(frame.order)) { problems.append(problem) }
                for inner in 1..<pages where cursor + inner < zone.pointee.coveredPages {
                    let state = zone.pointee.frames[UInt32(cursor + inner)].state
                    if state != .tail { problems.append("\(name): pfn \(pfn + inner) is \(state) inside the block \(pfn)/\(frame.order)") }
                }
                cursor += pages
            }
        }
        return problems
    }

    func unmergedBuddyProblem(_ zone: Zone, pfn: Int, order: Int) -> String? {
        guard order < maxOrder else { return nil }
        let buddyPfn = pfn ^ (1 << order)
        guard let buddy = zone.pointee.frameIndex(buddyPfn), zone.pointee.frames[buddy].state == .buddy,
              Int(zone.pointee.frames[buddy].order) == order else { return nil }
        if order >= pageblockOrder {
            let own = zone.pointee.pageblockMigratetype(pfn)
            let other = zone.pointee.pageblockMigratetype(buddyPfn)
            if own != other, !isMergeable(own) || !isMergeable(other) { return nil }
            // Isolating moves free blocks without merging them; two isolated buddies merge only
            // when freed into or un-isolated.
            if own == MigrateIndex.isolate || other == MigrateIndex.isolate { return nil }
        }
        return "\(zone.pointee.id): free blocks \(pfn)/\(order) and \(buddyPfn)/\(order) are buddies but did not merge"
    }

    func perCPUProblems(_ zone: Zone) -> [String] {
        var problems: [String] = []
        for cpu in 0..<cpuCount {
            var pages = 0
            for pindex in 0..<ZoneState.perCPUListCount {
                let order = pindexToOrder(pindex)
                for index in zone.pointee.frames.indexes(of: zone.pointee.perCPUListSentinel(cpu: cpu, pindex: pindex), limit: zone.pointee.coveredPages + 1) {
                    let frame = zone.pointee.frames[index]
                    if frame.state != .perCPU || Int(frame.order) != order {
                        problems.append("\(zone.pointee.id): pfn \(zone.pointee.pfn(index)) on cpu \(cpu) pcp list \(pindex) has state \(frame.state) order \(frame.order)")
                    }
                    pages += 1 << order
                }
            }
            let count = perCPUPages(zone, cpu).pointee.count
            if count != pages { problems.append("\(zone.pointee.id): cpu \(cpu) pcp count is \(count), lists hold \(pages)") }
        }
        return problems
    }

    /// Since 6.10 every free block sits on the list of its pageblock's type, and the highatomic
    /// reserve is a whole number of HIGHATOMIC pageblocks.
    func pageblockProblems(_ zone: Zone) -> [String] {
        var problems: [String] = []
        for order in 0..<orderCount {
            for migratetype in 0..<MigrateIndex.count {
                for index in zone.pointee.frames.indexes(of: zone.pointee.freeListSentinel(order: order, migratetype: migratetype), limit: zone.pointee.coveredPages + 1) {
                    let pfn = zone.pointee.pfn(index)
                    let blockType = zone.pointee.pageblockMigratetype(pfn)
                    if blockType != migratetype {
                        problems.append("\(zone.pointee.id): page type is \(blockType), passed migratetype is \(migratetype) (pfn \(pfn), order \(order))")
                    }
                }
            }
        }
        guard zone.pointee.spannedPages > 0 else { return problems }
        var highatomicBlocks = 0
        var block = zone.pointee.startPfn & ~(pageblockPages - 1)
        while block < zone.pointee.startPfn + zone.pointee.spannedPages {
            if zone.pointee.pageblockStoredType(block) == MigrateIndex.highatomic { highatomicBlocks += 1 }
            block += pageblockPages
        }
        if highatomicBlocks * pageblockPages != zone.pointee.nrReservedHighatomic {
            problems.append("\(zone.pointee.id): nr_reserved_highatomic is \(zone.pointee.nrReservedHighatomic), \(highatomicBlocks) HIGHATOMIC pageblocks")
        }
        return problems
    }
}
