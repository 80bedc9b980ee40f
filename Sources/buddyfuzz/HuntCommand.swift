import ArgumentParser
import BuddyVocabulary
import Foundation
import FuzzSupport
import Lockstep
import OptimizedAllocator
import Synchronization

/// `buddyfuzz hunt`: the bug-hunt benchmark. Plants each mutant of the optimized allocator in
/// turn and measures, over independent trials, how fast the harness notices it.
struct HuntCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hunt",
        abstract: "Measure how fast the harness detects each planted mutant of the optimized allocator.",
        discussion: """
            Trial i of a mutant runs the seed sequence derived from the mutant's name and i. \
            --mode stress runs seeded swarm programs through the lockstep runner with the mutant \
            as the subject; --mode fuzz runs the instrumented libFuzzer `lockstep` target with the \
            mutant selected (BUDDYFUZZ_MUTANT) and libFuzzer's -seed derived the same way. A \
            failing program counts only if it passes without the mutant. Operations to detection \
            are deterministic (stress mode); seconds are measurements. A trial is censored at \
            --budget seconds (and at --max-operations). Exits 0 when every trial detected its \
            mutant, 1 when some trial was censored.
            """)

    @Option(help: ArgumentHelp("Hunt one mutant.", valueName: "NAME"))
    var mutant: [String] = []

    @Flag(help: "Hunt every mutant.")
    var all = false

    @Option(help: "Seconds a trial may run before it is censored.")
    var budget: Double = 60

    @Option(help: "stress (seeded programs through the lockstep runner) or fuzz (the libFuzzer lockstep target).")
    var mode: HuntMode = .stress

    @Option(help: "Independent trials per mutant.")
    var trials: Int = 5

    @Flag(help: "One JSON object per mutant instead of the table.")
    var json = false

    @Flag(help: "Stress mode: after the results, print each mutant's cheapest detection as a regression pin (a line of Swift).")
    var pins = false

    @Option(help: "Stress mode: operations per generated program.")
    var ops: Int = HuntConfiguration.standard.operationsPerProgram

    @Option(name: .customLong("check-every"), help: "Stress mode: full snapshot comparison and invariant checks every K operations.")
    var checkEvery: Int = HuntConfiguration.standard.checkEvery

    @Option(name: .customLong("check-after-fallback"), help: "Stress mode: a full check after an operation that fell back to another migratetype, at most one per K operations (0: none).")
    var checkAfterFallback: Int = HuntConfiguration.standard.checkAfterFallback ?? 0

    @Option(help: ArgumentHelp("Stress mode: force a fuzzing profile.", valueName: FuzzingProfiles.names.joined(separator: "|")))
    var profile: String?

    @Option(name: .customLong("max-operations"), help: "Stress mode: censor a trial after this many program operations (a deterministic budget).")
    var maxOperations: Int?

    @Flag(help: "Stress mode: run the mutant alone, watched only by the invariant checkers, the bookkeeping and the liveness phase (no reference).")
    var audit = false

    @Option(help: "Trials run in parallel (seconds are most comparable with 1).")
    var jobs: Int = 1

    @Option(help: "Fuzz mode: address (AddressSanitizer) or none.")
    var sanitizer: String = FuzzSanitizer.none.rawValue

    @Flag(help: "Fuzz mode: use the instrumented binary as built, without rebuilding it.")
    var noBuild = false

    @Flag(name: .customLong("empty-corpus"), help: "Fuzz mode: start from an empty corpus instead of the checked-in seeds of corpus/lockstep.")
    var emptyCorpus = false

    func validate() throws {
        guard all != !mutant.isEmpty else { throw ValidationError("give --all or at least one --mutant NAME") }
        for name in mutant where Mutant(name: name) == nil {
            throw ValidationError("unknown mutant '\(name)'; the mutants are: \(Mutant.allCases.map(\.name).joined(separator: ", "))")
        }
        guard checkAfterFallback >= 0 else { throw ValidationError("--check-after-fallback must not be negative") }
        guard budget > 0, trials > 0, ops > 0, checkEvery > 0, jobs > 0 else {
            throw ValidationError("--budget, --trials, --ops, --check-every and --jobs must be positive")
        }
        if let maxOperations, maxOperations <= 0 { throw ValidationError("--max-operations must be positive") }
        if let profile, FuzzingProfiles.named(profile) == nil {
            throw ValidationError("--profile must be one of \(FuzzingProfiles.names.joined(separator: ", "))")
        }
        guard FuzzSanitizer(rawValue: sanitizer) != nil else { throw ValidationError("--sanitizer is address or none") }
        if pins && mode != .stress { throw ValidationError("--pins needs --mode stress") }
        if audit && mode != .stress { throw ValidationError("--audit needs --mode stress") }
        if audit && pins { throw ValidationError("--pins prints lockstep regression pins (HuntRegressionTests): leave out --audit") }
    }

    var mutants: [Mutant] { all ? Mutant.allCases : mutant.compactMap(Mutant.init(name:)) }

    var huntConfiguration: HuntConfiguration {
        HuntConfiguration(
            operationsPerProgram: ops, checkEvery: checkEvery, checkAfterFallback: checkAfterFallback == 0 ? nil : checkAfterFallback, profile: profile.flatMap(FuzzingProfiles.named),
            operationBudget: maxOperations ?? .max, audit: audit)
    }

    func run() throws {
        let header = headerLine
        if json { printError(header) } else { print(header) }
        let summaries: [HuntSummary]
        switch mode {
        case .stress: summaries = HuntScheduler(mutants: mutants, trials: trials, jobs: jobs).run(budget: budget, configuration: huntConfiguration)
        case .fuzz: summaries = try FuzzHunt(budget: budget, sanitizer: FuzzSanitizer(rawValue: sanitizer)!, build: !noBuild, seedCorpus: !emptyCorpus).run(mutants, trials: trials)
        }
        let renderer = HuntRenderer(mode: mode, budget: budget)
        if json {
            for summary in summaries { print(renderer.json(summary)) }
        } else {
            print(renderer.table(summaries))
        }
        if pins {
            for summary in summaries { print(HuntPin.best(of: summary.trials)?.sourceLine ?? "// \(summary.mutant.name): not detected") }
        }
        if summaries.contains(where: { $0.detectedCount < $0.trials.count }) { throw ExitCode(1) }
    }

    var headerLine: String {
        var parts = ["hunt: mode \(mode.rawValue)", "\(mutants.count) mutant(s)", "\(trials) trial(s) each", "budget \(HuntRenderer.number(budget)) s"]
        switch mode {
        case .stress:
            parts.append("\(ops) operations per program")
            parts.append("full check every \(checkEvery)" + (checkAfterFallback == 0 ? "" : " and after a fallback (at most one per \(checkAfterFallback))"))
            parts.append(profile.map { "profile \($0)" } ?? "profile per seed")
            if audit { parts.append("audit: the mutant alone, invariant checkers and liveness only") }
            if let maxOperations { parts.append("at most \(maxOperations) operations per trial") }
            parts.append("\(jobs) job(s)")
        case .fuzz:
            parts.append("libFuzzer target lockstep, sanitizer \(sanitizer), " + (emptyCorpus ? "empty corpus" : "seed corpus corpus/lockstep"))
        }
        return parts.joined(separator: ", ")
    }
}

