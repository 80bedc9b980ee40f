import BuddyVocabulary

/// Blocks are aligned to their order and inside one zone; free blocks, pcp pages, allocated
/// blocks and reserved pages partition the present pages of every zone; and no two free buddies
/// that the kernel would have merged are left apart.
///
/// The merge rule, from `__free_one_page` and `page_is_buddy`: a freed block merges with its
/// buddy while the buddy is PageBuddy of the same order in the same zone; at order ≥
/// `pageblock_order` it stops when the two pageblocks' types differ and either is not
/// mergeable (`migratetype_is_mergeable`: HIGHATOMIC, CMA, ISOLATE). So in any state:
/// - below `pageblock_order` both buddies lie in one pageblock, share a list type, and are
///   never both free blocks;
/// - at `pageblock_order` or above they may both be free across such a type boundary; when
///   either pageblock is isolated (isolation moves the free blocks of a pageblock to the
///   ISOLATE list without merging them, `__move_freepages_block_isolate`, so two isolated
///   buddies can sit unmerged on the same list); or after `unreserve_highatomic_pageblock`,
///   which retypes a free block without merging it (allowed once
///   `CheckContext.highatomicReserveSeen`). Un-isolation re-merges (`unset_migratetype_isolate`
///   puts a free block of pageblock order whose buddy is free and not isolated back through
///   `__free_one_page`), so an isolation boundary that is gone explains nothing.
/// - a page on a pcp list is not PageBuddy: a free block whose buddy is on a pcp list is not a
///   pair, and the pcp page merges when it is drained.
/// Buddies in different zones never merge (`page_is_buddy` compares zones), and a free block's
/// buddy is looked up only in its own zone.
///
/// Rules: `misaligned`, `order-too-large`, `outside-zone`, `on-hole`, `overlap`, `uncovered`,
/// `unmerged-buddies`.
public struct OrderChecker: InvariantChecker {
    public init() {}
    public var name: String { "OrderChecker" }

    public func check(_ snapshot: StateSnapshot, context: CheckContext) -> [InvariantViolation] {
        var list = ViolationList(checker: name, context: context)
        let zones = context.views(of: snapshot)
        checkAllocatedInsideZones(snapshot, zones, &list)
        for zone in zones where !list.isFull {
            checkCoverage(zone, &list)
            checkMerged(zone, context, &list)
        }
        return list.violations
    }

    /// Every allocated block lies wholly inside the span of the zone holding its head.
    func checkAllocatedInsideZones(_ snapshot: StateSnapshot, _ zones: [ZoneView], _ list: inout ViolationList) {
        for block in snapshot.allocated where !zones.contains(where: { $0.contains(block.pfn, order: block.order) }) {
            let zone = zones.first { $0.contains(block.pfn) }
            list.add("outside-zone", zone: zone, pfn: block.pfn, order: block.order,
                     expected: "allocated block inside one zone", found: "block \(block.pfn)/\(block.order) crosses a zone boundary or lies outside every zone")
        }
    }

    /// Who holds each page of the span while the partition is built.
    enum Holder: UInt8 {
        case nobody, hole, reserved, free, pcp, allocated
        var name: String {
            switch self {
            case .nobody: "nobody"
            case .hole: "a hole"
            case .reserved: "a reserved page"
            case .free: "a free block"
            case .pcp: "a pcp list"
            case .allocated: "an allocated block"
            }
        }
    }

    func checkCoverage(_ zone: ZoneView, _ list: inout ViolationList) {
        let span = zone.snapshot.spannedPages
        var holders = [Holder](repeating: .nobody, count: span)
        var heads = [Int](repeating: -1, count: span)
        for range in zone.holes { mark(range, .hole, zone, &holders) }
        for range in zone.reserved { mark(range, .reserved, zone, &holders) }
        for block in zone.freeBlocks { claim(block.pfn, block.order, .free, zone, &holders, &heads, &list) }
        for block in zone.pcpBlocks { claim(block.pfn, block.order, .pcp, zone, &holders, &heads, &list) }
        for block in zone.allocated { claim(block.pfn, block.order, .allocated, zone, &holders, &heads, &list) }
        if let offset = holders.firstIndex(of: .nobody) {
            let missing = holders.lazy.filter { $0 == .nobody }.count
            list.add("uncovered", zone: zone, pfn: zone.startPfn.advanced(by: offset),
                     expected: "every present page free, on a pcp list, allocated or reserved",
                     found: "\(missing) page(s) held by nothing, the first at \(zone.startPfn.advanced(by: offset))")
        }
    }

