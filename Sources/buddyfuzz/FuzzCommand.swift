import ArgumentParser
import BuddyVocabulary
import Foundation
import FuzzSupport

/// `buddyfuzz fuzz [TARGET] [-- libFuzzer flags]`: builds the instrumented target and fuzzes it,
/// like `cargo fuzz run`.
struct FuzzCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fuzz",
        abstract: "Build a libFuzzer target with AddressSanitizer and fuzz it.",
        discussion: """
            Seeds come from corpus/TARGET; new inputs go to .fuzz-out/corpus/TARGET (or --corpus);
            findings (input, .ops program, .txt report) go to findings/TARGET/. Flags after `--`
            go to libFuzzer and win over the defaults, e.g. `buddyfuzz fuzz -- -runs=10000 -seed=1`.
            Exit status: 0 no finding, 1 divergence, 2 invariant violation, 3 liveness failure,
            4 crash or timeout, 64 usage, 70 build failure.
            """)

    @Argument(help: "The fuzz target: \(FuzzWorkspace.targets.joined(separator: " or ")).")
    var target: String = FuzzWorkspace.defaultTarget

    @Option(help: "Seconds to fuzz (-max_total_time).")
    var time: Int = 180

    @Option(help: "Parallel fuzzing processes (libFuzzer -fork).")
    var jobs: Int = 1

    @Option(help: "address (AddressSanitizer) or none.")
    var sanitizer: String = FuzzSanitizer.address.rawValue

    @Flag(inversion: .prefixedNo, help: "Also instrument comparisons for libFuzzer's value-guided mutations (-sanitize-coverage=trace-cmp, built into .build-fuzz-cmp); off by default: edge coverage alone runs twice as many inputs a second.")
    var traceCmp = false

    @Option(help: "Custom mutator: bytes (libFuzzer's own) or operations (half structure-aware).")
    var mutator: String = FuzzSettings.MutatorMode.standard.rawValue

    @Option(help: "The profile every mutated input is pinned to (\(FuzzingProfiles.names.joined(separator: ", "))), or any.")
    var profile: String = BuiltInProfiles.tiny.name

    @Option(help: "The writable corpus folder (default .fuzz-out/corpus/TARGET).")
    var corpus: String?

    @Option(help: "The findings folder (default findings/TARGET).")
    var findings: String?

    @Flag(help: "Turn on the runner's planted divergence (the canary the fuzzer must find).")
    var plantedDivergence = false

    @Flag(help: "Start without the checked-in seeds of corpus/TARGET (the canary must be found from nothing).")
    var noSeeds = false

    @Flag(help: "Use the instrumented binary as built, without rebuilding it.")
    var noBuild = false

    @Argument(parsing: .postTerminator, help: "libFuzzer flags, after `--`.")
    var libFuzzerFlags: [String] = []

    func validate() throws {
        guard FuzzWorkspace.targets.contains(target) else {
            throw ValidationError("unknown fuzz target '\(target)'; the targets are: \(FuzzWorkspace.targets.joined(separator: ", "))")
        }
        guard FuzzSanitizer(rawValue: sanitizer) != nil else { throw ValidationError("--sanitizer is address or none") }
        guard FuzzSettings.MutatorMode(rawValue: mutator) != nil else { throw ValidationError("--mutator is operations or bytes") }
        guard time > 0, jobs > 0 else { throw ValidationError("--time and --jobs must be positive") }
        guard profile == FuzzSettings.anyProfile || FuzzingProfiles.named(profile) != nil else {
            throw ValidationError("--profile is one of \(FuzzingProfiles.names.joined(separator: ", ")) or any")
        }
    }

    func run() throws {
        do {
            let status = try fuzz()
            if status != 0 { throw ExitCode(status) }
        } catch let error as FuzzError {
            log("error: \(error)")
            throw ExitCode(error.exitStatus)
        }
    }

    func fuzz() throws -> Int32 {
        let workspace = try FuzzWorkspace()
        let builder = FuzzBuilder(workspace: workspace, sanitizer: FuzzSanitizer(rawValue: sanitizer)!, traceComparisons: traceCmp)
        if !noBuild { try builder.build([target]) }
        let settings = FuzzSettings(
            findingsDirectory: findings.map(workspace.relativeToRoot) ?? workspace.findings(target), plantedDivergence: plantedDivergence,
            mutator: FuzzSettings.MutatorMode(rawValue: mutator)!,
            profile: profile == FuzzSettings.anyProfile ? nil : profile)
        let session = LibFuzzerSession(workspace: workspace, target: target, binary: builder.binary(target), settings: settings)
        var flags = ["-max_total_time=\(time)"]
        if jobs > 1 { flags.append("-fork=\(jobs)") }
        let writable = corpus.map(workspace.relativeToRoot) ?? workspace.workCorpus(target)
        let corpora = noSeeds || writable == workspace.seedCorpus(target) ? [writable] : [writable, workspace.seedCorpus(target)]
        log("target \(target), profile \(profile), sanitizer \(sanitizer), comparisons \(traceCmp ? "traced" : "not traced"), mutator \(mutator), \(time) s, \(jobs) job(s)\(plantedDivergence ? ", planted divergence on" : "")")
        let stats = try session.run(corpora: corpora, flags: flags + libFuzzerFlags, echo: true, logPath: nil)
        let summary = FuzzSummary(
            target: target, binary: builder.binary(target), stats: stats, corpus: writable,
            findings: settings.findingsDirectory, workspace: workspace)
        FileHandle.standardError.write(Data(summary.text.utf8))
        return summary.exitStatus()
    }
}

/// The stats block printed at the end of a fuzzing run.
struct FuzzSummary {
    let target: String
    let binary: String
    let stats: LibFuzzerStats
    let corpus: String
    let findings: String
    let workspace: FuzzWorkspace

    var text: String {
        var lines = [
            "",
            "== buddyfuzz fuzz \(target) ==",
            "executions       \(stats.executions)",
            "exec/s           \(stats.executionsPerSecond)",
            "corpus           \(stats.corpusSize) inputs in \(relative(corpus)) (\(stats.newInputs) new)",
            "coverage         \(stats.coverage) edges, \(stats.features) features",
            "findings         \(stats.newFindings.count) new in \(findings)",
        ]
        for finding in stats.newFindings {
            let absolute = workspace.path(finding)
            lines.append("  \(finding): \(FindingArtifacts.field("title", of: absolute) ?? "crash or timeout without a lockstep report")")
            let commands = FindingArtifacts.lines(startingWith: "Reproduce with:", of: absolute) + FindingArtifacts.lines(startingWith: "Minimize with:", of: absolute)
            lines += commands.isEmpty ? ["    Reproduce with: SWIFT_BACKTRACE=enable=no \(workspace.relative(binary)) \(finding)"] : commands.map { "    " + $0 }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    func relative(_ path: String) -> String { workspace.relative(path) }

    /// 0 when nothing was found; else the class of the first finding.
    func exitStatus() -> Int32 {
        guard let first = stats.newFindings.first.map(workspace.path) else {
            return stats.exitStatus == 0 || stats.exitStatus == 128 + SIGINT ? 0 : 4
        }
        return Self.exitStatus(verdict: FindingArtifacts.field("verdict", of: first))
    }

    /// The exit status of a verdict named in a finding's report; a finding without one is a crash.
    static func exitStatus(verdict: String?) -> Int32 {
        let name = (verdict ?? "").lowercased()
        if name.contains("divergence") { return 1 }
        if name.contains("invariant") { return 2 }
        if name.contains("liveness") { return 3 }
        return 4
    }
}