enum HuntMode: String, ExpressibleByArgument, CaseIterable {
    case stress, fuzz
}

/// Runs every (mutant, trial) pair on `jobs` threads and gathers the results per mutant in
/// declaration order: the output never depends on the number of jobs (seconds aside).
struct HuntScheduler {
    let mutants: [Mutant]
    let trials: Int
    let jobs: Int

    func run(budget: Double, configuration: HuntConfiguration) -> [HuntSummary] {
        let tasks = mutants.flatMap { mutant in (0..<trials).map { (mutant, $0) } }
        let results = Mutex<[HuntTrialResult]>([])
        let next = Mutex(0)
        let group = DispatchGroup()
        for _ in 0..<min(jobs, tasks.count) {
            group.enter()
            Thread.detachNewThread {
                while let (mutant, trial) = next.withLock({ index -> (Mutant, Int)? in
                    guard index < tasks.count else { return nil }
                    index += 1
                    return tasks[index - 1]
                }) {
                    let result = HuntScheduler.runTrial(mutant, trial, budget: budget, configuration: configuration)
                    printError(HuntRenderer.progressLine(result))
                    results.withLock { $0.append(result) }
                }
                group.leave()
            }
        }
        group.wait()
        let all = results.withLock { $0 }
        return mutants.map { mutant in HuntSummary(mutant: mutant, trials: all.filter { $0.mutant == mutant }) }
    }