    func mark(_ range: Profile.PFNRange, _ holder: Holder, _ zone: ZoneView, _ holders: inout [Holder]) {
        let start = max(range.start - zone.startPfn.rawValue, 0)
        let end = min(range.end - zone.startPfn.rawValue, holders.count)
        guard start < end else { return }
        for offset in start..<end { holders[offset] = holder }
    }

    func claim(
        _ pfn: PFN, _ order: Order, _ holder: Holder, _ zone: ZoneView,
        _ holders: inout [Holder], _ heads: inout [Int], _ list: inout ViolationList
    ) {
        guard checkShape(pfn, order, holder, zone, &list) else { return }
        let first = zone.startPfn.distance(to: pfn)
        for offset in first..<(first + order.pageCount) {
            let previous = holders[offset]
            guard previous == .nobody else {
                reportClash(pfn, order, holder, previous, at: offset, heads: heads, zone, &list)
                return
            }
            holders[offset] = holder
            heads[offset] = pfn.rawValue
        }
    }

    /// Alignment, order and zone span of one block; false if the block cannot be laid out.
    func checkShape(_ pfn: PFN, _ order: Order, _ holder: Holder, _ zone: ZoneView, _ list: inout ViolationList) -> Bool {
        if order.rawValue > zone.profile.maxPageOrder || order.rawValue < 0 {
            list.add("order-too-large", zone: zone, pfn: pfn, order: order,
                     expected: "order 0...\(zone.profile.maxPageOrder)", found: "\(holder.name) of order \(order)")
            return false
        }
        if !pfn.isAligned(order) {
            list.add("misaligned", zone: zone, pfn: pfn, order: order,
                     expected: "pfn aligned to \(order.pageCount) pages", found: "\(holder.name) at \(pfn)")
        }
        if !zone.contains(pfn, order: order) {
            list.add("outside-zone", zone: zone, pfn: pfn, order: order,
                     expected: "inside \(zone.startPfn)..<\(zone.endPfn)", found: "\(holder.name) \(pfn)/\(order)")
            return false
        }
        return true
    }

    func reportClash(
        _ pfn: PFN, _ order: Order, _ holder: Holder, _ previous: Holder, at offset: Int,
        heads: [Int], _ zone: ZoneView, _ list: inout ViolationList
    ) {
        let page = zone.startPfn.advanced(by: offset)
        if previous == .hole || previous == .reserved {
            list.add("on-hole", zone: zone, pfn: pfn, order: order,
                     expected: "no block on holes or reserved pages", found: "\(holder.name) \(pfn)/\(order) covers \(previous.name) at \(page)")
        } else {
            list.add("overlap", zone: zone, pfn: pfn, order: order,
                     expected: "each page held once",
                     found: "\(holder.name) \(pfn)/\(order) and \(previous.name) at \(PFN(heads[offset])) both hold \(page)")
        }
    }

    func checkMerged(_ zone: ZoneView, _ context: CheckContext, _ list: inout ViolationList) {
        var freeOrder: [Int: Order] = [:]
        for block in zone.freeBlocks { freeOrder[block.pfn.rawValue] = block.order }
        for block in zone.freeBlocks where block.order.rawValue < zone.profile.maxPageOrder {
            let buddy = block.pfn.buddy(atOrder: block.order)
            guard block.pfn < buddy, freeOrder[buddy.rawValue] == block.order else { continue }
            if mayStayUnmerged(block, buddy, zone, context) { continue }
            list.add("unmerged-buddies", zone: zone, pfn: block.pfn, order: block.order, migratetype: block.list,
                     expected: "buddies \(block.pfn) and \(buddy) of order \(block.order) merged",
                     found: "both free: \(block.pfn) \(zone.pageblock(of: block.pfn)?.description ?? "?"), \(buddy) \(zone.pageblock(of: buddy)?.description ?? "?")")
        }
    }

    func mayStayUnmerged(_ block: ListedBlock, _ buddy: PFN, _ zone: ZoneView, _ context: CheckContext) -> Bool {
        guard block.order >= zone.pageblockOrder else { return false }
        if context.highatomicReserveSeen { return true }
        guard let mine = zone.pageblock(of: block.pfn)?.effectiveType,
              let theirs = zone.pageblock(of: buddy)?.effectiveType else { return false }
        if mine == .isolate || theirs == .isolate { return true }
        return mine != theirs && (!mine.isMergeable || !theirs.isMergeable)
    }
}
