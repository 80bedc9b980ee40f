import BuddyVocabulary

/// The harness's own speed: lockstep operations per second, for the `bench` command.
public enum LockstepBenchmark {
    /// Generates a program of `operations` operations on `profile` (seed 1, swarm options of
    /// that seed), then times its lockstep run: outcomes and events compared after every call,
    /// full snapshots and invariant checkers every `checkEvery` operations. Program generation
    /// and the liveness phase are not timed (the liveness phase is off).
    public static func run(profile: Profile, operations: Int, checkEvery: Int = 1024) -> (operations: Int, seconds: Double, title: String) {
        let program = ProgramGenerator.program(seed: 1, operations: operations, profile: profile)
        let configuration = LockstepConfiguration(allocators: .standard, checkEvery: checkEvery, livenessPhase: false)
        let runner = LockstepRunner(configuration: configuration)
        let clock = ContinuousClock()
        let start = clock.now
        let report = runner.run(program)
        let elapsed = clock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return (report.operationsRun, seconds, report.title)
    }
}
