import BuddyVocabulary

/// The liveness phase: after the program, everything handed out must come back.
///
/// Steps, each call in lockstep like any other: `drain_all_pages`; every reference the harness
/// holds dropped with `__free_pages` (live allocations from the last to the first, CPUs in
/// turn); `drain_all_pages` again; a full check; then the state is compared with the boot
/// state (the primary allocator's snapshot before the first operation, which the runner keeps
/// per profile: booting is deterministic).
///
/// Must be restored (rule names in brackets, the title is `liveness: RULE`):
/// - no allocated block remains [`allocated`];
/// - every pcp list is empty and every pcp `count` is 0 [`pcp-count`];
/// - exactly the boot's free pages are free in the buddy, i.e. every managed page
///   [`free-pages`];
/// - `NR_FREE_PAGES` + free pages on ISOLATE lists = managed pages [`NR_FREE_PAGES`];
/// - everything merged: when no pageblock is isolated or HIGHATOMIC and no highatomic
///   reservation may have happened, the free blocks are exactly the boot's [`merged`]
///   (otherwise merging stops legitimately at those pageblocks, and the OrderChecker's merge
///   rule of the full check is what applies);
/// - zone geometry (span, present, managed pages), `lowmem_reserve` (only the
///   `lowmem_reserve_ratio` sysctl, never written here, recomputes it), `NR_FREE_CMA_PAGES`
///   and `page_group_by_mobility_disabled` as at boot [`zone-geometry`].
///
/// Allowed to differ from boot, because the program legitimately changes them: pageblock
/// types and isolate bits, `watermark_boost` and the zone flags, the pcp `high`, `alloc_factor`,
/// `free_count` and flags, the highatomic reserve (`nr_reserved_highatomic`,
/// `nr_free_highatomic`), everything the sysctls derive (watermarks, pcp `high_min`/`high_max`/
/// `batch`, the zone's pageset sizing, the sysctl values), and the order of blocks on free
/// lists.
extension Session {
    mutating func livenessPhase() -> Failure? {
        if let failure = livenessCall(.drainAll, hint: nil) { return failure }
        if let failure = freeEverything() { return failure }
        if let failure = livenessCall(.drainAll, hint: nil) { return failure }
        if let failure = fullCheck(location: .liveness) { return failure }
        return compareWithBoot()
    }

    mutating func livenessCall(_ call: Operation, hint: Int?) -> Failure? {
        livenessCallWithOutcome(call, hint: hint).failure
    }

    mutating func livenessCallWithOutcome(_ call: Operation, hint: Int?) -> (failure: Failure?, outcome: Outcome?) {
        var record = StepRecord(index: nil, operation: nil)
        let failure = perform(call, hint: hint, planted: false, record: &record.first, location: .liveness)
        remember(record)
        return (failure, record.first?.outcome)
    }

    /// Drops every reference the harness holds. A refused free ends the phase: the block
    /// would never come back.
    mutating func freeEverything() -> Failure? {
        var turn = 0
        while let block = user.live.last {
            let call = Operation.freePages(cpu: CPUID(turn % profile.cpus), pfn: block.pfn, order: block.order)
            turn += 1
            let (failure, outcome) = livenessCallWithOutcome(call, hint: user.live.count - 1)
            if let failure { return failure }
            if case .rejected(let rejection) = outcome {
                return Failure(verdict: .livenessFailure, title: "liveness: free-rejected", location: .liveness, details: """
                    \(primaryName) refused \(Describe.call(call)) of a live allocation \
                    (\(block.references) reference(s) held): \(rejection)
                    """)
            }
        }
        return nil
    }

    /// Compares with the primary allocator's state right after boot (booting is deterministic,
    /// so that is the state of a freshly booted allocator of the same kind).
    func compareWithBoot() -> Failure? {
        guard let boot = bootSnapshot else { preconditionFailure("the liveness phase runs after boot") }
        let final = primary.snapshot()
        let problems = LivenessComparison(boot: boot, final: final, profile: profile, highatomicReserveSeen: user.highatomicReserveSeen).problems()
        guard let first = problems.first else { return nil }
        let details = (["The state after freeing everything is not the boot state (\(primaryName)):"] + problems.map { "- \($0.rule): \($0.detail)" })
            .joined(separator: "\n")
        return Failure(verdict: .livenessFailure, title: "liveness: \(first.rule)", location: .liveness, details: details)
    }
}

/// The comparison of the final state with the boot state, property by property.
struct LivenessComparison {
    let boot: StateSnapshot
    let final: StateSnapshot
    let profile: Profile
    let highatomicReserveSeen: Bool

    struct Problem {
        var rule: String
        var detail: String
    }

    func problems() -> [Problem] {
        var problems: [Problem] = []
        if !final.allocated.isEmpty {
            problems.append(Problem(rule: "allocated", detail: "\(final.allocated.count) block(s) still allocated, the first \(StateDump.describe(final.allocated[0]))"))
        }
        if final.mobilityGroupingDisabled != boot.mobilityGroupingDisabled {
            problems.append(Problem(rule: "zone-geometry", detail: "page_group_by_mobility_disabled \(final.mobilityGroupingDisabled), at boot \(boot.mobilityGroupingDisabled)"))
        }
        guard final.zones.count == boot.zones.count else {
            return problems + [Problem(rule: "zone-geometry", detail: "\(final.zones.count) zones, at boot \(boot.zones.count)")]
        }
        for (zone, bootZone) in zip(final.zones, boot.zones) { problems += compare(zone, bootZone) }
        return problems
    }

