import BuddyVocabulary
import OptimizedAllocator

/// The bug hunt: how fast the lockstep harness notices a fault planted in the optimized
/// allocator (a mutant of `MutantSet`), measured the way Magma and FuzzBench measure fuzzers:
/// independent trials, each censored at a budget, summarised by the median and 90th percentile
/// of the cost to the first detection.
///
/// One trial runs seeded programs (swarm-generated, `ProgramGenerator`) in lockstep, the
/// reference allocator against the optimized one with the mutant planted, until one fails. A
/// failing program counts as a detection only if the same program, cut after the failing
/// operation, passes against the unplanted optimized allocator: a real divergence between the
/// two models is not the mutant's doing, and its seed is skipped.
///
/// The seeds of trial `i` of a mutant come from its name and `i` alone (`HuntSeeds`), so the
/// operations to detection are deterministic; seconds are measurements only.
public struct HuntConfiguration: Sendable {
    /// Operations of each generated program.
    public var operationsPerProgram: Int
    /// Full snapshot comparison and invariant checks every this many operations.
    public var checkEvery: Int
    /// A full check after an operation that fell back to another migratetype, at most one per
    /// this many operations (nil: none).
    public var checkAfterFallback: Int?
    /// Forces every program onto this profile; nil lets each seed pick its own.
    public var profile: Profile?
    /// A trial that has spent this many program operations without a detection is censored
    /// (the deterministic budget; the command adds a budget in seconds).
    public var operationBudget: Int
    /// The mutant runs alone, watched only by the invariant checkers, the harness's bookkeeping
    /// and the liveness phase, with no reference to compare with: how much the checkers find
    /// by themselves (what auditing one implementation, or a kernel, can rely on).
    public var audit = false

    /// 1,000 operations with a full check every 256: mutants that only corrupt state are seen
    /// within a few dozen operations, and a program is short enough that the whole trial
    /// tries many swarm configurations (most mutants need one particular mix).
    public static let standard = HuntConfiguration(
        operationsPerProgram: 1_000, checkEvery: 256, checkAfterFallback: nil, profile: nil, operationBudget: .max)

    public init(operationsPerProgram: Int, checkEvery: Int, checkAfterFallback: Int?, profile: Profile?, operationBudget: Int, audit: Bool = false) {
        precondition(operationsPerProgram > 0 && checkEvery > 0 && operationBudget > 0, "hunt sizes must be positive")
        self.operationsPerProgram = operationsPerProgram
        self.checkEvery = checkEvery
        self.checkAfterFallback = checkAfterFallback
        self.profile = profile
        self.operationBudget = operationBudget
        self.audit = audit
    }

    /// The program a seed runs.
    public func program(seed: UInt64) -> Program {
        ProgramGenerator.program(seed: seed, operations: operationsPerProgram, profile: profile)
    }

    /// The lockstep configuration with `subject` against the reference, or `subject` audited alone.
    public func lockstep(subject: AllocatorFactory) -> LockstepConfiguration {
        LockstepConfiguration(
            allocators: audit ? .audit(subject) : .lockstep(reference: .reference, subject: subject), checkEvery: checkEvery,
            checkAfterFallback: checkAfterFallback)
    }

    /// The runner with `mutant` planted in the optimized allocator.
    public func mutantRunner(_ mutant: Mutant) -> LockstepRunner {
        LockstepRunner(configuration: lockstep(subject: .optimized(mutant: mutant)))
    }

    /// The runner against the optimized allocator as shipped (the seam empty).
    public var cleanRunner: LockstepRunner { LockstepRunner(configuration: lockstep(subject: .optimized)) }
}

extension AllocatorFactory {
    /// The optimized allocator with one fault planted, named `optimized+NAME` in reports.
    public static func optimized(mutant: Mutant) -> AllocatorFactory {
        AllocatorFactory(name: "optimized+\(mutant.name)") { PlantedPageAllocator(profile: $0, mutants: MutantSet([mutant])) }
    }
}

/// The seed sequence of one trial: SplitMix64 started from the FNV-1a hash of the mutant's name
/// mixed with the trial number. Independent of the machine, the clock and every other trial.
public struct HuntSeeds: Sendable, IteratorProtocol {
    /// The state the sequence starts from, printed so a trial can be named.
    public let origin: UInt64
    var mixer: SplitMix64

    public init(mutant: String, trial: Int) {
        origin = HuntSeeds.fnv1a(mutant) ^ (UInt64(trial) &* 0xD1B5_4A32_D192_ED03)
        mixer = SplitMix64(seed: origin)
    }

    public mutating func next() -> UInt64? { mixer.next() }