    static func runTrial(_ mutant: Mutant, _ trial: Int, budget: Double, configuration: HuntConfiguration) -> HuntTrialResult {
        let clock = ContinuousClock()
        let start = clock.now
        let cpuStart = threadCPUSeconds()
        let elapsed = { (clock.now - start).seconds }
        return HuntTrial(configuration: configuration, mutant: mutant, trial: trial).run(
            shouldStop: { elapsed() >= budget }, clock: { (elapsed(), threadCPUSeconds() - cpuStart) })
    }

    /// CPU time of the calling thread (`CLOCK_THREAD_CPUTIME_ID`).
    static func threadCPUSeconds() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }
}

extension Duration {
    /// The duration in seconds, as a measurement.
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}

/// The table, the JSON objects and the progress lines of a hunt.
struct HuntRenderer {
    let mode: HuntMode
    let budget: Double

    func table(_ summaries: [HuntSummary]) -> String {
        let headings = ["mutant", "detected", "median ops", "p90 ops", "median s", "p90 s", "median cpu s", "caught by"]
        let rows = summaries.map { summary in
            [
                summary.mutant.name, "\(summary.detectedCount)/\(summary.trials.count)",
                cost(summary.medianOperations), cost(summary.p90Operations),
                seconds(summary.medianSeconds), seconds(summary.p90Seconds), seconds(summary.medianCPUSeconds), caughtBy(summary),
            ]
        }
        let widths = headings.indices.map { column in ([headings] + rows).map { $0[column].count }.max()! }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { column, cell in
                let padding = String(repeating: " ", count: widths[column] - cell.count)
                return column == 0 || column == cells.count - 1 ? cell + padding : padding + cell
            }.joined(separator: "  ").trimmingTrailingSpaces
        }
        let detected = summaries.reduce(0) { $0 + $1.detectedCount }
        let total = summaries.reduce(0) { $0 + $1.trials.count }
        let escaped = summaries.filter { $0.detectedCount < $0.trials.count }.map(\.mutant.name)
        var lines = [line(headings)] + rows.map(line)
        lines.append("")
        lines.append("\(detected)/\(total) trials detected their mutant" + (escaped.isEmpty ? "" : "; escaped in some trial: \(escaped.joined(separator: ", "))"))
        return lines.joined(separator: "\n")
    }

    /// `events 3, snapshot 2 (divergence: events: alloc_pages)`: the catchers, then the most
    /// frequent title.
    func caughtBy(_ summary: HuntSummary) -> String {
        guard let title = summary.titles.first?.title else { return "-" }
        return summary.catchers.map { "\($0.catcher.rawValue) \($0.count)" }.joined(separator: ", ") + " (\(title))"
    }

    func cost(_ value: Int?) -> String { value.map(String.init) ?? "censored" }
    func seconds(_ value: Double?) -> String { value.map { String(format: "%.3f", $0) } ?? "> \(Self.number(budget))" }

    static func number(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(value)
    }

    func json(_ summary: HuntSummary) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = try! encoder.encode(HuntJSON(summary, mode: mode, budget: budget))
        return String(decoding: data, as: UTF8.self)
    }

    static func progressLine(_ result: HuntTrialResult) -> String {
        let head = "hunt: \(result.mutant.name) trial \(result.trial) (seeds from 0x\(String(result.seedOrigin, radix: 16)))"
        let skipped = result.skippedSeeds.isEmpty ? "" : ", \(result.skippedSeeds.count) seed(s) skipped (fail without the mutant)"
        guard let detection = result.detection else {
            return head + ": censored after \(result.operations) operations, \(result.programs) programs, \(String(format: "%.3f", result.seconds)) s\(skipped)"
        }
        let program = detection.input.map { "input \($0)" } ?? "seed \(detection.seed)"
        return head + ": detected after \(result.operations) operations (\(result.programs) programs, \(String(format: "%.3f", result.seconds)) s) "
            + "by \(program) \(detection.profile) at operation \(detection.operationsInProgram): \(detection.title)\(skipped)"
    }
}

