/// A fault that can be planted in the optimized allocator, to prove that the lockstep harness
/// notices when the two allocators disagree. Each one is a small, realistic slip in one rule,
/// most modelled on a bug the kernel really had or on the behaviour of an older kernel. Chosen
/// at boot of a `PlantedPageAllocator`, whose seam points test a bitmask; the shipped
/// `OptimizedPageAllocator` has its seam closed (`MutantSeamClosed`), and its specialization
/// of the rules contains no seam test at all.
public enum Mutant: Int, CaseIterable, Sendable {
    // MARK: Buddy merging (`__free_one_page`)

    /// At order ≥ pageblock_order, merge regardless of the buddy's pageblock type, so ISOLATE,
    /// HIGHATOMIC and CMA blocks merge with normal ones and their accounting goes wrong. The bug
    /// fixed by "mm/page_alloc: prevent merging between isolated and other pageblocks" (2016).
    case mergeIgnoresPageblockType = 0
    /// After merging with a buddy of another mergeable type, leave the buddy's pageblock type
    /// alone: a free block then covers pageblocks of two types, the tolerated mismatch of
    /// kernels before 6.10 ("freelist type == pageblock type").
    case mergeSkipsBuddyRetype
    /// Retype only the first pageblock of a merged buddy, as mainline did before the late-2025
    /// `change_pageblock_range` fix. Matters only when a buddy spans several pageblocks
    /// (`MAX_PAGE_ORDER` > pageblock_order + 1, as in the `tiny` profile).
    case mergeRetypesFirstPageblockOnly
    /// `buddy_merge_likely` probes the buddy at `order` instead of `order + 1`: blocks go to
    /// the wrong end of their list, which changes only which block a later allocation takes.
    case mergeLikelyWrongOrder

    // MARK: Splitting (`expand`, `split_large_buddy`)

    /// `expand` hands out the highest part of the split block and frees the lower halves, so
    /// every split allocation lands at another address. (Putting the halves at the list tail
    /// instead would be an equivalent mutant: `expand` only ever adds to empty lists.)
    case expandHandsOutUpperHalf
    /// `__rmqueue_steal` splits the stolen block onto the requester's lists instead of the
    /// fallback type's, so free pages sit on lists that disagree with their pageblock (the
    /// pre-6.10 `steal_suitable_fallback` leftovers).
    case stealExpandsIntoStartType
    /// `split_large_buddy` frees every piece with the first pageblock's type instead of each
    /// piece's own (a multi-pageblock free that ignores a HIGHATOMIC or ISOLATE neighbour).
    case splitLargeBuddyFirstType

    // MARK: Claiming and stealing

    /// `try_to_claim_block` claims only above half a pageblock (`>` instead of `>=`).
    case claimThresholdOffByOne
    /// `try_to_claim_block` ignores compatible pages (alike = 0): the rule before "mm,
    /// page_alloc: count movable pages when stealing from pageblock" (2017).
    case claimCountsFreeOnly
    /// `try_to_claim_block` moves the free pages but does not retype the pageblock.
    case claimSkipsRetype
    /// `__rmqueue_claim` scans from the smallest order up instead of the largest down.
    case claimScansAscending
    /// `rmqueue_bulk` forgets the `rmqueue_mode` between iterations (before 6.16's "speed up
    /// fallbacks in rmqueue_bulk()"); matters only after a steal within one pcp refill.
    case rmqueueModeNotCached

    // MARK: List moves and counters

    /// `move_to_free_list` moves the block but leaves the per-type free counters alone, like
    /// the accounting slips of the 6.10 `account_freepages` conversion.
    case moveSkipsAccounting

    // MARK: Highatomic reserve

    /// `reserve_highatomic_pageblock` ignores the 1% cap.
    case highatomicReserveUncapped
    /// `unreserve_highatomic_pageblock` converts a block without shrinking
    /// `nr_reserved_highatomic`.
    case unreserveKeepsCount
    /// `unreserve_highatomic_pageblock` converts to MOVABLE instead of the failing request's type.
    case unreserveToMovable

    // MARK: Per-CPU pagesets

