import BuddyVocabulary

/// A block the harness holds, as a kernel caller would track it.
public struct LiveAllocation: Hashable, Sendable {
    public var pfn: PFN
    public var order: Order
    public var compound: Bool
    /// References the harness holds (`page_ref_count` of the head).
    public var references: Int
    /// Whether the block ever held more than one reference (for the planted divergence).
    public var wasShared = false
}

/// One program operation resolved to concrete calls. Most operations are one call;
/// `free_extra_ref` is two, an isolation range one per pageblock; an operation with nothing to
/// act on is none.
struct ResolvedStep {
    var first: Operation?
    var second: Operation?
    /// Calls after the second; nil for every step but an isolation range.
    var more: [Operation]?
    /// The live allocation the calls act on, when known before the call.
    var allocationIndex: Int?
    /// The planted divergence's condition holds for this step (see `LockstepConfiguration`).
    var plantedCondition = false

    static let none = ResolvedStep(first: nil, second: nil, allocationIndex: nil)

    var operations: [Operation] { [first, second].compactMap { $0 } + (more ?? []) }

    init(first: Operation?, second: Operation?, allocationIndex: Int?) {
        self.first = first
        self.second = second
        self.allocationIndex = allocationIndex
    }

    /// Several calls in order.
    init(calls: [Operation]) {
        first = calls.first
        second = calls.dropFirst().first
        more = calls.count > 2 ? Array(calls.dropFirst(2)) : nil
        allocationIndex = nil
    }
}

/// What went wrong between the harness's bookkeeping and an allocator's outcome.
struct BookkeepingProblem: Error {
    var rule: String
    var expected: String
    var found: String
}

/// The caller side of the run: the live allocations with their references, the recently freed
/// blocks, and the isolated pageblocks, updated from the outcomes of the reference allocator
/// (or the audited one) by the rules of the pinned decisions (`__free_pages`, `put_page`,
/// `get_page`, `split_page`).
///
/// Live allocations form one array, appended on allocation and removed by swapping in the last
/// element: the order depends on the operations alone, so `#k` always means the same block for
/// the same program.
struct UserState {
    let profile: Profile
    /// The isolation ranges: the pageblocks of one zone inside one MAX_ORDER-aligned block,
    /// first PFNs ascending, zones in (node, zone index) order.
    let isolationRanges: [[PFN]]
    /// PFNs no free may name: holes, reserved pages, gaps between zones, past the last zone.
    let badRanges: [Profile.PFNRange]
    let badPageCount: Int

    private(set) var live: [LiveAllocation] = []
    private(set) var recentlyFreed: [FreeBlock] = []
    /// The isolated pageblocks, for membership tests only: never iterated, so no decision
    /// depends on a `Set`'s order.
    private(set) var isolated: Set<PFN> = []
    /// How many pageblocks of each isolation range are isolated now.
    private var isolatedPerRange: [Int]
    /// Where each zone's isolation ranges lie, to find a pageblock's ranges by arithmetic.
    let isolationSegments: [IsolationSegment]
    private(set) var highatomicReserveSeen = false
    /// The PFNs of every zone's span, from the lowest to the highest.
    let pfnSpan: Range<Int>
    /// Scratch table for `matches`: live index + 1 by PFN offset, all zero between uses.
    private var liveByPFN: [UInt32] = []

    static let recentlyFreedCapacity = 16

    init(profile: Profile) {
        self.profile = profile
        (isolationRanges, isolationSegments) = UserState.isolationLayout(profile)
        isolatedPerRange = Array(repeating: 0, count: isolationRanges.count)
        badRanges = UserState.badRanges(profile)
        badPageCount = badRanges.reduce(0) { $0 + $1.count }
        let spans = profile.allZones.map(\.zone).filter { $0.spannedPages > 0 }
        pfnSpan = (spans.map(\.startPfn).min() ?? 0)..<(spans.map(\.endPfn).max() ?? 0)
        live.reserveCapacity(1024)
    }

    /// Isolation works on MAX_ORDER-aligned ranges, as `alloc_contig_range` isolated
    /// `pfn_max_align_down(start)..pfn_max_align_up(end)`: `start_isolate_page_range` isolates
    /// every pageblock of the range in ascending order, `undo_isolate_page_range` un-isolates
    /// them likewise. Isolating single pageblocks in any order would let
    /// `unset_migratetype_isolate` put back (and merge onto its type's list) a free block that
    /// still covers isolated pageblocks, a state the kernel only passes through between two
    /// pageblocks of one range; allocations or frees in that state misplace pages and drift
    /// `NR_FREE_PAGES` in the kernel and in both models alike, so fuzzing it finds nothing
    /// about the models.
    static func isolationRanges(_ profile: Profile) -> [[PFN]] {
        isolationLayout(profile).ranges
    }