    /// FNV-1a, 64-bit: a stable hash (Swift's `Hasher` is seeded per process).
    static func fnv1a(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in text.utf8 { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
        return hash
    }
}

/// Which part of the harness noticed a mutant, from the failure title.
public enum HuntCatcher: String, CaseIterable, Sendable, Codable {
    /// `divergence: outcome: ...`: the two allocators returned different outcomes.
    case outcome
    /// `divergence: events: ...`: the same outcome, different tracepoint events.
    case events
    /// `divergence: snapshot: ...`: the full snapshot comparison of a periodic check.
    case snapshot
    /// `invariant: CHECKER: rule`: an invariant checker or the harness's bookkeeping.
    case invariant
    /// `liveness: rule`: the liveness phase after the program.
    case liveness

    public init(title: String) {
        if title.hasPrefix("divergence: outcome") {
            self = .outcome
        } else if title.hasPrefix("divergence: events") {
            self = .events
        } else if title.hasPrefix("divergence: snapshot") {
            self = .snapshot
        } else if title.hasPrefix("liveness") {
            self = .liveness
        } else {
            self = .invariant
        }
    }
}

/// The program that first revealed a mutant in a trial.
public struct HuntDetection: Hashable, Sendable {
    /// The program's seed (stress mode) or libFuzzer's `-seed` (fuzz mode).
    public var seed: UInt64
    public var profile: String
    /// The failure title with the mutant planted (its bucket).
    public var title: String
    /// Operations of the detecting program run up to the failure (the failing one included).
    public var operationsInProgram: Int
    /// Fuzz mode: the input file libFuzzer found (its `.ops` and `.txt` lie beside it).
    public var input: String?
    public var catcher: HuntCatcher { HuntCatcher(title: title) }

    public init(seed: UInt64, profile: String, title: String, operationsInProgram: Int, input: String? = nil) {
        self.seed = seed
        self.profile = profile
        self.title = title
        self.operationsInProgram = operationsInProgram
        self.input = input
    }
}

/// The result of one trial.
public struct HuntTrialResult: Hashable, Sendable {
    public var mutant: Mutant
    public var trial: Int
    public var seedOrigin: UInt64
    /// Nil when the trial was censored.
    public var detection: HuntDetection?
    /// Program operations run up to the detection (or until censored): deterministic.
    public var operations: Int
    /// Programs run, the detecting one included.
    public var programs: Int
    /// Seeds whose program failed without the mutant too, and so could not count.
    public var skippedSeeds: [UInt64]
    /// Wall-clock seconds: a measurement, never an input to a decision about operations.
    public var seconds: Double
    /// CPU seconds of the thread that ran the trial: the measurement that other load on the
    /// machine disturbs least.
    public var cpuSeconds: Double

    public var detected: Bool { detection != nil }

    public init(
        mutant: Mutant, trial: Int, seedOrigin: UInt64, detection: HuntDetection?, operations: Int, programs: Int, skippedSeeds: [UInt64],
        seconds: Double, cpuSeconds: Double
    ) {
        self.mutant = mutant
        self.trial = trial
        self.seedOrigin = seedOrigin
        self.detection = detection
        self.operations = operations
        self.programs = programs
        self.skippedSeeds = skippedSeeds
        self.seconds = seconds
        self.cpuSeconds = cpuSeconds
    }
}

/// Runs the trials of one mutant.
public struct HuntTrial {
    public let configuration: HuntConfiguration
    public let mutant: Mutant
    public let trial: Int
    let mutantRunner: LockstepRunner
    let cleanRunner: LockstepRunner

    public init(configuration: HuntConfiguration, mutant: Mutant, trial: Int) {
        self.init(
            configuration: configuration, mutant: mutant, trial: trial, mutantRunner: configuration.mutantRunner(mutant),
            cleanRunner: configuration.cleanRunner)
    }

    /// A trial with its own runners (a test double in place of the planted or the clean pair).
    public init(configuration: HuntConfiguration, mutant: Mutant, trial: Int, mutantRunner: LockstepRunner, cleanRunner: LockstepRunner) {
        self.configuration = configuration
        self.mutant = mutant
        self.trial = trial
        self.mutantRunner = mutantRunner
        self.cleanRunner = cleanRunner
    }

    /// Runs programs until a detection, the operation budget, or `shouldStop` (the time budget,
    /// asked between programs). `clock` measures wall and CPU seconds for the result.
    public func run(shouldStop: () -> Bool = { false }, clock: () -> (wall: Double, cpu: Double) = { (0, 0) }) -> HuntTrialResult {
        var seeds = HuntSeeds(mutant: mutant.name, trial: trial)
        var result = HuntTrialResult(
            mutant: mutant, trial: trial, seedOrigin: seeds.origin, detection: nil, operations: 0, programs: 0, skippedSeeds: [], seconds: 0,
            cpuSeconds: 0)
        while result.operations < configuration.operationBudget && !shouldStop() {
            let seed = seeds.next()!
            let program = configuration.program(seed: seed)
            let report = mutantRunner.run(program)
            result.programs += 1
            result.operations += report.operationsRun
            guard report.verdict != .passed else { continue }
            if passesWithoutMutant(program, upTo: report.operationsRun) {
                result.detection = HuntDetection(
                    seed: seed, profile: program.profile.name, title: report.title, operationsInProgram: report.operationsRun)
                break
            }
            result.skippedSeeds.append(seed)
        }
        (result.seconds, result.cpuSeconds) = clock()
        return result
    }