    func compare(_ zone: ZoneSnapshot, _ boot: ZoneSnapshot) -> [Problem] {
        var problems: [Problem] = []
        let name = "zone \(zone.id)"
        if let pageset = zone.pagesets.first(where: { $0.count != 0 || $0.lists.contains { !$0.isEmpty } }) {
            problems.append(Problem(rule: "pcp-count", detail: "\(name): cpu \(pageset.cpu) pcp count \(pageset.count), lists \(pageset.lists.map(\.count))"))
        }
        let freeNow = freePageRuns(zone)
        let freeAtBoot = freePageRuns(boot)
        if freeNow != freeAtBoot {
            let now = freeNow.reduce(0) { $0 + $1.count }
            let then = freeAtBoot.reduce(0) { $0 + $1.count }
            problems.append(Problem(rule: "free-pages", detail: "\(name): \(now) pages free in the buddy, at boot \(then); first difference near \(firstDifference(freeNow, freeAtBoot))"))
        }
        let isolatedFree = pages(zone, on: .isolate)
        if zone.nrFreePages + isolatedFree != zone.managedPages {
            problems.append(Problem(rule: "NR_FREE_PAGES", detail: "\(name): NR_FREE_PAGES \(zone.nrFreePages) + isolated \(isolatedFree) ≠ managed \(zone.managedPages)"))
        }
        if mergeIsExpected(zone) && freeBlocks(zone) != freeBlocks(boot) {
            let now = freeBlocks(zone)
            let then = freeBlocks(boot)
            let first = zip(now, then).first { $0 != $1 }.map { "\($0.0) now, \($0.1) at boot" } ?? "\(now.count) blocks now, \(then.count) at boot"
            problems.append(Problem(rule: "merged", detail: "\(name): free blocks differ from boot: \(first)"))
        }
        problems += compareGeometry(zone, boot, name)
        return problems
    }

    func compareGeometry(_ zone: ZoneSnapshot, _ boot: ZoneSnapshot, _ name: String) -> [Problem] {
        let fields: [(String, Int, Int)] = [
            ("start_pfn", zone.startPfn.rawValue, boot.startPfn.rawValue),
            ("spanned", zone.spannedPages, boot.spannedPages),
            ("present", zone.presentPages, boot.presentPages),
            ("managed", zone.managedPages, boot.managedPages),
            ("NR_FREE_CMA_PAGES", zone.nrFreeCMAPages, boot.nrFreeCMAPages),
        ]
        var problems = fields.filter { $0.1 != $0.2 }.map { Problem(rule: "zone-geometry", detail: "\(name): \($0.0) \($0.1), at boot \($0.2)") }
        if zone.id != boot.id || zone.lowmemReserve != boot.lowmemReserve {
            problems.append(Problem(rule: "zone-geometry", detail: "\(name): lowmem_reserve \(zone.lowmemReserve), at boot \(boot.lowmemReserve)"))
        }
        return problems
    }

    /// No barrier to merging: no isolated or HIGHATOMIC pageblock now, and no highatomic
    /// block that may have been released without merging.
    func mergeIsExpected(_ zone: ZoneSnapshot) -> Bool {
        !highatomicReserveSeen && !zone.pageblocks.contains { $0.isolated || $0.type == .highatomic }
    }

    func freeBlocks(_ zone: ZoneSnapshot) -> [FreeBlock] {
        var blocks: [FreeBlock] = []
        for (order, area) in zone.freeAreas.enumerated() {
            for list in area.lists { blocks += list.map { FreeBlock(pfn: $0, order: Order(order)) } }
        }
        return blocks.sorted { $0.pfn < $1.pfn }
    }

    /// The free pages as maximal runs, independent of how they are cut into blocks.
    func freePageRuns(_ zone: ZoneSnapshot) -> [Profile.PFNRange] {
        var runs: [Profile.PFNRange] = []
        for block in freeBlocks(zone) {
            if let last = runs.last, last.end == block.pfn.rawValue {
                runs[runs.count - 1].count += block.order.pageCount
            } else {
                runs.append(Profile.PFNRange(start: block.pfn.rawValue, count: block.order.pageCount))
            }
        }
        return runs
    }

    func firstDifference(_ now: [Profile.PFNRange], _ then: [Profile.PFNRange]) -> String {
        if let pair = zip(now, then).first(where: { $0 != $1 }) { return "runs \(pair.0) now, \(pair.1) at boot" }
        return "run \(now.count > then.count ? now[then.count] : then[now.count]) \(now.count > then.count ? "now only" : "at boot only")"
    }

    func pages(_ zone: ZoneSnapshot, on type: Migratetype) -> Int {
        zone.freeAreas.enumerated().reduce(0) { $0 + $1.element.lists[type.rawValue].count << $1.offset }
    }
}