    /// One zone's part of `isolationRanges`: its pageblocks `[firstPageblock, endPageblock)`, and
    /// its first range, which starts in the MAX_ORDER block at `firstBlock`; the zone's ranges
    /// follow one per MAX_ORDER block.
    struct IsolationSegment {
        var firstPageblock: Int
        var endPageblock: Int
        var firstRange: Int
        var firstBlock: Int
    }

    static func isolationLayout(_ profile: Profile) -> (ranges: [[PFN]], segments: [IsolationSegment]) {
        var ranges: [[PFN]] = []
        var segments: [IsolationSegment] = []
        for (_, zone) in profile.allZones where zone.spannedPages > 0 {
            var pfn = PFN(zone.startPfn).alignedDown(Order(profile.pageblockOrder))
            var segment = IsolationSegment(
                firstPageblock: pfn.rawValue, endPageblock: pfn.rawValue, firstRange: ranges.count,
                firstBlock: pfn.alignedDown(Order(profile.maxPageOrder)).rawValue)
            var current: [PFN] = []
            while pfn.rawValue < zone.endPfn {
                if let first = current.first, first.alignedDown(Order(profile.maxPageOrder)) != pfn.alignedDown(Order(profile.maxPageOrder)) {
                    ranges.append(current)
                    current = []
                }
                current.append(pfn)
                pfn = pfn.advanced(by: profile.pageblockPages)
            }
            if !current.isEmpty { ranges.append(current) }
            segment.endPageblock = pfn.rawValue
            segments.append(segment)
        }
        return (ranges, segments)
    }

    static func badRanges(_ profile: Profile) -> [Profile.PFNRange] {
        var ranges: [Profile.PFNRange] = []
        let zones = profile.allZones.map(\.zone).filter { $0.spannedPages > 0 }.sorted { $0.startPfn < $1.startPfn }
        var covered = 0
        for zone in zones {
            if zone.startPfn > covered { ranges.append(Profile.PFNRange(start: covered, count: zone.startPfn - covered)) }
            ranges += zone.effectiveHoles + zone.effectiveReserved
            covered = max(covered, zone.endPfn)
        }
        ranges.append(Profile.PFNRange(start: covered, count: profile.pageblockPages))
        return ranges
    }

    // MARK: - Resolution

    mutating func resolve(_ operation: ProgramOperation) -> ResolvedStep {
        switch operation {
        case .allocate(let cpu, let order, let gfp):
            return ResolvedStep(first: .allocate(cpu: CPUID(cpu), order: Order(order), gfp: gfp.flags), second: nil, allocationIndex: nil)
        case .free(let cpu, let allocation):
            return onLive(allocation) { _, block in .freePages(cpu: CPUID(cpu), pfn: block.pfn, order: block.order) }
        case .getPage(let allocation, let page):
            return onLive(allocation) { _, block in .getPage(pfn: self.pagePFN(block, page)) }
        case .putPage(let cpu, let allocation, let page):
            var step = onLive(allocation) { _, block in .putPage(cpu: CPUID(cpu), pfn: self.pagePFN(block, page)) }
            if let index = step.allocationIndex { step.plantedCondition = plantedCondition(live[index], page: page) }
            return step
        case .freeWithExtraReference(let cpu, let allocation):
            guard !live.isEmpty else { return .none }
            let index = allocation % live.count
            let block = live[index]
            return ResolvedStep(first: .getPage(pfn: block.pfn), second: .freePages(cpu: CPUID(cpu), pfn: block.pfn, order: block.order), allocationIndex: index)
        case .splitPage(let allocation):
            return onLive(allocation) { _, block in .splitPage(pfn: block.pfn, order: block.order) }
        case .drainCPU(let cpu): return single(.drainCPU(cpu: CPUID(cpu)))
        case .drainAll: return single(.drainAll)
        case .vmstatTick(let cpu): return single(.vmstatTick(cpu: CPUID(cpu)))
        case .kswapdBalanced(let node): return single(.kswapdBalanced(node: NodeID(node)))
        case .isolate(let range):
            return ResolvedStep(calls: isolationRanges[range % isolationRanges.count].map { .isolatePageblock(pfn: $0) })
        case .unisolate(let range):
            // The ranges holding an isolated pageblock, in range order.
            let isolatedRanges = isolationRanges.indices.filter { isolatedPerRange[$0] > 0 }
            let chosen = isolatedRanges.isEmpty ? isolationRanges[range % isolationRanges.count] : isolationRanges[isolatedRanges[range % isolatedRanges.count]]
            return ResolvedStep(calls: chosen.map { .unisolatePageblock(pfn: $0) })
        case .sysctl(let choice): return single(.writeSysctl(choice.write))
        case .invalid(let invalid): return resolveInvalid(invalid)
        }
    }

