import BuddyVocabulary

/// PageBuddy marks exactly the heads of free buddy blocks, with their order.
///
/// Mirrors `set_buddy_order` / `__del_page_from_free_list` (a block on a free list has
/// PageBuddy and `page_private = order`; leaving the list clears both) and the `page_is_buddy`
/// expectations of `__free_one_page`: a page on a pcp list or handed out is never PageBuddy.
///
/// Rules: `not-buddy-head` (a listed block's head is not PageBuddy), `buddy-order-mismatch`
/// (PageBuddy with another order than the list's), `allocated-page-is-buddy`,
/// `pcp-page-is-buddy`, `stray-buddy-page` (PageBuddy on a page that heads no listed block).
public struct PageBuddyChecker: InvariantChecker {
    public init() {}
    public var name: String { "PageBuddyChecker" }

    public func check(_ snapshot: StateSnapshot, context: CheckContext) -> [InvariantViolation] {
        var list = ViolationList(checker: name, context: context)
        for zone in context.views(of: snapshot) where !list.isFull {
            check(zone, &list)
        }
        return list.violations
    }

    func check(_ zone: ZoneView, _ list: inout ViolationList) {
        var buddyOrder: [Int: Order] = [:]
        for page in zone.snapshot.buddyPages { buddyOrder[page.pfn.rawValue] = page.order }
        var listedHeads: [Int: Order] = [:]
        for block in zone.freeBlocks {
            listedHeads[block.pfn.rawValue] = block.order
            switch buddyOrder[block.pfn.rawValue] {
            case nil:
                list.add("not-buddy-head", zone: zone, pfn: block.pfn, order: block.order, migratetype: block.list,
                         expected: "PageBuddy with order \(block.order)", found: "not PageBuddy")
            case let order? where order != block.order:
                list.add("buddy-order-mismatch", zone: zone, pfn: block.pfn, order: block.order, migratetype: block.list,
                         expected: "buddy_order \(block.order)", found: "buddy_order \(order)")
            default: break
            }
        }
        for page in zone.snapshot.buddyPages where listedHeads[page.pfn.rawValue] == nil {
            let (rule, holder) = holder(of: page.pfn, in: zone)
            list.add(rule, zone: zone, pfn: page.pfn, order: page.order,
                     expected: "no PageBuddy (\(holder))", found: "PageBuddy order \(page.order)")
        }
    }

    /// What a stray PageBuddy page belongs to, for the rule name.
    func holder(of pfn: PFN, in zone: ZoneView) -> (rule: String, holder: String) {
        if let block = zone.allocated.first(where: { pfn >= $0.pfn && pfn < $0.pfn.advanced(by: $0.order.pageCount) }) {
            return ("allocated-page-is-buddy", "inside allocated block \(block.pfn)/\(block.order)")
        }
        if let block = zone.pcpBlocks.first(where: { pfn >= $0.pfn && pfn < $0.pfn.advanced(by: $0.order.pageCount) }) {
            return ("pcp-page-is-buddy", "on pcp list \(block.listIndex) of cpu \(block.cpu) in \(block.pfn)/\(block.order)")
        }
        return ("stray-buddy-page", "heads no block on a free list")
    }
}
