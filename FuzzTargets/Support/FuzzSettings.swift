import Foundation
import Lockstep

/// What a fuzz target reads from its environment, once per process. `buddyfuzz fuzz` and
/// `buddyfuzz campaign` set these; libFuzzer's own flags stay on its command line.
public struct FuzzSettings: Sendable {
    /// Which mutations the lockstep target's custom mutator makes. Both keep the
    /// operation-level cross-over (`LLVMFuzzerCustomCrossOver`).
    public enum MutatorMode: String, Sendable, CaseIterable {
        /// Half operation-level mutations, half libFuzzer's byte mutations.
        case operations
        /// libFuzzer's byte mutations (`LLVMFuzzerMutate`): the default, because it reached more
        /// coverage in the same time with the canary found as fast (docs/FUZZING.md).
        case bytes

        public static let standard = MutatorMode.bytes
    }

    /// Where a finding's reproducer and report go (`BUDDYFUZZ_FINDINGS`).
    public var findingsDirectory: String
    /// The runner's test-only planted divergence (`BUDDYFUZZ_PLANTED_DIVERGENCE=1`): the canary.
    public var plantedDivergence: Bool
    /// `BUDDYFUZZ_MUTATOR`: `bytes` (default) or `operations`.
    public var mutator: MutatorMode
    /// `BUDDYFUZZ_PROFILE`: the fuzzing profile every mutated input is pinned to, or nil (`any`)
    /// to let each input's header choose.
    public var profile: String?

    public static let findingsVariable = "BUDDYFUZZ_FINDINGS"
    public static let plantedDivergenceVariable = "BUDDYFUZZ_PLANTED_DIVERGENCE"
    public static let mutatorVariable = "BUDDYFUZZ_MUTATOR"
    public static let profileVariable = "BUDDYFUZZ_PROFILE"
    /// The value of `BUDDYFUZZ_PROFILE` that lets each input choose its profile.
    public static let anyProfile = "any"

    public init(findingsDirectory: String, plantedDivergence: Bool = false, mutator: MutatorMode = .standard, profile: String? = nil) {
        self.findingsDirectory = findingsDirectory
        self.plantedDivergence = plantedDivergence
        self.mutator = mutator
        self.profile = profile
    }

    /// The header byte that selects the pinned profile (`ProgramCodec`'s profile index), or nil.
    public var pinnedProfileByte: UInt8? {
        guard let profile, let index = FuzzingProfiles.all.firstIndex(where: { $0.name == profile }) else { return nil }
        return UInt8(index)
    }

    /// Reads the settings of the fuzz target `target` from the process environment.
    public static func fromEnvironment(target: String) -> FuzzSettings {
        let environment = ProcessInfo.processInfo.environment
        let mutatorName = environment[mutatorVariable] ?? MutatorMode.standard.rawValue
        return FuzzSettings(
            findingsDirectory: environment[findingsVariable] ?? "findings/\(target)",
            plantedDivergence: environment[plantedDivergenceVariable] == "1",
            mutator: MutatorMode(rawValue: mutatorName) ?? .standard,
            profile: environment[profileVariable].flatMap { $0 == anyProfile ? nil : $0 })
    }
}
