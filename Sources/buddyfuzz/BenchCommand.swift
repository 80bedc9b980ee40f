import ArgumentParser
import Benchmarks
import BuddyVocabulary
import OptimizedAllocator

/// `buddyfuzz bench`: fixed, seeded workloads on both allocators, as a table or JSON lines.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Time fixed, seeded workloads on the reference and the optimized allocator.",
        discussion: "Measure a release build: swift run -c release buddyfuzz bench [--quick] [--json]. See docs/PERFORMANCE.md.")

    @Flag(help: "Fewer operations, so that the whole run stays under two minutes.")
    var quick = false

    @Flag(help: "One JSON object per line instead of a table.")
    var json = false

    @Option(help: "Run one workload: \(BenchWorkload.allCases.map(\.rawValue).joined(separator: ", ")).")
    var workload: String?

    @Option(help: "Run one profile (a built-in name or a JSON file) instead of \(BenchCommand.defaultProfiles.joined(separator: ", ")).")
    var profile: String?

    @Option(help: "Also time the optimized allocator with these planted faults (comma-separated names).")
    var mutants: String?

    @Flag(help: "Time the optimized allocator only (for profiling it).")
    var skipReference = false

    static let defaultProfiles = ["bench-64ki", "bench-1mi", "bench-16mi"]

    func validate() throws {
        if let workload, BenchWorkload(rawValue: workload) == nil {
            throw ValidationError("unknown workload \"\(workload)\" (known: \(BenchWorkload.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        if let mutants { _ = try Self.parseMutants(mutants) }
        if let profile { _ = try Self.loadProfile(profile) }
    }

    static func parseMutants(_ text: String) throws -> MutantSet {
        var set = MutantSet()
        for name in text.split(separator: ",").map(String.init) {
            guard let mutant = Mutant(name: name) else {
                throw ValidationError("unknown mutant \"\(name)\" (known: \(Mutant.allCases.map(\.name).joined(separator: ", ")))")
            }
            set.formUnion(MutantSet([mutant]))
        }
        return set
    }

    static func loadProfile(_ name: String) throws -> Profile {
        do {
            return try Profile.named(name)
        } catch {
            throw ValidationError(error.description)
        }
    }

    func run() throws {
        let workloads = workload.map { [BenchWorkload(rawValue: $0)!] } ?? BenchWorkload.allCases
        let profiles = try (profile.map { [$0] } ?? Self.defaultProfiles).map(Self.loadProfile)
        let planted = try mutants.map(Self.parseMutants)
        let runner = BenchRunner(quick: quick, includeReference: !skipReference)
        if !json { print(BenchRow.tableHeader) }
        for profile in profiles {
            for workload in workloads {
                let row = runner.run(workload, on: profile, mutants: planted)
                print(json ? row.jsonLine : row.tableLine)
            }
        }
    }
}
