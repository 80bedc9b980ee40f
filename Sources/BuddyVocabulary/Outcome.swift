/// The result of one operation, compared between the allocators after every step.
public enum Outcome: Hashable, Sendable, Codable {
    /// An allocation succeeded; `pfn` is the first page of the block.
    case allocated(pfn: PFN)
    /// An allocation failed (no reclaim or compaction is modelled: this is a result, not an error).
    case allocationFailed
    /// The operation was carried out. `pagesFreed` is the number of pages that left the caller's
    /// hands into the allocator (pcp or buddy) by this operation: 0 for a reference drop that was
    /// not the last, for `get_page`, `split_page` and the zone-wide operations.
    case completed(pagesFreed: Int)
    /// The operation was refused and the state is exactly as before.
    case rejected(Rejection)
}

/// Why an operation was refused. Bad frees carry the check the kernel would trip.
public struct Rejection: Hashable, Sendable, Codable, CustomStringConvertible {
    public var reason: RejectionReason
    public var pfn: PFN?
    public init(_ reason: RejectionReason, pfn: PFN?) {
        self.reason = reason
        self.pfn = pfn
    }
    public var description: String {
        if let pfn { return "\(reason.kernelMessage) (pfn \(pfn))" }
        return reason.kernelMessage
    }
}

/// The refusals an operation can meet, each named after the kernel check it mirrors.
public enum RejectionReason: String, CaseIterable, Hashable, Sendable, Codable {
    /// Freeing or referencing a page that is free (in the buddy or on a pcp list): the
    /// `put_page_testzero` underflow check (`VM_BUG_ON_PAGE(page_ref_count(page) == 0)`).
    case doubleFree = "double-free"
    /// The pfn is inside a live non-compound allocation but is not its head: its refcount is 0.
    case refcountUnderflow = "refcount-underflow"
    /// The pfn is a tail page of a compound page (`free_pages_prepare`: `PageTail`).
    case tailPage = "tail-page"
    /// The order given does not match the allocation (`compound_order(page) != order`).
    case wrongOrder = "wrong-order"
    /// The pfn is not the head of a live allocation: a reserved page, a hole, or outside every zone.
    case notHead = "not-head"
    /// `split_page` on a compound page (`VM_BUG_ON_PAGE(PageCompound(page))`).
    case splitCompound = "split-compound"
    /// An order above `MAX_PAGE_ORDER` (`WARN_ON_ONCE(order > MAX_PAGE_ORDER)`).
    case orderTooLarge = "order-too-large"
    /// A CPU or node number the profile does not have.
    case noSuchCPUOrNode = "no-such-cpu-or-node"
    /// Isolating an isolated pageblock, or un-isolating one that is not isolated.
    case isolationState = "isolation-state"
    /// Isolating a pageblock that is not wholly inside one zone, or outside every zone.
    case pageblockOutsideZone = "pageblock-outside-zone"
    /// A sysctl value outside the range the kernel's handler accepts (`proc_dointvec_minmax`).
    case sysctlOutOfRange = "sysctl-out-of-range"
    /// A gfp mask a debug kernel traps on: two of `__GFP_DMA`, `__GFP_DMA32`, `__GFP_HIGHMEM`
    /// (`GFP_ZONE_BAD` in `gfp_zone`), or `__GFP_MOVABLE` with `__GFP_RECLAIMABLE`
    /// (`gfp_migratetype`, which would yield MIGRATE_HIGHATOMIC).
    case invalidGFP = "invalid-gfp"

    /// The message the kernel prints for this check (or the nearest equivalent).
    public var kernelMessage: String {
        switch self {
        case .doubleFree: "VM_BUG_ON_PAGE(page_ref_count(page) == 0): page already free"
        case .refcountUnderflow: "VM_BUG_ON_PAGE(page_ref_count(page) == 0): not the head of a live allocation"
        case .tailPage: "VM_BUG_ON_PAGE(PageTail(page)): tail page of a compound page"
        case .wrongOrder: "VM_BUG_ON_PAGE(compound_order(page) != order): wrong order"
        case .notHead: "bad_page: page is reserved, in a hole, or outside every zone"
        case .splitCompound: "VM_BUG_ON_PAGE(PageCompound(page)): split_page on a compound page"
        case .orderTooLarge: "WARN_ON_ONCE(order > MAX_PAGE_ORDER)"
        case .noSuchCPUOrNode: "no such CPU or node"
        case .isolationState: "WARN: pageblock already in that isolation state"
        case .pageblockOutsideZone: "pageblock not wholly inside one zone"
        case .sysctlOutOfRange: "EINVAL: sysctl value out of range"
        case .invalidGFP: "VM_BUG_ON(GFP_ZONE_BAD) / VM_WARN_ON(GFP_MOVABLE_MASK): invalid gfp mask"
        }
    }
}