extension String {
    var trimmingTrailingSpaces: String {
        var result = self
        while result.last == " " { result.removeLast() }
        return result
    }
}

/// One mutant's results as JSON (keys sorted by the encoder, so the text is stable).
struct HuntJSON: Encodable {
    struct Trial: Encodable {
        var trial: Int
        var seedOrigin: String
        var detected: Bool
        var operations: Int
        var programs: Int
        var seconds: Double
        var cpuSeconds: Double
        var seed: UInt64?
        var profile: String?
        var title: String?
        var catcher: String?
        var operationsInProgram: Int?
        var input: String?
        var skippedSeeds: [UInt64]
    }

    struct Count: Encodable {
        var name: String
        var count: Int
    }

    var mutant: String
    var mode: String
    var budgetSeconds: Double
    var trials: Int
    var detected: Int
    var medianOperations: Int?
    var p90Operations: Int?
    var medianSeconds: Double?
    var p90Seconds: Double?
    var medianCPUSeconds: Double?
    var catchers: [Count]
    var titles: [Count]
    var trialResults: [Trial]

    static func milliseconds(_ seconds: Double) -> Double { (seconds * 1000).rounded() / 1000 }

    init(_ summary: HuntSummary, mode: HuntMode, budget: Double) {
        mutant = summary.mutant.name
        self.mode = mode.rawValue
        budgetSeconds = budget
        trials = summary.trials.count
        detected = summary.detectedCount
        medianOperations = summary.medianOperations
        p90Operations = summary.p90Operations
        medianSeconds = summary.medianSeconds
        p90Seconds = summary.p90Seconds
        medianCPUSeconds = summary.medianCPUSeconds
        catchers = summary.catchers.map { Count(name: $0.catcher.rawValue, count: $0.count) }
        titles = summary.titles.map { Count(name: $0.title, count: $0.count) }
        trialResults = summary.trials.map { result in
            Trial(
                trial: result.trial, seedOrigin: "0x" + String(result.seedOrigin, radix: 16), detected: result.detected,
                operations: result.operations, programs: result.programs, seconds: Self.milliseconds(result.seconds),
                cpuSeconds: Self.milliseconds(result.cpuSeconds),
                seed: result.detection?.seed, profile: result.detection?.profile, title: result.detection?.title,
                catcher: result.detection?.catcher.rawValue, operationsInProgram: result.detection?.operationsInProgram, input: result.detection?.input,
                skippedSeeds: result.skippedSeeds)
        }
    }
}

/// `--mode fuzz`: each trial is one libFuzzer run of the instrumented `lockstep` target with
/// the mutant selected through `BUDDYFUZZ_MUTANT` (`MutantHook`), from the checked-in seed
/// corpus (unless `--empty-corpus`) and an empty working corpus, with `-seed` taken from the trial's seed sequence and
/// `-max_total_time` the budget. The target counts executions and operations and prints them
/// with a confirmed finding; libFuzzer with one process and a fixed `-seed` repeats its choices,
/// so the counts are as repeatable as libFuzzer allows (its time-based decisions aside).
struct FuzzHunt {
    let budget: Double
    let sanitizer: FuzzSanitizer
    let build: Bool
    let seedCorpus: Bool

    func run(_ mutants: [Mutant], trials: Int) throws -> [HuntSummary] {
        let workspace: FuzzWorkspace
        do {
            workspace = try FuzzWorkspace()
            let builder = FuzzBuilder(workspace: workspace, sanitizer: sanitizer)
            if build { try builder.build([Self.target]) }
            guard FileManager.default.isExecutableFile(atPath: builder.binary(Self.target)) else {
                throw FuzzError.build("no instrumented \(workspace.relative(builder.binary(Self.target))); run without --no-build")
            }
        } catch let error as FuzzError {
            log("error: \(error)")
            throw ExitCode(error.exitStatus)
        }
        return try mutants.map { mutant in
            HuntSummary(mutant: mutant, trials: try (0..<trials).map { trial in
                let result = try runTrial(mutant, trial, workspace: workspace)
                printError(HuntRenderer.progressLine(result))
                return result
            })
        }
    }

