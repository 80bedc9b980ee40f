/// A fault that can be planted in the optimized allocator to prove that the lockstep harness
/// notices when the two allocators disagree.
public enum Mutant: Int, CaseIterable, Sendable {
    case placeholder = 0

    @usableFromInline var bit: UInt64 { 1 << UInt64(rawValue) }

    /// The mutant's command-line name.
    public var name: String { "placeholder" }

    public init?(name: String) {
        guard let mutant = Mutant.allCases.first(where: { $0.name == name }) else { return nil }
        self = mutant
    }
}

/// The faults planted at boot; empty by default.
public struct MutantSet: OptionSet, Sendable, Hashable {
    public var rawValue: UInt64
    public init(rawValue: UInt64) { self.rawValue = rawValue }
    public init(_ mutants: [Mutant]) { rawValue = mutants.reduce(0) { $0 | $1.bit } }
}