    /// `nr_pcp_alloc` takes one block more than it computes.
    case pcpRefillOneMore
    /// `free_pcppages_bulk` spills the newest pages (list head) instead of the oldest (tail).
    case pcpSpillNewestFirst
    /// `free_pcppages_bulk` frees a page with the type of the pcp list it sat on instead of
    /// re-reading its pageblock: the pre-6.10 cached `get_pcppage_migratetype`, stale once the
    /// pageblock changed type while the page waited on the list.
    case pcpDrainStaleMigratetype
    /// A pcp refill adds the number of blocks, not pages, to `pcp->count`; only orders > 0 notice.
    case pcpCountIgnoresOrder
    /// `decay_pcp_high` never lowers `pcp->high`.
    case pcpHighNoDecay
    /// The `free_high` test ignores `PCPF_FREE_HIGH_BATCH`, as before 6.8.
    case pcpFreeHighIgnoresBatchFlag
    /// `free_count` is never capped at `batch << CONFIG_PCP_BATCH_SCALE_MAX`; matters only
    /// after thousands of frees without an allocation in between.
    case pcpFreeCountUncapped
    /// `alloc_factor` grows past `CONFIG_PCP_BATCH_SCALE_MAX`; matters only after six or more
    /// order-0 refills without a free in between.
    case pcpAllocFactorUncapped

    // MARK: Watermarks

    /// The watermark checks leave out `lowmem_reserve`.
    case watermarkIgnoresLowmemReserve
    /// The watermark checks subtract the reserved highatomic pages instead of the free ones,
    /// as kernels before 6.12 did.
    case watermarkSubtractsReservedHighatomic
    /// `ALLOC_NON_BLOCK` alone lowers the min watermark by a quarter (the pre-6.3
    /// `ALLOC_HARDER` reading), so GFP_NOWAIT dips into the min reserve.
    case watermarkNonBlockReduction
    /// Watermarks use the preferred zone as classzone instead of `ac->highest_zoneidx`, the bug
    /// fixed by "mm, page_alloc: use ac->high_zoneidx for classzone_idx" (2020).
    case classzoneIsPreferredZone
    /// `get_page_from_freelist` keeps `ALLOC_NOFRAGMENT` instead of retrying without it.
    case nofragmentKeptOnRetry

    // MARK: Boost and zone flags

    /// `try_to_claim_block` sets `ZONE_BOOSTED_WATERMARK` even without `ALLOC_KSWAPD`.
    case boostIgnoresKswapdFlag
    /// kswapd's balancing leaves `watermark_boost` in place.
    case kswapdKeepsBoost
    /// The free path never clears `ZONE_BELOW_HIGH`.
    case belowHighNeverCleared

    // MARK: Isolation

    /// Isolating a pageblock inside a larger free buddy does not split the buddy first: the
    /// whole buddy stays on its list, the bug the 6.10 "hygienic freelists" series fixed. Matters
    /// only when a free buddy spans several pageblocks.
    case isolateSkipsLargeBuddySplit
    /// Free pages moved onto the ISOLATE lists stay counted in `NR_FREE_PAGES`.
    case isolationKeepsFreeAccounting

    // MARK: References and `__free_pages`

    /// `___free_pages` frees the tail halves with `while (order-- > 1)`, leaking the last page.
    case freeTailsSkipsOrderZero
    /// `put_page` of a non-compound high-order page frees only its first page, the leak the
    /// model deliberately does not reproduce.
    case putPageFreesOrderZero

    @usableFromInline var bit: UInt64 { 1 << UInt64(rawValue) }

    /// The mutant's command-line name.
    public var name: String {
        let camel = String(describing: self)
        var name = ""
        for character in camel {
            if character.isUppercase { name += "-" + character.lowercased() } else { name.append(character) }
        }
        return name
    }

    public init?(name: String) {
        guard let mutant = Mutant.allCases.first(where: { $0.name == name }) else { return nil }
        self = mutant
    }
}

/// The faults planted at boot of a `PlantedPageAllocator`; empty by default, and then every
/// seam point is a branch that is never taken.
public struct MutantSet: OptionSet, Sendable, Hashable {
    public var rawValue: UInt64
    public init(rawValue: UInt64) { self.rawValue = rawValue }
    public init(_ mutants: [Mutant]) { rawValue = mutants.reduce(0) { $0 | $1.bit } }

    public func contains(_ mutant: Mutant) -> Bool { rawValue & mutant.bit != 0 }

    /// The planted mutants, in declaration order.
    public var mutants: [Mutant] { Mutant.allCases.filter { contains($0) } }
}

/// Whether an allocator's seam points test the planted mask at all: a type, so that the
/// compiler specializes the rules for each and folds every seam test away when it is closed.
public protocol MutantSeam {
    static var isOpen: Bool { get }
}

/// The shipped allocator's seam: no mutant can be planted, and no seam test is compiled.
public enum MutantSeamClosed: MutantSeam {
    @inline(__always) public static var isOpen: Bool { false }
}

/// A planted allocator's seam: each seam point tests the mask chosen at boot.
public enum MutantSeamOpen: MutantSeam {
    @inline(__always) public static var isOpen: Bool { true }
}
