import BuddyVocabulary
import Lockstep
import OptimizedAllocator
import Testing

/// The bug hunt's machinery: seed sequences, percentiles of censored samples, catchers, the
/// skip rule, determinism and censoring.
@Suite struct HuntTests {
    @Test func seedSequencesDependOnTheMutantAndTheTrialOnly() {
        var first = HuntSeeds(mutant: "claim-skips-retype", trial: 0)
        var again = HuntSeeds(mutant: "claim-skips-retype", trial: 0)
        var nextTrial = HuntSeeds(mutant: "claim-skips-retype", trial: 1)
        var otherMutant = HuntSeeds(mutant: "claim-scans-ascending", trial: 0)
        let seeds = (0..<4).map { _ in first.next()! }
        #expect(seeds == (0..<4).map { _ in again.next()! })
        #expect(seeds != (0..<4).map { _ in nextTrial.next()! })
        #expect(seeds != (0..<4).map { _ in otherMutant.next()! })
        #expect(Set(seeds).count == 4)
        // FNV-1a of the empty string is the offset basis: the hash is the published one.
        #expect(HuntSeeds(mutant: "", trial: 0).origin == 0xCBF2_9CE4_8422_2325)
    }

    @Test func percentilesCountCensoredTrialsAsLongerThanEveryDetection() {
        #expect(HuntStatistics.percentile([5, 1, 3, 2, 4], 50) == 3)
        #expect(HuntStatistics.percentile([5, 1, 3, 2, 4], 90) == 5)
        #expect(HuntStatistics.percentile([5, nil, 3, 2, 4], 50) == 4)
        #expect(HuntStatistics.percentile([5, nil, 3, 2, 4], 90) == nil)
        #expect(HuntStatistics.percentile([nil, nil, 3, nil, 4], 50) == nil)
        #expect(HuntStatistics.percentile([7], 90) == 7)
        #expect(HuntStatistics.percentile([Int?](), 50) == nil)
    }

    @Test(arguments: [
        ("divergence: outcome: alloc_pages", HuntCatcher.outcome),
        ("divergence: events: __free_pages", .events),
        ("divergence: snapshot: pagesets.high", .snapshot),
        ("invariant: OrderChecker: unmerged-buddies", .invariant),
        ("invariant: UserBookkeeping: pages-freed", .invariant),
        ("liveness: NR_FREE_PAGES", .liveness),
    ])
    func catcherComesFromTheTitle(title: String, catcher: HuntCatcher) {
        #expect(HuntCatcher(title: title) == catcher)
    }

    @Test func aTrialIsDeterministicInOperations() {
        let configuration = HuntConfiguration(operationsPerProgram: 200, checkEvery: 64, checkAfterFallback: nil, profile: BuiltInProfiles.tiny, operationBudget: 20_000)
        let first = HuntTrial(configuration: configuration, mutant: .pcpRefillOneMore, trial: 3).run()
        let second = HuntTrial(configuration: configuration, mutant: .pcpRefillOneMore, trial: 3).run()
        #expect(first.detected)
        #expect(first.operations == second.operations)
        #expect(first.detection == second.detection)
        #expect(first.detection?.profile == "tiny")
        #expect(first.detection?.catcher == .events)
    }

    /// An audit hunt runs the mutant alone: a mutant that breaks accounting is caught by an
    /// invariant checker, while one that only changes which free block is handed out
    /// (`buddy_merge_likely` probing the wrong order) leaves every invariant intact and escapes,
    /// which only the comparison with the reference can see.
    @Test func anAuditHuntHasOnlyTheCheckersToGoBy() {
        let audit = HuntConfiguration(
            operationsPerProgram: 300, checkEvery: 64, checkAfterFallback: nil, profile: BuiltInProfiles.tiny, operationBudget: 3_000, audit: true)
        let accounting = HuntTrial(configuration: audit, mutant: .pcpCountIgnoresOrder, trial: 0).run()
        #expect(accounting.detection?.title == "invariant: ZoneAccountingChecker: pcp-count")
        let placement = HuntTrial(configuration: audit, mutant: .mergeLikelyWrongOrder, trial: 0).run()
        #expect(!placement.detected)
        #expect(placement.operations >= 3_000)
        var lockstep = audit
        lockstep.audit = false
        #expect(HuntTrial(configuration: lockstep, mutant: .mergeLikelyWrongOrder, trial: 0).run().detection?.catcher != .invariant)
    }

