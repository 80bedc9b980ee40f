import BuddyVocabulary

/// Dumps of allocator state for failure reports: a zone's counters, and every free block, pcp
/// page, allocated block and pageblock of the MAX_ORDER block around a PFN. Bounded, so a dump
/// stays readable on large profiles.
enum StateDump {
    static let entriesMax = 48

    static func zone(_ zone: ZoneView, around pfn: PFN?) -> String {
        var lines = [counters(zone)]
        guard let pfn else { return lines.joined(separator: "\n") }
        let start = max(pfn.alignedDown(Order(zone.profile.maxPageOrder)), zone.startPfn)
        let end = min(start.advanced(by: 1 << zone.profile.maxPageOrder), zone.endPfn)
        lines.append("  around \(pfn): pfn \(start)..<\(end)")
        lines.append("    pageblocks: " + pageblocks(zone, start, end))
        lines.append("    free blocks: " + listed(zone.freeBlocks.filter { overlaps($0.pfn, $0.order, start, end) }.sorted { $0.pfn < $1.pfn }.map { "\($0.pfn)/\($0.order) on \($0.list)" }))
        let buddy = zone.snapshot.buddyPages.filter { overlaps($0.pfn, $0.order, start, end) }
        lines.append("    PageBuddy pages: " + listed(buddy.map(\.description)))
        let pcp = zone.pcpBlocks.filter { overlaps($0.pfn, $0.order, start, end) }.sorted { $0.pfn < $1.pfn }
        lines.append("    pcp pages: " + listed(pcp.map { "\($0.pfn)/\($0.order) cpu \($0.cpu) list \($0.listIndex)" }))
        let allocated = zone.allocated.filter { overlaps($0.pfn, $0.order, start, end) }
        lines.append("    allocated: " + listed(allocated.map(describe)))
        return lines.joined(separator: "\n")
    }

    static func counters(_ zone: ZoneView) -> String {
        let snapshot = zone.snapshot
        let nrFree = snapshot.freeAreas.map { String($0.nrFree) }.joined(separator: " ")
        let pcpCounts = snapshot.pagesets.map { "cpu\($0.cpu)=\($0.count)" }.joined(separator: " ")
        return """
            zone \(snapshot.id): pfn \(snapshot.startPfn)..<\(snapshot.endPfn), managed \(snapshot.managedPages), \
            NR_FREE_PAGES \(snapshot.nrFreePages), NR_FREE_PAGES_BLOCKS \(snapshot.nrFreePagesBlocks), \
            nr_reserved_highatomic \(snapshot.nrReservedHighatomic), nr_free_highatomic \(snapshot.nrFreeHighatomic), \
            watermarks \(snapshot.watermarks.map(String.init).joined(separator: "/")) boost \(snapshot.watermarkBoost)
              nr_free by order: \(nrFree)
              pcp count: \(pcpCounts.isEmpty ? "none" : pcpCounts)
            """
    }

    static func describe(_ block: AllocatedBlock) -> String {
        "\(block.pfn)/\(block.order) refcount \(block.refcount)\(block.compound ? " compound" : "")"
    }

    static func pageblocks(_ zone: ZoneView, _ start: PFN, _ end: PFN) -> String {
        var parts: [String] = []
        var pfn = start.alignedDown(zone.pageblockOrder)
        while pfn < end {
            parts.append("\(pfn) \(zone.pageblock(of: pfn)?.description ?? "none")")
            pfn = pfn.advanced(by: zone.profile.pageblockPages)
        }
        return listed(parts)
    }

    static func overlaps(_ pfn: PFN, _ order: Order, _ start: PFN, _ end: PFN) -> Bool {
        pfn < end && pfn.advanced(by: order.pageCount) > start
    }

    static func listed(_ entries: [String]) -> String {
        if entries.isEmpty { return "none" }
        if entries.count <= entriesMax { return entries.joined(separator: ", ") }
        return entries.prefix(entriesMax).joined(separator: ", ") + ", … (\(entries.count - entriesMax) more)"
    }
}
