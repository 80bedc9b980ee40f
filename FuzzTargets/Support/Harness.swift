@_exported import Lockstep

/// How the fuzz targets and the fuzzing commands run the lockstep harness: one place, so the
/// configuration a finding was made with is the one triage and minimization use, and the one
/// `buddyfuzz replay` and `minimize` use with the same flags.
public enum FuzzHarness {
    /// The reference against the optimized allocator, with the harness's defaults (outcomes and
    /// events compared after every call, full snapshots and the invariant checkers every 1,024
    /// operations and after the last one, then the liveness phase).
    public static func configuration(plantedDivergence: Bool) -> LockstepConfiguration {
        LockstepConfiguration(allocators: .standard, plantedDivergence: plantedDivergence)
    }

    public static func runner(plantedDivergence: Bool) -> LockstepRunner {
        LockstepRunner(configuration: configuration(plantedDivergence: plantedDivergence))
    }
}
