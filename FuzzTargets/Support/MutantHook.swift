import Foundation
import Lockstep
import OptimizedAllocator
import Synchronization

/// The bug-hunt hook of the `lockstep` fuzz target, read from `BUDDYFUZZ_MUTANT`
/// (`NAME[,NAME...]`, the names of `Mutant`): the optimized side runs with those faults planted,
/// which is how `buddyfuzz hunt --mode fuzz` measures libFuzzer's efficacy. The variable passes
/// through `buddyfuzz fuzz` to the target unchanged (`BUDDYFUZZ_MUTANT=NAME buddyfuzz fuzz`).
///
/// A failing input counts only if the same program, cut after its failing operation, passes
/// without the mutants; otherwise it is a divergence the two models have on their own, and the
/// target returns -1 so libFuzzer neither reports it nor keeps it in the corpus. A counted
/// finding first prints `huntLine` with the executions and operations run so far.
public final class MutantHook: Sendable {
    public static let variable = "BUDDYFUZZ_MUTANT"

    public let mutants: MutantSet
    /// The reference against the optimized allocator with the mutants planted, with the fuzz
    /// targets' configuration otherwise.
    public let runner: LockstepRunner
    let cleanRunner: LockstepRunner
    let counters = Mutex<(executions: Int, operations: Int)>((0, 0))

    public init(mutants: MutantSet) {
        self.mutants = mutants
        let planted = AllocatorFactory.optimized(mutants: mutants)
        runner = LockstepRunner(configuration: LockstepConfiguration(allocators: .lockstep(reference: .reference, subject: planted)))
        cleanRunner = LockstepRunner(configuration: LockstepConfiguration(allocators: .standard))
    }

    /// The mutants named in `value`, or the first unknown name.
    public static func parse(_ value: String) -> Result<MutantSet, UnknownMutant> {
        var mutants: [Mutant] = []
        for name in value.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !name.isEmpty {
            guard let mutant = Mutant(name: name) else { return .failure(UnknownMutant(name: name)) }
            mutants.append(mutant)
        }
        return .success(MutantSet(mutants))
    }

    public struct UnknownMutant: Error, CustomStringConvertible {
        public var name: String
        public var description: String {
            "\(MutantHook.variable): unknown mutant '\(name)'; the mutants are: \(Mutant.allCases.map(\.name).joined(separator: ", "))"
        }
    }

    /// The hook the environment asks for, nil when `BUDDYFUZZ_MUTANT` is unset or empty. An
    /// unknown name ends the process with status 64 and the list of names.
    public static func fromEnvironment() -> MutantHook? {
        guard let value = ProcessInfo.processInfo.environment[variable], !value.isEmpty else { return nil }
        switch parse(value) {
        case .success(let mutants): return mutants.mutants.isEmpty ? nil : MutantHook(mutants: mutants)
        case .failure(let unknown):
            FileHandle.standardError.write(Data("buddyfuzz: error: \(unknown)\n".utf8))
            exit(64)
        }
    }

    /// Counts one execution and its operations.
    public func count(_ report: RunReport) {
        counters.withLock {
            $0.executions += 1
            $0.operations += report.operationsRun
        }
    }

    /// Whether a failing run is the mutants' doing. When it is, prints `huntLine` on standard
    /// error before the caller records the finding.
    public func confirms(_ program: Program, _ report: RunReport) -> Bool {
        guard cleanRunner.run(HuntTrial.prefix(program, report.operationsRun)).verdict == .passed else { return false }
        let (executions, operations) = counters.withLock { $0 }
        FileHandle.standardError.write(Data((Self.huntLine(executions: executions, operations: operations) + "\n").utf8))
        return true
    }

    static let huntPrefix = "buddyfuzz hunt: detected after "

    /// `buddyfuzz hunt: detected after 812 executions, 40210 operations`.
    public static func huntLine(executions: Int, operations: Int) -> String {
        huntPrefix + "\(executions) executions, \(operations) operations"
    }

    /// The executions and operations of the last hunt line in a target's output.
    public static func parseHuntLine(in output: String) -> (executions: Int, operations: Int)? {
        guard let line = output.split(separator: "\n").last(where: { $0.hasPrefix(huntPrefix) }) else { return nil }
        let numbers = line.dropFirst(huntPrefix.count).split(whereSeparator: { !$0.isNumber }).compactMap { Int($0) }
        guard numbers.count == 2 else { return nil }
        return (numbers[0], numbers[1])
    }
}
