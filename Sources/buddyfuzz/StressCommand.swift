import ArgumentParser
import BuddyVocabulary
import Foundation
import Lockstep

/// `buddyfuzz stress`: many seeds on several threads, findings bucketed by title.
struct StressCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stress",
        abstract: "Run many seeds in lockstep; write the first finding of every failure title as corpus files.",
        discussion: """
            Standard output lists every seed and its verdict in seed order and ends with a summary: \
            it depends only on the seeds, never on --jobs. Progress goes to standard error (one \
            updating line on a terminal, a plain line every 10 seconds otherwise). Exits 0 when \
            every seed passed, else the most severe verdict's status.
            """)

    @Option(help: ArgumentHelp("Seeds to run, inclusive.", valueName: "A..B"))
    var seeds: String?

    @Option(help: ArgumentHelp("Run seeds from --first-seed upward for this long.", valueName: "30s|5m|1h"))
    var time: String?

    @Option(name: .customLong("first-seed"), help: "The first seed of a --time campaign.")
    var firstSeed: UInt64 = 0

    @Option(help: "Threads.")
    var jobs: Int = 1

    @Option(help: "Operations per seed.")
    var ops: Int = 10_000

    @Option(help: ArgumentHelp("Force a fuzzing profile.", valueName: FuzzingProfiles.names.joined(separator: "|")))
    var profile: String?

    @Option(name: .customLong("out"), help: "Directory for findings.")
    var outputDirectory = "findings"

    @OptionGroup var lockstep: LockstepOptions

    func validate() throws {
        guard (seeds == nil) != (time == nil) else { throw ValidationError("give exactly one of --seeds A..B and --time T") }
        if let seeds, SeedRange.parse(seeds) == nil { throw ValidationError("--seeds must look like 0..99 (inclusive) or a single seed") }
        if let time, Duration.seconds(parsing: time) == nil { throw ValidationError("--time must look like 90, 90s, 5m or 1h") }
        guard jobs > 0 else { throw ValidationError("--jobs must be positive") }
        guard ops >= 0 else { throw ValidationError("--ops must not be negative") }
        if let profile, FuzzingProfiles.named(profile) == nil {
            throw ValidationError("--profile must be one of \(FuzzingProfiles.names.joined(separator: ", "))")
        }
    }

    func run() throws {
        let campaign = StressCampaign(
            configuration: lockstep.configuration, operations: ops, profile: profile.flatMap(FuzzingProfiles.named), jobs: jobs)
        let source: SeedSource = seeds.flatMap(SeedRange.parse).map { .range($0) } ?? .unbounded(from: firstSeed)
        print("stress: \(describe(source)), \(ops) operations per seed, \(lockstep.configuration.allocatorsDescription), full check every \(lockstep.checkEvery)")
        let clock = ContinuousClock()
        let start = clock.now
        let limit = time.flatMap(Duration.seconds(parsing:))
        let shouldStop: @Sendable () -> Bool = { limit.map { clock.now - start >= .seconds($0) } ?? false }
        var summary = StressSummary()
        var progress = ProgressLine(start: start, clock: clock)
        campaign.run(source, shouldStop: shouldStop, deliver: { result in
            summary.add(result, campaign: campaign, directory: outputDirectory, replayFlags: lockstep.replayFlags)
        }, tick: { progress.show($0) })
        progress.finish()
        summary.print(replayFlags: lockstep.replayFlags)
        if summary.worstStatus != 0 { throw ExitCode(summary.worstStatus) }
    }

    func describe(_ source: SeedSource) -> String {
        switch source {
        case .range(let range): "seeds \(range.lowerBound)...\(range.upperBound)"
        case .unbounded(let from): "seeds from \(from) for \(time ?? "")"
        }
    }
}

/// `A..B`, `A...B` (both inclusive) or `A`.
enum SeedRange {
    static func parse(_ text: String) -> ClosedRange<UInt64>? {
        let parts = text.replacingOccurrences(of: "...", with: "..").components(separatedBy: "..")
        guard let lower = UInt64(parts[0]) else { return nil }
        guard parts.count == 2 else { return parts.count == 1 ? lower...lower : nil }
        guard let upper = UInt64(parts[1]), upper >= lower else { return nil }
        return lower...upper
    }
}

