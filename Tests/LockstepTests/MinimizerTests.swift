import BuddyVocabulary
import Lockstep
import Testing

@Suite struct MinimizerTests {
    let runner = lockstep(checkEvery: 1024, planted: true)

    @Test func plantedDivergenceMinimizesToItsFourOperations() throws {
        let padded = program("""
            alloc cpu=1 order=0 gfp=GFP_KERNEL
            alloc cpu=0 order=3 gfp=GFP_ATOMIC|__GFP_COMP
            drain cpu=1
            alloc cpu=1 order=1 gfp=GFP_HIGHUSER_MOVABLE
            get_page #1 page=4
            vmstat_tick cpu=0
            free #0 cpu=1
            sysctl watermark_scale_factor=100
            put_page #1 page=0 cpu=1
            alloc cpu=0 order=0 gfp=GFP_KERNEL
            put_page #1 page=6 cpu=1
            drain_all
            """, profile: "tiny-numa")
        var messages: [String] = []
        let (minimized, report) = try #require(ProgramMinimizer(runner: runner).minimize(padded) { messages.append($0) })
        #expect(report.title == "divergence: outcome: put_page")
        #expect(minimized.profile.name == "tiny")
        #expect(minimized.operations.count <= 4, "\(ProgramText.render(minimized))")
        #expect(messages.first == "minimize: 12 operations, keeping 'divergence: outcome: put_page'")
        #expect(messages.last?.hasPrefix("done: \(minimized.operations.count) operations after") == true)
    }

    @Test func generatedFindingMinimizesToAHandful() throws {
        let found = try #require((UInt64(0)..<40).lazy
            .map { ProgramGenerator.program(seed: $0, operations: 200, profile: BuiltInProfiles.tiny) }
            .first { runner.run($0).verdict == .divergence })
        let (minimized, report) = try #require(ProgramMinimizer(runner: runner).minimize(found))
        #expect(report.title == "divergence: outcome: put_page")
        #expect(minimized.operations.count <= 5, "\(ProgramText.render(minimized))")
        #expect(runner.run(minimized).title == report.title)
    }

    @Test func passingProgramHasNothingToMinimize() {
        #expect(ProgramMinimizer(runner: runner).minimize(program("alloc cpu=0 order=0 gfp=GFP_KERNEL\n")) == nil)
    }
}
