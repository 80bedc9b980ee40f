import BuddyVocabulary
import Lockstep
import Testing

/// Programs in the text form, parsed for readability.
func program(_ lines: String, profile: String = "tiny") -> Program {
    try! ProgramText.parse("buddyfuzz ops v1\nprofile \(profile)\nseed 7\n" + lines, source: "test")
}

func lockstep(against subject: AllocatorFactory = .reference, checkEvery: Int = 16, planted: Bool = false) -> LockstepRunner {
    LockstepRunner(configuration: LockstepConfiguration(
        allocators: .lockstep(reference: .reference, subject: subject), checkEvery: checkEvery, plantedDivergence: planted))
}

@Suite struct RunnerTests {
    @Test(arguments: [UInt64(1), 2, 3, 4])
    func identicalAllocatorsPassGeneratedPrograms(seed: UInt64) {
        var generated = ProgramGenerator.program(seed: seed, operations: 400)
        generated.profile = BuiltInProfiles.tiny
        generated = ProgramCodec.decode(ProgramCodec.encode(generated))
        let report = lockstep(checkEvery: 50).run(generated)
        #expect(report.verdict == .passed, "\(report.text)")
        #expect(report.title == "passed")
        #expect(report.operationsRun == 400)
        #expect(report.text.hasPrefix("buddyfuzz lockstep: profile tiny, seed \(seed), 400 operations, reference vs reference"))
    }

    @Test func auditModeRunsOneAllocatorWithCheckers() {
        let runner = LockstepRunner(configuration: LockstepConfiguration(allocators: .audit(.reference), checkEvery: 8))
        let report = runner.run(ProgramGenerator.program(seed: 9, operations: 200))
        #expect(report.verdict == .passed, "\(report.text)")
        #expect(report.text.contains("audit of reference"))
    }

    @Test func plantedDivergenceIsFoundAtItsOperation() {
        let planted = program("""
            alloc cpu=0 order=2 gfp=GFP_KERNEL|__GFP_COMP
            get_page #0 page=1
            put_page #0 page=0 cpu=1
            put_page #0 page=3 cpu=1
            drain_all
            """)
        #expect(lockstep().run(planted).verdict == .passed)
        let report = lockstep(planted: true).run(planted)
        #expect(report.verdict == .divergence)
        #expect(report.verdict.exitStatus == 1)
        #expect(report.title == "divergence: outcome: put_page")
        #expect(report.failingOperationIndex == 3)
        #expect(report.operationsRun == 4)
        #expect(report.text.contains("  > #3  put_page #0 page=3 cpu=1"))
        #expect(report.text.contains("reference: completed, 4 pages freed"))
        #expect(report.text.contains("#4  drain_all  (not run)"))
        #expect(report.text.contains("Snapshot difference after the call"))
    }