    /// The skip rule: a program that fails without the mutant is not a detection, and its seed
    /// is listed; the trial goes on until its budget.
    @Test func seedsThatFailWithoutTheMutantAreSkipped() {
        let configuration = HuntConfiguration(operationsPerProgram: 50, checkEvery: 16, checkAfterFallback: nil, profile: BuiltInProfiles.tiny, operationBudget: 20)
        let broken = huntRunner(against: .distorted(.dropAllocationEvent))
        let skipping = HuntTrial(configuration: configuration, mutant: .pcpRefillOneMore, trial: 0, mutantRunner: broken, cleanRunner: broken).run()
        #expect(!skipping.detected)
        #expect(skipping.programs >= 2)
        #expect(skipping.skippedSeeds.count == skipping.programs)
        #expect(skipping.operations >= 20)

        let clean = huntRunner(against: .reference)
        let counting = HuntTrial(configuration: configuration, mutant: .pcpRefillOneMore, trial: 0, mutantRunner: broken, cleanRunner: clean).run()
        #expect(counting.detected)
        #expect(counting.programs == 1)
        #expect(counting.skippedSeeds.isEmpty)
        #expect(counting.detection?.title == "divergence: events: alloc_pages")
        #expect(counting.detection?.seed == skipping.skippedSeeds.first)
    }

    @Test func aTrialStopsWhenAskedBetweenPrograms() {
        let configuration = HuntConfiguration(operationsPerProgram: 40, checkEvery: 16, checkAfterFallback: nil, profile: BuiltInProfiles.tiny, operationBudget: .max)
        let clean = huntRunner(against: .reference)
        var asked = 0
        let result = HuntTrial(configuration: configuration, mutant: .pcpRefillOneMore, trial: 0, mutantRunner: clean, cleanRunner: clean)
            .run(shouldStop: { asked += 1; return asked > 2 })
        #expect(!result.detected)
        #expect(result.programs == 2)
        #expect(result.operations == 80)
    }

    @Test func summaryCountsCatchersAndTitles() {
        func trial(_ index: Int, _ title: String?, operations: Int) -> HuntTrialResult {
            HuntTrialResult(
                mutant: .claimSkipsRetype, trial: index, seedOrigin: 0,
                detection: title.map { HuntDetection(seed: UInt64(index), profile: "tiny", title: $0, operationsInProgram: 10) },
                operations: operations, programs: 1, skippedSeeds: [], seconds: 0, cpuSeconds: 0)
        }
        let summary = HuntSummary(mutant: .claimSkipsRetype, trials: [
            trial(2, "divergence: events: alloc_pages", operations: 30), trial(0, nil, operations: 99),
            trial(1, "divergence: snapshot: pageblocks", operations: 10), trial(3, "divergence: events: alloc_pages", operations: 20),
        ])
        #expect(summary.trials.map(\.trial) == [0, 1, 2, 3])
        #expect(summary.detectedCount == 3)
        #expect(summary.medianOperations == 20)
        #expect(summary.p90Operations == nil)
        #expect(summary.catchers.map(\.catcher) == [.events, .snapshot])
        #expect(summary.catchers.map(\.count) == [2, 1])
        #expect(summary.titles.first?.title == "divergence: events: alloc_pages")
        #expect(HuntPin.best(of: summary.trials) == HuntPin(.claimSkipsRetype, seed: 1, operations: 10))
        #expect(HuntPin(.claimSkipsRetype, seed: 255, operations: 7).sourceLine == "HuntPin(.claimSkipsRetype, seed: 0xFF, operations: 7),")
    }
}

func huntRunner(against subject: AllocatorFactory) -> LockstepRunner {
    LockstepRunner(configuration: LockstepConfiguration(allocators: .lockstep(reference: .reference, subject: subject), checkEvery: 16))
}
