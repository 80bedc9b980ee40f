import BuddyVocabulary

/// Every allocated block holds at least one reference and consistent compound metadata.
///
/// Mirrors `prep_new_page` (refcount 1, `prep_compound_page` only for `__GFP_COMP` and
/// order > 0), the `put_page_testzero` underflow check (a block that is still allocated has
/// refcount ≥ 1), `free_pages_prepare`'s compound checks, and `split_page` (order-0 pieces).
///
/// Rules: `refcount`, `misaligned`, `order-too-large`, `compound-order-0`, `unsorted` (the
/// snapshot lists allocated blocks by PFN, once each).
public struct ReferencesChecker: InvariantChecker {
    public init() {}
    public var name: String { "ReferencesChecker" }

    public func check(_ snapshot: StateSnapshot, context: CheckContext) -> [InvariantViolation] {
        var list = ViolationList(checker: name, context: context)
        let zones = context.views(of: snapshot)
        var previous: PFN?
        for block in snapshot.allocated where !list.isFull {
            // The zone and the block's description are looked up only for a violation: a full
            // check walks every allocated block, and formatting each one would dominate it.
            let zone = { zones.first { $0.contains(block.pfn) } }
            check(block, zone, context.profile, &list)
            if let previous, previous >= block.pfn {
                list.add("unsorted", zone: zone(), pfn: block.pfn, order: block.order,
                         expected: "allocated blocks by ascending PFN, once each", found: "\(block.pfn) after \(previous)")
            }
            previous = block.pfn
        }
        return list.violations
    }

    func check(_ block: AllocatedBlock, _ zone: () -> ZoneView?, _ profile: Profile, _ list: inout ViolationList) {
        func add(_ rule: String, expected: String) {
            list.add(rule, zone: zone(), pfn: block.pfn, order: block.order, expected: expected, found: StateDump.describe(block))
        }
        if block.refcount < 1 { add("refcount", expected: "refcount ≥ 1") }
        if block.order.rawValue > profile.maxPageOrder || block.order.rawValue < 0 {
            add("order-too-large", expected: "order 0...\(profile.maxPageOrder)")
            return
        }
        if !block.pfn.isAligned(block.order) { add("misaligned", expected: "head aligned to \(block.order.pageCount) pages") }
        if block.compound && block.order == .zero { add("compound-order-0", expected: "compound only for order > 0") }
    }
}