    @Test func plantedDivergenceNeedsATailPageAndTheLastReference() {
        let headPut = program("alloc cpu=0 order=2 gfp=GFP_KERNEL|__GFP_COMP\nget_page #0 page=0\nput_page #0 page=1 cpu=0\nput_page #0 page=0 cpu=0\n")
        let notLast = program("alloc cpu=0 order=2 gfp=GFP_KERNEL|__GFP_COMP\nget_page #0 page=0\nput_page #0 page=1 cpu=0\n")
        let neverShared = program("alloc cpu=0 order=2 gfp=GFP_KERNEL|__GFP_COMP\nput_page #0 page=1 cpu=0\n")
        let order1 = program("alloc cpu=0 order=1 gfp=GFP_KERNEL|__GFP_COMP\nget_page #0 page=0\nput_page #0 page=0 cpu=0\nput_page #0 page=1 cpu=0\n")
        for quiet in [headPut, notLast, neverShared, order1] { #expect(lockstep(planted: true).run(quiet).verdict == .passed) }
    }

    @Test func eventDivergenceIsFound() {
        let report = lockstep(against: .distorted(.dropAllocationEvent)).run(program("drain_all\nalloc cpu=1 order=0 gfp=GFP_KERNEL\n"))
        #expect(report.title == "divergence: events: alloc_pages")
        #expect(report.failingOperationIndex == 1)
        #expect(report.text.contains("mm_page_alloc: page="))
    }

    @Test func snapshotDivergenceNamesZoneAndField() {
        let report = lockstep(against: .distorted(.snapshotPCPHigh)).run(program("drain_all\n"))
        #expect(report.title == "divergence: snapshot: pagesets.high")
        #expect(report.failingOperationIndex == nil)
        #expect(report.text.contains("at boot, before the first operation"))
        #expect(report.text.contains("Node 0 DMA32: pagesets[cpu 0].high"))
    }

    @Test func invariantViolationIsReportedWithItsChecker() {
        let runner = LockstepRunner(configuration: LockstepConfiguration(allocators: .audit(.distorted(.hideBuddyPage))))
        let report = runner.run(program("drain_all\n"))
        #expect(report.verdict == .invariantViolation)
        #expect(report.verdict.exitStatus == 2)
        #expect(report.title == "invariant: PageBuddyChecker: not-buddy-head")
        #expect(report.text.contains("PageBuddy pages:"))
    }

    @Test func bookkeepingDisagreementIsAnInvariantViolation() {
        let runner = LockstepRunner(configuration: LockstepConfiguration(allocators: .audit(.distorted(.splitReportsFree))))
        let report = runner.run(program("alloc cpu=0 order=2 gfp=GFP_KERNEL\nsplit_page #0\n"))
        #expect(report.title == "invariant: UserBookkeeping: pages-freed")
        #expect(report.failingOperationIndex == 1)
    }

    @Test func livenessFailureWhenPagesStayOnPCPLists() {
        let runner = LockstepRunner(configuration: LockstepConfiguration(allocators: .audit(.distorted(.drainAllIgnored))))
        let report = runner.run(program("alloc cpu=0 order=0 gfp=GFP_KERNEL\nfree #0 cpu=0\n"))
        #expect(report.verdict == .livenessFailure)
        #expect(report.verdict.exitStatus == 3)
        #expect(report.title == "liveness: pcp-count")
        #expect(report.text.contains("in the liveness phase"))
    }

    /// A runner keeps the boot check's verdict and the boot snapshot of the last profile it
    /// booted: a report is the same from a fresh runner as from one that ran other programs,
    /// on other profiles, before it.
    @Test func aReportDoesNotDependOnTheRunsBeforeIt() {
        let programs = [
            ProgramGenerator.program(seed: 11, operations: 300, profile: BuiltInProfiles.tiny),
            ProgramGenerator.program(seed: 12, operations: 300, profile: BuiltInProfiles.small),
            ProgramGenerator.program(seed: 13, operations: 300, profile: BuiltInProfiles.tiny),
        ]
        let warmed = lockstep(checkEvery: 64)
        let first = programs.map { warmed.run($0) }
        let again = programs.map { warmed.run($0) }
        let fresh = programs.map { lockstep(checkEvery: 64).run($0) }
        #expect(first == fresh)
        #expect(again == fresh)
        #expect(fresh.allSatisfy { $0.verdict == .passed && $0.text.contains("full checks") })

        // The liveness phase compares with the kept boot snapshot.
        let leaking = LockstepRunner(configuration: LockstepConfiguration(allocators: .audit(.distorted(.drainAllIgnored))))
        let leak = program("alloc cpu=0 order=0 gfp=GFP_KERNEL\nfree #0 cpu=0\n")
        let reports = (0..<2).map { _ in leaking.run(leak) }
        #expect(reports.map(\.title) == ["liveness: pcp-count", "liveness: pcp-count"])
        #expect(reports[0] == reports[1])
    }

    @Test func livenessFreesEveryReferenceHeld() {
        let report = lockstep().run(program("""
            alloc cpu=0 order=3 gfp=GFP_KERNEL
            get_page #0 page=0
            get_page #0 page=0
            alloc cpu=1 order=2 gfp=GFP_KERNEL|__GFP_COMP
            get_page #1 page=2
            alloc cpu=1 order=2 gfp=GFP_KERNEL
            split_page #2
            isolate block=100
            """))
        #expect(report.verdict == .passed, "\(report.text)")
    }

    @Test func operationsWithNothingToActOnAreRecordedNoOps() {
        let report = lockstep().run(program("free #3 cpu=0\nput_page #0 page=1 cpu=1\nsplit_page #9\ninvalid double-free cpu=0 arg=1\n"))
        #expect(report.verdict == .passed)
        #expect(report.operationsRun == 4)
    }

    @Test func invalidOperationsAreRefusedIdentically() {
        let report = lockstep(checkEvery: 1).run(program("""
            alloc cpu=0 order=2 gfp=GFP_KERNEL|__GFP_COMP
            alloc cpu=0 order=2 gfp=GFP_KERNEL
            alloc cpu=0 order=0 gfp=GFP_KERNEL
            free #2 cpu=0
            invalid double-free cpu=0 arg=0
            invalid tail-page cpu=1 arg=5
            invalid wrong-order cpu=0 arg=1
            invalid bad-pfn cpu=0 arg=3
            invalid bad-pfn cpu=0 arg=70
            invalid refcount-underflow cpu=0 arg=2
            invalid order-too-large cpu=0 arg=0
            invalid bad-cpu cpu=0 arg=0
            invalid bad-cpu cpu=0 arg=3
            invalid sysctl-out-of-range cpu=0 arg=2
            """))
        #expect(report.verdict == .passed, "\(report.text)")
    }

    @Test func reportsAreDeterministic() {
        let generated = ProgramGenerator.program(seed: 21, operations: 300)
        let first = lockstep(planted: true).run(generated)
        let second = lockstep(planted: true).run(generated)
        #expect(first == second)
    }
}
