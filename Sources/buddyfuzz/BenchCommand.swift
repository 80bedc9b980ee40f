import ArgumentParser
import Benchmarks
import BuddyVocabulary
import Foundation
import Lockstep
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

    @Option(help: "Run one workload: \(BenchCommand.workloadNames.joined(separator: ", ")).")
    var workload: String?

    @Option(help: "Run one profile (a built-in name or a JSON file) instead of \(BenchCommand.defaultProfiles.joined(separator: ", ")).")
    var profile: String?

    @Option(help: "Also time the optimized allocator with these planted faults (comma-separated names).")
    var mutants: String?

    @Flag(help: "Time the optimized allocator only (for profiling it).")
    var skipReference = false

    static let defaultProfiles = ["bench-64ki", "bench-1mi", "bench-16mi"]

    /// The harness's own speed: a lockstep run on this profile (issue target: 10^6 operations/s).
    static let lockstepWorkload = "lockstep"
    static let lockstepProfile = "tiny"
    /// The executable specification on a real-size machine: boot, then 100,000 mixed calls.
    static let referenceBootWorkload = "reference-boot"
    static let referenceBootProfile = "x86-64-4g"
    static let referenceBootCalls = 100_000

    static var workloadNames: [String] { BenchWorkload.allCases.map(\.rawValue) + [lockstepWorkload, referenceBootWorkload] }

    func validate() throws {
        if let workload, !Self.workloadNames.contains(workload) {
            throw ValidationError("unknown workload \"\(workload)\" (known: \(Self.workloadNames.joined(separator: ", ")))")
        }
        if skipReference, let workload, [Self.lockstepWorkload, Self.referenceBootWorkload].contains(workload) {
            throw ValidationError("--workload \(workload) runs the reference allocator: it cannot be combined with --skip-reference")
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
        let allocatorWorkloads = workload.map { BenchWorkload(rawValue: $0).map { [$0] } ?? [] } ?? BenchWorkload.allCases
        if !allocatorWorkloads.isEmpty {
            let profiles = try (profile.map { [$0] } ?? Self.defaultProfiles).map(Self.loadProfile)
            let planted = try mutants.map(Self.parseMutants)
            let runner = BenchRunner(quick: quick, includeReference: !skipReference)
            if !json { print(BenchRow.tableHeader) }
            for profile in profiles {
                for workload in allocatorWorkloads {
                    let row = runner.run(workload, on: profile, mutants: planted)
                    print(json ? row.jsonLine : row.tableLine)
                }
            }
        }
        // Both measures below run the reference, so --skip-reference skips them.
        if skipReference { return }
        if workload == nil || workload == Self.lockstepWorkload {
            try runLockstep(profile: Self.loadProfile(workload == nil ? Self.lockstepProfile : profile ?? Self.lockstepProfile))
        }
        if workload == nil || workload == Self.referenceBootWorkload {
            try runReferenceBoot(profile: Self.loadProfile(workload == nil ? Self.referenceBootProfile : profile ?? Self.referenceBootProfile))
        }
    }

    /// The fastest of three lockstep runs of one generated program (seed 1): outcomes and
    /// events compared after every call, snapshots and invariant checkers every 1,024 operations.
    func runLockstep(profile: Profile) {
        let operations = quick ? 200_000 : 1_000_000
        let checkEvery = 1024
        var best: (operations: Int, seconds: Double, title: String)?
        for _ in 0..<3 {
            let timing = LockstepBenchmark.run(profile: profile, operations: operations, checkEvery: checkEvery)
            if best.map({ timing.seconds < $0.seconds }) ?? true { best = timing }
        }
        guard let best else { return }
        let perSecond = Double(best.operations) / max(best.seconds, 1e-9)
        // A finding ends the run early: the rate would then be of a shorter, different run.
        if best.title != "passed" { printError("bench: the lockstep program stopped after \(best.operations) operations: \(best.title)") }
        if json {
            print("{\"workload\": \"\(Self.lockstepWorkload)\", \"profile\": \"\(profile.name)\", \"operations\": \(best.operations), \"checkEvery\": \(checkEvery), \"seconds\": \(String(format: "%.4f", best.seconds)), \"operationsPerSecond\": \(String(format: "%.0f", perSecond))}")
        } else {
            print("")
            print("harness: lockstep reference vs optimized on \(profile.name): \(String(format: "%.0f", perSecond)) operations/s (\(best.operations) operations in \(String(format: "%.3f", best.seconds)) s; outcomes and events compared after every call, full checks every \(checkEvery) operations; fastest of 3)")
        }
    }

    /// The reference booted on a real-size machine, then the mixed workload's calls, timed as a whole.
    func runReferenceBoot(profile: Profile) {
        let timing = ReferenceBootBenchmark.run(profile: profile, calls: Self.referenceBootCalls)
        if json {
            print("{\"workload\": \"\(Self.referenceBootWorkload)\", \"profile\": \"\(profile.name)\", \"pages\": \(profile.allZones.reduce(0) { $0 + $1.zone.managedPages }), \"bootSeconds\": \(String(format: "%.3f", timing.bootSeconds)), \"calls\": \(timing.calls), \"callSeconds\": \(String(format: "%.3f", timing.callSeconds)), \"totalSeconds\": \(String(format: "%.3f", timing.totalSeconds))}")
        } else {
            print("")
            print("reference on \(profile.name): boot \(String(format: "%.3f", timing.bootSeconds)) s, then \(timing.calls) mixed calls in \(String(format: "%.3f", timing.callSeconds)) s (\(String(format: "%.3f", timing.totalSeconds)) s in all)")
        }
    }
}