    /// Every range holding the pageblock (two where zones meet inside a pageblock) counts it.
    mutating func countIsolation(of pfn: PFN, by change: Int) {
        let block = pfn.alignedDown(Order(profile.maxPageOrder)).rawValue
        for segment in isolationSegments where (segment.firstPageblock..<segment.endPageblock).contains(pfn.rawValue) {
            let index = segment.firstRange + (block - segment.firstBlock) >> profile.maxPageOrder
            assert(isolationRanges[index].contains(pfn), "pageblock \(pfn) is not in isolation range \(index)")
            isolatedPerRange[index] += change
        }
    }

    func single(_ operation: Operation) -> ResolvedStep { ResolvedStep(first: operation, second: nil, allocationIndex: nil) }

    func onLive(_ allocation: Int, _ make: (Int, LiveAllocation) -> Operation) -> ResolvedStep {
        guard !live.isEmpty else { return .none }
        let index = allocation % live.count
        return ResolvedStep(first: make(index, live[index]), second: nil, allocationIndex: index)
    }

    /// Page `page` of a block: 0 the head, k > 0 the tail page `1 + (k - 1) % (pages - 1)`.
    func pagePFN(_ block: LiveAllocation, _ page: Int) -> PFN {
        let pages = block.order.pageCount
        guard page > 0, pages > 1 else { return block.pfn }
        return block.pfn.advanced(by: 1 + (page - 1) % (pages - 1))
    }

    /// `put_page` on a tail page that drops the last reference of a compound block of order
    /// ≥ 2 that once held a second reference.
    func plantedCondition(_ block: LiveAllocation, page: Int) -> Bool {
        block.compound && block.order.rawValue >= 2 && block.references == 1 && block.wasShared && page > 0
    }

    func resolveInvalid(_ invalid: InvalidOperation) -> ResolvedStep {
        let cpu = CPUID(invalid.cpu)
        let argument = invalid.argument
        switch invalid.kind {
        case .doubleFree:
            guard !recentlyFreed.isEmpty else { return .none }
            let block = recentlyFreed[argument % recentlyFreed.count]
            return single(.freePages(cpu: cpu, pfn: block.pfn, order: block.order))
        case .tailPage:
            return onCandidate(argument, where: { $0.compound }) { block in
                .freePages(cpu: cpu, pfn: block.pfn.advanced(by: 1 + argument % (block.order.pageCount - 1)), order: block.order)
            }
        case .refcountUnderflow:
            return onCandidate(argument, where: { !$0.compound && $0.order > .zero }) { block in
                .freePages(cpu: cpu, pfn: block.pfn.advanced(by: 1 + argument % (block.order.pageCount - 1)), order: .zero)
            }
        case .wrongOrder:
            guard !live.isEmpty else { return .none }
            let block = live[argument % live.count]
            let order = (block.order.rawValue + 1 + argument % profile.maxPageOrder) % (profile.maxPageOrder + 1)
            return single(.freePages(cpu: cpu, pfn: block.pfn, order: Order(order)))
        case .badPFN:
            return single(.freePages(cpu: cpu, pfn: badPFN(argument), order: .zero))
        case .orderTooLarge:
            return single(.allocate(cpu: cpu, order: Order(profile.maxPageOrder + 1 + argument % 2), gfp: .kernel))
        case .badCPU:
            return single(badCPUOperation(argument))
        case .sysctlOutOfRange:
            return single(.writeSysctl(outOfRangeSysctl(argument)))
        }
    }

    func onCandidate(_ argument: Int, where predicate: (LiveAllocation) -> Bool, _ make: (LiveAllocation) -> Operation) -> ResolvedStep {
        let candidates = live.indices.filter { predicate(live[$0]) }
        guard !candidates.isEmpty else { return .none }
        return single(make(live[candidates[argument % candidates.count]]))
    }

