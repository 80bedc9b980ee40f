import BuddyVocabulary
import Lockstep
import OptimizedAllocator
import Testing

/// Every mutant is caught by a pinned seed within the operations the bug hunt needed, and the
/// same program passes without the mutant: the seam is off by default.
///
/// The pins are each mutant's cheapest detection over 20 hunt trials, printed by
/// `swift run -c release buddyfuzz hunt --all --trials 20 --pins`. A pin that stops failing
/// after a change to the generator or the runner is re-pinned the same way; one that stops
/// failing after a change to the optimized allocator means the harness lost that mutant.
@Suite struct HuntRegressionTests {
    static let pins: [HuntPin] = [
    ]

    static let configuration = HuntConfiguration.standard

    @Test func everyMutantHasAPin() {
        #expect(Self.pins.map(\.mutant) == Mutant.allCases)
    }

    @Test(arguments: pins)
    func pinnedSeedCatchesTheMutant(pin: HuntPin) {
        let program = HuntTrial.prefix(Self.configuration.program(seed: pin.seed), pin.operations)
        let planted = Self.configuration.mutantRunner(pin.mutant).run(program)
        #expect(planted.verdict != .passed, "\(pin.mutant.name) escaped seed \(pin.seed)")
        #expect(planted.operationsRun <= pin.operations)
        let clean = Self.configuration.cleanRunner.run(program)
        #expect(clean.verdict == .passed, "without \(pin.mutant.name):\n\(clean.text)")
    }

    /// The default allocator passes a stress run: what `OptimizedPageAllocator(profile:)` boots
    /// has no fault planted.
    @Test func defaultAllocatorPassesAStressRun() {
        let campaign = StressCampaign(configuration: LockstepConfiguration(checkEvery: 64), operations: 300, profile: BuiltInProfiles.tiny)
        var verdicts: [Verdict] = []
        campaign.run(.range(0...5), tickInterval: 0.01, deliver: { verdicts.append($0.report.verdict) })
        #expect(verdicts == Array(repeating: .passed, count: 6))
        #expect(OptimizedPageAllocator(profile: BuiltInProfiles.tiny).mutants == MutantSet())
    }
}

extension HuntPin: CustomTestStringConvertible {
    public var testDescription: String { mutant.name }
}
