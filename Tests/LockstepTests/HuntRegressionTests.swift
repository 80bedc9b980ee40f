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
        HuntPin(.mergeIgnoresPageblockType, seed: 0xB55DCFE44D504399, operations: 14),
        HuntPin(.mergeSkipsBuddyRetype, seed: 0x8F86A4E2F30FFE9, operations: 1000),
        HuntPin(.mergeRetypesFirstPageblockOnly, seed: 0xA18A7A2CB390D847, operations: 256),
        HuntPin(.mergeLikelyWrongOrder, seed: 0xCD68EBEF56C1BE28, operations: 62),
        HuntPin(.expandHandsOutUpperHalf, seed: 0x20E1C54F21B06682, operations: 1),
        HuntPin(.stealExpandsIntoStartType, seed: 0xE005F072E1E5A237, operations: 619),
        HuntPin(.splitLargeBuddyFirstType, seed: 0x9BBF53F11FA10FAC, operations: 45),
        HuntPin(.claimThresholdOffByOne, seed: 0xD7451F8063506FD5, operations: 381),
        HuntPin(.claimCountsFreeOnly, seed: 0x3CCF4A6BB3B2E52C, operations: 464),
        HuntPin(.claimSkipsRetype, seed: 0x89AAA1CBA6EA4C3A, operations: 424),
        HuntPin(.claimScansAscending, seed: 0x147D7C1AA900751A, operations: 1),
        HuntPin(.rmqueueModeNotCached, seed: 0x49B4B78ECEAE29EA, operations: 581),
        HuntPin(.moveSkipsAccounting, seed: 0xB8F2802686BAE10, operations: 256),
        HuntPin(.highatomicReserveUncapped, seed: 0x3E53B2B22295B5A0, operations: 193),
        HuntPin(.unreserveKeepsCount, seed: 0x24B68206536FE3B0, operations: 80),
        HuntPin(.unreserveToMovable, seed: 0x826D7D1A7A375F1D, operations: 223),
        HuntPin(.pcpRefillOneMore, seed: 0xA46255665680289, operations: 1),
        HuntPin(.pcpSpillNewestFirst, seed: 0xC141F039BADA3FE2, operations: 17),
        HuntPin(.pcpDrainStaleMigratetype, seed: 0xF50A04E9DF89C95F, operations: 92),
        HuntPin(.pcpCountIgnoresOrder, seed: 0x37DE93E1CA761DB0, operations: 19),
        HuntPin(.pcpHighNoDecay, seed: 0xB0419DDB5094113E, operations: 104),
        HuntPin(.pcpFreeHighIgnoresBatchFlag, seed: 0x5F7BCE6E956FBD83, operations: 42),
        HuntPin(.pcpFreeCountUncapped, seed: 0x31CD0922202ED6D4, operations: 170),
        HuntPin(.pcpAllocFactorUncapped, seed: 0xF55A1B1133171406, operations: 62),
        HuntPin(.watermarkIgnoresLowmemReserve, seed: 0x2226C4C92219595, operations: 119),
        HuntPin(.watermarkSubtractsReservedHighatomic, seed: 0x7824257F79D0063A, operations: 247),
        HuntPin(.watermarkNonBlockReduction, seed: 0xAEEC472AB521B305, operations: 52),
        HuntPin(.classzoneIsPreferredZone, seed: 0xED1701B07EEA238, operations: 239),
        HuntPin(.nofragmentKeptOnRetry, seed: 0xACD6FE12A61BFB9C, operations: 425),
        HuntPin(.boostIgnoresKswapdFlag, seed: 0xB6839D1254C22C80, operations: 512),
        HuntPin(.kswapdKeepsBoost, seed: 0x7B26B90B8561A441, operations: 456),
        HuntPin(.belowHighNeverCleared, seed: 0x840C1BF671A6A119, operations: 222),
        HuntPin(.isolateSkipsLargeBuddySplit, seed: 0x44E994507FEFAD0, operations: 256),
        HuntPin(.isolationKeepsFreeAccounting, seed: 0x78DF9EDEDB681DF, operations: 218),
        HuntPin(.freeTailsSkipsOrderZero, seed: 0xC78A1F89DB430698, operations: 6),
        HuntPin(.putPageFreesOrderZero, seed: 0x42B62D8F31002D24, operations: 4),
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
