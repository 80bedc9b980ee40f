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
            check(block, zones, context.profile, &list)
            if let previous, previous >= block.pfn {
                list.add("unsorted", zone: zones.first { $0.contains(block.pfn) }, pfn: block.pfn, order: block.order,
                         expected: "allocated blocks by ascending PFN, once each", found: "\(block.pfn) after \(previous)")
            }
            previous = block.pfn
        }
        return list.violations
    }

    func check(_ block: AllocatedBlock, _ zones: [ZoneView], _ profile: Profile, _ list: inout ViolationList) {
        let broken = block.refcount < 1 || block.order.rawValue > profile.maxPageOrder || block.order.rawValue < 0
            || !block.pfn.isAligned(block.order) || (block.compound && block.order == .zero)
        guard broken else { return }
        let zone = zones.first { $0.contains(block.pfn) }
        let found = StateDump.describe(block)
        if block.refcount < 1 {
            list.add("refcount", zone: zone, pfn: block.pfn, order: block.order, expected: "refcount ≥ 1", found: found)
        }
        if block.order.rawValue > profile.maxPageOrder || block.order.rawValue < 0 {
            list.add("order-too-large", zone: zone, pfn: block.pfn, order: block.order,
                     expected: "order 0...\(profile.maxPageOrder)", found: found)
            return
        }
        if !block.pfn.isAligned(block.order) {
            list.add("misaligned", zone: zone, pfn: block.pfn, order: block.order,
                     expected: "head aligned to \(block.order.pageCount) pages", found: found)
        }
        if block.compound && block.order == .zero {
            list.add("compound-order-0", zone: zone, pfn: block.pfn, order: block.order,
                     expected: "compound only for order > 0", found: found)
        }
    }
}
