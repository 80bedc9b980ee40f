import BuddyVocabulary
import Lockstep
import Testing

@Suite struct GeneratorTests {
    @Test func xoshiroMatchesTheReferenceSequence() {
        // SplitMix64 seeded with 0 gives these first words (Vigna's reference implementation).
        var mixer = SplitMix64(seed: 0)
        #expect(mixer.next() == 0xE220_A839_7B1D_CDAF)
        #expect(mixer.next() == 0x6E78_9E6A_A1B9_65F4)
        var first = Xoshiro256StarStar(seed: 99)
        var second = Xoshiro256StarStar(seed: 99)
        for _ in 0..<100 { #expect(first.next() == second.next()) }
    }

    @Test func aSeedDerivesTheSameConfigurationAndProgramEveryTime() {
        for seed: UInt64 in [0, 1, 42, 1 << 40] {
            #expect(GeneratorConfiguration.derive(seed: seed) == GeneratorConfiguration.derive(seed: seed))
            #expect(ProgramGenerator.program(seed: seed, operations: 500) == ProgramGenerator.program(seed: seed, operations: 500))
        }
        #expect(ProgramGenerator.program(seed: 1, operations: 100) != ProgramGenerator.program(seed: 2, operations: 100))
    }

    @Test func swarmSwitchesKindsOffAndVariesProfiles() {
        var profiles: [String] = []
        var seedsWithKindOff = 0
        for seed: UInt64 in 0..<100 {
            let configuration = GeneratorConfiguration.derive(seed: seed)
            if !profiles.contains(configuration.profile.name) { profiles.append(configuration.profile.name) }
            let program = ProgramGenerator(configuration: configuration).generating(operations: 1000)
            let used = ProgramOperationKind.allCases.filter { kind in program.operations.contains { $0.kind == kind } }
            for kind in ProgramOperationKind.allCases where configuration.kindWeights[kind.rawValue] == 0 {
                #expect(!used.contains(kind), "seed \(seed): \(kind) is off but generated")
            }
            #expect(used.contains(.allocate))
            #expect(used.contains(.free) || used.contains(.putPage))
            if configuration.kindWeights.contains(0) { seedsWithKindOff += 1 }
        }
        #expect(profiles.sorted() == FuzzingProfiles.names.sorted())
        #expect(seedsWithKindOff > 50)
    }

    @Test func invalidOperationsStayRare() {
        var invalid = 0
        var total = 0
        for seed: UInt64 in 0..<50 {
            let program = ProgramGenerator.program(seed: seed, operations: 2000)
            invalid += program.operations.filter { $0.kind == .invalid }.count
            total += program.operations.count
        }
        #expect(invalid > 0)
        #expect(invalid * 50 < total, "more than 2% invalid: \(invalid) of \(total)")
    }

    @Test func descriptionListsTheSeedAndEveryDerivedOption() {
        let configuration = GeneratorConfiguration.derive(seed: 42)
        let lines = configuration.description.split(separator: "\n").map { $0.split(separator: " ")[0] }
        #expect(lines == ["seed", "profile", "operations", "orders", "gfp", "gfp-modifiers", "cpus", "tail-pages", "invalid", "sysctl", "prologue"])
        #expect(configuration.description.hasPrefix("seed 42 (0x2a)\nprofile \(configuration.profile.name)\n"))
    }
}

extension ProgramGenerator {
    func generating(operations count: Int) -> Program {
        var copy = self
        return copy.generate(operations: count)
    }
}