extension Duration {
    /// Seconds in `90`, `90s`, `5m` or `1h`.
    static func seconds(parsing text: String) -> Int64? {
        let units: [(String, Int64)] = [("h", 3600), ("m", 60), ("s", 1)]
        for (suffix, factor) in units where text.hasSuffix(suffix) {
            return Int64(text.dropLast()).map { $0 * factor }
        }
        return Int64(text)
    }
}

/// The per-seed lines and the final buckets.
struct StressSummary {
    struct Bucket {
        var title: String
        var count: Int
        var firstSeed: UInt64
        var file: String?
    }

    var seeds = 0
    var passed = 0
    var operations = 0
    var buckets: [Bucket] = []
    var worstStatus: Int32 = 0
    var firstSeed: UInt64?
    var lastSeed: UInt64?

    mutating func add(_ result: StressResult, campaign: StressCampaign, directory: String, replayFlags: String) {
        seeds += 1
        operations += result.report.operationsRun
        firstSeed = firstSeed ?? result.seed
        lastSeed = result.seed
        let report = result.report
        let profile = result.program?.profile.name ?? campaign.program(seed: result.seed).profile.name
        guard report.verdict != .passed else {
            passed += 1
            Swift.print("seed \(result.seed) \(profile): passed, \(report.operationsRun) operations")
            return
        }
        worstStatus = max(worstStatus, report.verdict.exitStatus)
        let location = report.failingOperationIndex.map { " at operation #\($0)" } ?? ""
        if let index = buckets.firstIndex(where: { $0.title == report.title }) {
            buckets[index].count += 1
            Swift.print("seed \(result.seed) \(profile): \(report.title)\(location) (same title as seed \(buckets[index].firstSeed))")
            return
        }
        var file: String?
        do {
            let options = GeneratorConfiguration.derive(seed: result.seed, profile: campaign.profile).description
            file = try FindingFiles.write(program: result.program!, report: report, directory: directory, replayFlags: replayFlags, preamble: options)
        } catch {
            printError("buddyfuzz: error: cannot write the finding of seed \(result.seed): \(error)")
        }
        buckets.append(Bucket(title: report.title, count: 1, firstSeed: result.seed, file: file))
        Swift.print("seed \(result.seed) \(profile): \(report.title)\(location) → \(file ?? "(not written)")")
    }

    func print(replayFlags: String) {
        let range = firstSeed.map { "\($0)...\(lastSeed!)" } ?? "none"
        Swift.print("summary: \(seeds) seeds (\(range)), \(operations) operations, \(passed) passed, \(seeds - passed) failed, \(buckets.count) distinct titles")
        for bucket in buckets {
            Swift.print("  \(bucket.count) × \(bucket.title) (first seed \(bucket.firstSeed))")
            if let file = bucket.file {
                Swift.print(FindingFiles.reproduceLines(file: file, replayFlags: replayFlags).split(separator: "\n").map { "    " + $0 }.joined(separator: "\n"))
            }
        }
    }
}

/// The live progress line on standard error.
struct ProgressLine {
    let start: ContinuousClock.Instant
    let clock: ContinuousClock
    let isTerminal = isatty(STDERR_FILENO) != 0
    var lastPlain: ContinuousClock.Instant?
    var shown = false

    var latest: StressProgress?

    init(start: ContinuousClock.Instant, clock: ContinuousClock) {
        self.start = start
        self.clock = clock
        lastPlain = start
    }

    mutating func show(_ progress: StressProgress) {
        latest = progress
        let elapsed = clock.now - start
        let seconds = max(Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18, 1e-3)
        let rate = Double(progress.operations) / seconds
        let line = "stress: \(progress.seedsDone) seeds, \(progress.findings) findings, \(formatted(rate)) ops/s, \(Int(seconds))s"
        if isTerminal {
            FileHandle.standardError.write(Data(("\r\u{1B}[K" + line).utf8))
            shown = true
        } else if lastPlain.map({ clock.now - $0 >= .seconds(10) }) ?? true {
            printError(line)
            lastPlain = clock.now
        }
    }

    mutating func finish() {
        if isTerminal {
            if shown { FileHandle.standardError.write(Data("\n".utf8)) }
        } else if let latest {
            lastPlain = nil
            show(latest)
        }
    }

    func formatted(_ rate: Double) -> String {
        if rate >= 1e6 { return String(format: "%.2fM", rate / 1e6) }
        if rate >= 1e3 { return String(format: "%.1fk", rate / 1e3) }
        return String(format: "%.0f", rate)
    }
}