    func badPFN(_ argument: Int) -> PFN {
        var pick = argument % badPageCount
        for range in badRanges {
            if pick < range.count { return PFN(range.start + pick) }
            pick -= range.count
        }
        preconditionFailure("pick below the total")
    }

    func badCPUOperation(_ argument: Int) -> Operation {
        let cpu = CPUID(profile.cpus + argument % 3)
        switch argument % 4 {
        case 0: return .allocate(cpu: cpu, order: .zero, gfp: .kernel)
        case 1: return .drainCPU(cpu: cpu)
        case 2: return .vmstatTick(cpu: cpu)
        default: return .kswapdBalanced(node: NodeID(profile.nodes.count))
        }
    }

    func outOfRangeSysctl(_ argument: Int) -> SysctlWrite {
        switch argument % 4 {
        case 0: return .watermarkScaleFactor(0)
        case 1: return .watermarkScaleFactor(ProgramLimits.watermarkScaleFactorRange.upperBound + 1 + argument % 100)
        case 2: return .percpuPagelistHighFraction(1 + argument % (ProgramLimits.percpuPagelistHighFractionMin - 1))
        default: return .minFreeKbytes(-1 - argument % 100)
        }
    }

    // MARK: - Updating from outcomes

    /// Applies the effect of `operation`, whose outcome was `outcome`, to the bookkeeping.
    /// `hint` is the live index the step acted on, when it had one.
    mutating func update(_ operation: Operation, outcome: Outcome, hint: Int?) throws(BookkeepingProblem) {
        switch (operation, outcome) {
        case (.allocate(_, let order, let gfp), .allocated(let pfn)):
            live.append(LiveAllocation(pfn: pfn, order: order, compound: gfp.contains(.comp) && order > .zero, references: 1))
            noteHighatomic(order: order, gfp: gfp)
        case (.allocate(_, let order, let gfp), .allocationFailed), (.allocate(_, let order, let gfp), .rejected):
            noteHighatomic(order: order, gfp: gfp)
        case (.allocate, .completed), (_, .allocated), (_, .allocationFailed):
            throw BookkeepingProblem(rule: "outcome-kind", expected: "an outcome of the call's kind", found: "\(outcome)")
        case (.freePages(_, let pfn, _), .completed(let pagesFreed)):
            let index = try locate(hint, pfn: pfn, headOnly: true)
            try dropReference(index, pagesFreed: pagesFreed, freeTailHalves: true)
        case (.putPage(_, let pfn), .completed(let pagesFreed)):
            let index = try locate(hint, pfn: pfn, headOnly: false)
            try dropReference(index, pagesFreed: pagesFreed, freeTailHalves: false)
        case (.getPage(let pfn), .completed(let pagesFreed)):
            try expectNothingFreed(pagesFreed)
            let index = try locate(hint, pfn: pfn, headOnly: false)
            live[index].references += 1
            live[index].wasShared = true
        case (.splitPage(let pfn, _), .completed(let pagesFreed)):
            try expectNothingFreed(pagesFreed)
            split(try locate(hint, pfn: pfn, headOnly: true))
        case (.isolatePageblock(let pfn), .completed(let pagesFreed)):
            try expectNothingFreed(pagesFreed)
            if isolated.insert(pfn).inserted { countIsolation(of: pfn, by: 1) }
        case (.unisolatePageblock(let pfn), .completed(let pagesFreed)):
            try expectNothingFreed(pagesFreed)
            if isolated.remove(pfn) != nil { countIsolation(of: pfn, by: -1) }
        case (_, .completed(let pagesFreed)):
            try expectNothingFreed(pagesFreed)
        default:
            break
        }
    }

    /// Only `__free_pages` and `put_page` hand pages back; every other call completes with 0.
    func expectNothingFreed(_ pagesFreed: Int) throws(BookkeepingProblem) {
        guard pagesFreed == 0 else {
            throw BookkeepingProblem(rule: "pages-freed", expected: "0 pages freed", found: "\(pagesFreed) pages freed")
        }
    }

    /// `gfp_to_alloc_flags` gives `ALLOC_HIGHATOMIC` to order > 0 with `__GFP_HIGH` and neither
    /// `__GFP_DIRECT_RECLAIM` nor `__GFP_NOMEMALLOC`: such a call may reserve a pageblock.
    mutating func noteHighatomic(order: Order, gfp: GFPFlags) {
        if order > .zero && gfp.contains(.high) && !gfp.contains(.directReclaim) && !gfp.contains(.noMemalloc) {
            highatomicReserveSeen = true
        }
    }

