@_exported import Lockstep
import OptimizedAllocator

/// How the fuzz targets and the fuzzing commands run the lockstep harness: one place, so the
/// configuration a finding was made with is the one triage and minimization use.
public enum FuzzHarness {
    /// The system under test.
    static let optimized = AllocatorFactory(name: "optimized") { OptimizedPageAllocator(profile: $0) }

    /// The reference against the optimized allocator, with the harness's defaults (outcomes and
    /// events compared after every call, full snapshots and the invariant checkers every 1,024
    /// operations and after the last one, then the liveness phase).
    public static func configuration(plantedDivergence: Bool) -> LockstepConfiguration {
        LockstepConfiguration(allocators: .lockstep(reference: .reference, subject: optimized), plantedDivergence: plantedDivergence)
    }

    public static func runner(plantedDivergence: Bool) -> LockstepRunner {
        LockstepRunner(configuration: configuration(plantedDivergence: plantedDivergence))
    }
}

/// Shrinks a failing program one operation at a time while it keeps its failure title.
public enum GreedyMinimizer {
    /// Runs at most `runLimit` candidate programs.
    public static func minimize(_ program: Program, runner: LockstepRunner, runLimit: Int = 20_000) -> Program {
        let title = runner.run(program).title
        var current = program
        var index = current.operations.count - 1
        var runs = 0
        while index >= 0, runs < runLimit {
            var candidate = current
            candidate.operations.remove(at: index)
            runs += 1
            if runner.run(candidate).title == title { current = candidate }
            index = min(index - 1, current.operations.count - 1)
        }
        return current
    }
}