    static let target = "lockstep"

    /// libFuzzer's `-seed` for a trial: the first word of the trial's seed sequence, never 0
    /// (which libFuzzer reads as "pick one from the clock").
    static func libFuzzerSeed(_ mutant: Mutant, _ trial: Int) -> UInt32 {
        var seeds = HuntSeeds(mutant: mutant.name, trial: trial)
        return max(1, UInt32(truncatingIfNeeded: seeds.next()!))
    }

    func runTrial(_ mutant: Mutant, _ trial: Int, workspace: FuzzWorkspace) throws -> HuntTrialResult {
        let folder = ".fuzz-out/hunt/\(mutant.name)/trial-\(trial)"
        try? FileManager.default.removeItem(atPath: workspace.path(folder))
        let corpus = folder + "/corpus"
        let settings = FuzzSettings(findingsDirectory: folder + "/findings")
        let session = LibFuzzerSession(
            workspace: workspace, target: Self.target, binary: FuzzBuilder(workspace: workspace, sanitizer: sanitizer).binary(Self.target),
            settings: settings)
        for path in [corpus, settings.findingsDirectory] {
            try FileManager.default.createDirectory(atPath: workspace.path(path), withIntermediateDirectories: true)
        }
        var environment = session.environment
        environment[MutantHook.variable] = mutant.name
        let seed = Self.libFuzzerSeed(mutant, trial)
        let command = [session.binary] + session.defaultFlags
            + ["-seed=\(seed)", "-max_total_time=\(max(1, Int(budget.rounded(.up))))", workspace.path(corpus)]
            + (seedCorpus ? [workspace.path(workspace.seedCorpus(Self.target))] : [])
        var output = Data()
        let clock = ContinuousClock()
        let start = clock.now
        let cpuStart = Self.childrenCPUSeconds()
        _ = try Subprocess.run(command, in: workspace.root, environment: environment, output: .stream { output.append($0) })
        let seconds = (clock.now - start).seconds
        try? output.write(to: URL(fileURLWithPath: workspace.path(folder + "/libfuzzer.log")))
        return result(mutant, trial, seed: seed, output: String(decoding: output, as: UTF8.self), workspace: workspace, findings: settings.findingsDirectory,
                      seconds: seconds, cpuSeconds: Self.childrenCPUSeconds() - cpuStart)
    }

    func result(
        _ mutant: Mutant, _ trial: Int, seed: UInt32, output: String, workspace: FuzzWorkspace, findings: String, seconds: Double, cpuSeconds: Double
    ) -> HuntTrialResult {
        var parser = LibFuzzerOutputParser()
        parser.consume(Data(output.utf8))
        parser.finish()
        var result = HuntTrialResult(
            mutant: mutant, trial: trial, seedOrigin: UInt64(seed), detection: nil, operations: 0, programs: parser.stats.executions,
            skippedSeeds: [], seconds: seconds, cpuSeconds: cpuSeconds)
        let artifact = FindingArtifacts.artifacts(in: workspace.path(findings)).first
        if let counts = MutantHook.parseHuntLine(in: output), let artifact {
            result.operations = counts.operations
            result.programs = counts.executions
            let title = FindingArtifacts.field("title", of: artifact) ?? "crash"
            let operationsRun = FindingArtifacts.field("operations", of: artifact).flatMap { Int($0.split(separator: " ")[0]) } ?? 0
            result.detection = HuntDetection(
                seed: UInt64(seed), profile: FindingArtifacts.field("profile", of: artifact) ?? "?", title: title, operationsInProgram: operationsRun,
                input: workspace.relative(artifact))
        }
        return result
    }

    /// CPU seconds of the finished child processes (`RUSAGE_CHILDREN`).
    static func childrenCPUSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_CHILDREN.rawValue, &usage)
        func seconds(_ time: timeval) -> Double { Double(time.tv_sec) + Double(time.tv_usec) / 1e6 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }
}