    /// The live index of the block the call acted on: the hint when it matches, else the block
    /// headed by (or, for folio calls, containing a compound tail) `pfn`.
    func locate(_ hint: Int?, pfn: PFN, headOnly: Bool) throws(BookkeepingProblem) -> Int {
        if let hint, hint < live.count, contains(live[hint], pfn, headOnly: headOnly) { return hint }
        if let index = live.indices.first(where: { contains(live[$0], pfn, headOnly: headOnly) }) { return index }
        throw BookkeepingProblem(rule: "unknown-allocation", expected: "a live allocation at \(pfn) (the call was refused otherwise)", found: "the allocator completed the call")
    }

    func contains(_ block: LiveAllocation, _ pfn: PFN, headOnly: Bool) -> Bool {
        if block.pfn == pfn { return true }
        return !headOnly && block.compound && pfn > block.pfn && pfn < block.pfn.advanced(by: block.order.pageCount)
    }

    /// `__free_pages` (freeTailHalves) or `put_page`: drop one reference; the last frees the
    /// block; `__free_pages` of a non-compound block that was not the last frees the tail halves
    /// and keeps the head as an order-0 block.
    mutating func dropReference(_ index: Int, pagesFreed: Int, freeTailHalves: Bool) throws(BookkeepingProblem) {
        var block = live[index]
        block.references -= 1
        let expected: Int
        if block.references == 0 {
            expected = block.order.pageCount
            removeLive(index)
            rememberFreed(FreeBlock(pfn: block.pfn, order: block.order))
        } else if freeTailHalves && !block.compound && block.order > .zero {
            expected = block.order.pageCount - 1
            block.order = .zero
            live[index] = block
        } else {
            expected = 0
            live[index] = block
        }
        guard expected == pagesFreed else {
            throw BookkeepingProblem(rule: "pages-freed", expected: "\(expected) pages freed", found: "\(pagesFreed) pages freed")
        }
    }

    /// `split_page`: the head keeps its references, every other page becomes an order-0 block
    /// with one reference.
    mutating func split(_ index: Int) {
        let block = live[index]
        live[index].order = .zero
        for offset in 1..<block.order.pageCount {
            live.append(LiveAllocation(pfn: block.pfn.advanced(by: offset), order: .zero, compound: false, references: 1))
        }
    }

    mutating func removeLive(_ index: Int) {
        live.swapAt(index, live.count - 1)
        live.removeLast()
    }

    mutating func rememberFreed(_ block: FreeBlock) {
        if recentlyFreed.count == UserState.recentlyFreedCapacity { recentlyFreed.removeFirst() }
        recentlyFreed.append(block)
    }

    /// Whether the live allocations are exactly `allocated`: equal counts, and every listed
    /// block is a live allocation with the same order, compound flag and refcount. Live blocks
    /// never share a head, so this is equality of the two sets, checked in linear time through
    /// a PFN-indexed scratch table (filled, read, and cleared again).
    mutating func matches(_ allocated: [AllocatedBlock]) -> Bool {
        guard allocated.count == live.count else { return false }
        if liveByPFN.isEmpty { liveByPFN = [UInt32](repeating: 0, count: pfnSpan.count) }
        for (index, block) in live.enumerated() { liveByPFN[block.pfn.rawValue - pfnSpan.lowerBound] = UInt32(index + 1) }
        defer { for block in live { liveByPFN[block.pfn.rawValue - pfnSpan.lowerBound] = 0 } }
        for found in allocated {
            guard pfnSpan.contains(found.pfn.rawValue) else { return false }
            let slot = Int(liveByPFN[found.pfn.rawValue - pfnSpan.lowerBound])
            guard slot > 0 else { return false }
            let block = live[slot - 1]
            if found.order != block.order || found.compound != block.compound || found.refcount != block.references {
                return false
            }
        }
        return true
    }

    /// The live allocations as the snapshot lists them, for comparison with `allocated`.
    var allocatedBlocks: [AllocatedBlock] {
        live.map { AllocatedBlock(pfn: $0.pfn, order: $0.order, compound: $0.compound, refcount: $0.references) }
            .sorted { $0.pfn < $1.pfn }
    }
}
