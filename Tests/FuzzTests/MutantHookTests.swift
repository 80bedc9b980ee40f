import BuddyVocabulary
import Lockstep
import OptimizedAllocator
import Testing
@testable import FuzzSupport

/// The `BUDDYFUZZ_MUTANT` hook of the lockstep target, which `buddyfuzz hunt --mode fuzz` drives.
@Suite struct MutantHookTests {
    @Test func namesParseIntoAMutantSet() throws {
        let parsed = try MutantHook.parse("claim-skips-retype, pcp-refill-one-more").get()
        #expect(parsed == MutantSet([.claimSkipsRetype, .pcpRefillOneMore]))
        #expect(try MutantHook.parse("").get() == MutantSet())
        guard case .failure(let unknown) = MutantHook.parse("claim-skips-retype,no-such-mutant") else {
            Issue.record("an unknown name must be refused")
            return
        }
        #expect(unknown.name == "no-such-mutant")
        #expect(unknown.description.contains("BUDDYFUZZ_MUTANT: unknown mutant 'no-such-mutant'; the mutants are: merge-ignores-pageblock-type"))
    }

    @Test func huntLineRoundTrips() {
        let output = "INFO: Seed: 1\nbuddyfuzz hunt: detected after 812 executions, 40210 operations\n==1== ERROR: deadly signal\n"
        #expect(MutantHook.huntLine(executions: 812, operations: 40210) == "buddyfuzz hunt: detected after 812 executions, 40210 operations")
        #expect(MutantHook.parseHuntLine(in: output)! == (812, 40210))
        #expect(MutantHook.parseHuntLine(in: "INFO: no finding\n") == nil)
    }

    /// `pcp-refill-one-more` shows on the first order-0 allocation; without it the program passes.
    @Test func aFindingOfThePlantedMutantIsConfirmed() {
        let hook = MutantHook(mutants: MutantSet([.pcpRefillOneMore]))
        let program = try! ProgramText.parse(
            "buddyfuzz ops v1\nprofile tiny\nseed 1\nalloc cpu=0 order=0 gfp=GFP_KERNEL\nalloc cpu=1 order=0 gfp=GFP_KERNEL\n", source: "test")
        let report = hook.runner.run(program)
        hook.count(report)
        #expect(report.verdict == .divergence)
        #expect(hook.confirms(program, report))
        #expect(hook.counters.withLock { $0 } == (1, report.operationsRun))
        #expect(hook.runner.configuration.allocatorsDescription == "reference vs optimized+mutants")
    }
}