    /// Whether the program, cut after `count` operations, passes against the unplanted allocator.
    func passesWithoutMutant(_ program: Program, upTo count: Int) -> Bool {
        cleanRunner.run(HuntTrial.prefix(program, count)).verdict == .passed
    }

    /// The first `count` operations of a program: what the mutant ran before failing, and the
    /// program a regression test pins.
    public static func prefix(_ program: Program, _ count: Int) -> Program {
        var cut = program
        cut.operations.removeSubrange(min(count, cut.operations.count)...)
        return cut
    }
}

/// A regression pin: a seed whose program, cut after `operations`, reveals the mutant and
/// passes without it.
public struct HuntPin: Hashable, Sendable {
    public var mutant: Mutant
    public var seed: UInt64
    public var operations: Int

    public init(_ mutant: Mutant, seed: UInt64, operations: Int) {
        self.mutant = mutant
        self.seed = seed
        self.operations = operations
    }

    /// The cheapest detection of the trials: the fewest operations in the detecting program,
    /// then the smallest seed.
    public static func best(of trials: [HuntTrialResult]) -> HuntPin? {
        trials.compactMap { result in result.detection.map { HuntPin(result.mutant, seed: $0.seed, operations: $0.operationsInProgram) } }
            .min { ($0.operations, $0.seed) < ($1.operations, $1.seed) }
    }

    /// The pin as a line of Swift source: `HuntPin(.claimSkipsRetype, seed: 0x…, operations: 412),`.
    public var sourceLine: String {
        "HuntPin(.\(mutant), seed: 0x\(String(seed, radix: 16, uppercase: true)), operations: \(operations)),"
    }
}

/// The trials of one mutant, summarised.
public struct HuntSummary: Sendable {
    public var mutant: Mutant
    public var trials: [HuntTrialResult]

    public init(mutant: Mutant, trials: [HuntTrialResult]) {
        self.mutant = mutant
        self.trials = trials.sorted { $0.trial < $1.trial }
    }

    public var detectedCount: Int { trials.filter(\.detected).count }

    /// Operations to detection per trial, nil (infinite) for a censored trial.
    public var operationsToDetection: [Int?] { trials.map { $0.detected ? $0.operations : nil } }
    public var secondsToDetection: [Double?] { trials.map { $0.detected ? $0.seconds : nil } }
    public var cpuSecondsToDetection: [Double?] { trials.map { $0.detected ? $0.cpuSeconds : nil } }

    public var medianOperations: Int? { HuntStatistics.percentile(operationsToDetection, 50) }
    public var p90Operations: Int? { HuntStatistics.percentile(operationsToDetection, 90) }
    public var medianSeconds: Double? { HuntStatistics.percentile(secondsToDetection, 50) }
    public var p90Seconds: Double? { HuntStatistics.percentile(secondsToDetection, 90) }
    public var medianCPUSeconds: Double? { HuntStatistics.percentile(cpuSecondsToDetection, 50) }

    /// How many detections each part of the harness made, in `HuntCatcher` order, zeros left out.
    public var catchers: [(catcher: HuntCatcher, count: Int)] {
        HuntCatcher.allCases.compactMap { catcher in
            let count = trials.filter { $0.detection?.catcher == catcher }.count
            return count == 0 ? nil : (catcher, count)
        }
    }

    /// The distinct failure titles of the detections, most frequent first (ties by first trial).
    public var titles: [(title: String, count: Int)] {
        var result: [(title: String, count: Int)] = []
        for title in trials.compactMap(\.detection?.title) {
            if let index = result.firstIndex(where: { $0.title == title }) { result[index].count += 1 } else { result.append((title, 1)) }
        }
        return result.enumerated().sorted { ($0.element.count, -$0.offset) > ($1.element.count, -$1.offset) }.map(\.element)
    }
}

/// Percentiles of censored samples.
public enum HuntStatistics {
    /// The nearest-rank percentile (the smallest sample with at least `percent`% of the samples
    /// at or below it), a censored sample (nil) counting as larger than every detection. Nil
    /// when that rank falls on a censored sample: the percentile is then only known to exceed
    /// the budget.
    public static func percentile<Value: Comparable>(_ samples: [Value?], _ percent: Int) -> Value? {
        precondition((1...100).contains(percent), "a percentile is 1...100")
        guard !samples.isEmpty else { return nil }
        let detected = samples.compactMap { $0 }.sorted()
        let rank = (samples.count * percent + 99) / 100
        return rank <= detected.count ? detected[rank - 1] : nil
    }
}
