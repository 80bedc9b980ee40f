import BuddyVocabulary
import Foundation
import Synchronization

/// The seeds a campaign runs.
public enum SeedSource: Sendable {
    /// Every seed of the range.
    case range(ClosedRange<UInt64>)
    /// Seeds from the first upward until the campaign is told to stop.
    case unbounded(from: UInt64)
}

/// The outcome of one seed.
public struct StressResult: Sendable {
    public var seed: UInt64
    public var report: RunReport
    /// The program, kept for failures only (passing programs are not needed again).
    public var program: Program?
}

/// Where a campaign stands, for progress lines.
public struct StressProgress: Sendable {
    public var seedsDone: Int
    public var operations: Int
    public var findings: Int
}

/// Many seeds, each generated and run in lockstep, on `jobs` threads. Results are delivered in
/// seed order on the calling thread, so the output depends only on the seeds: the number of
/// jobs changes the speed, never the listing.
public struct StressCampaign: Sendable {
    public var configuration: LockstepConfiguration
    public var operations: Int
    /// Forces every seed onto this profile; nil lets each seed pick its own.
    public var profile: Profile?
    public var jobs: Int

    public init(configuration: LockstepConfiguration, operations: Int, profile: Profile? = nil, jobs: Int = 1) {
        precondition(jobs > 0 && operations >= 0, "jobs must be positive, operations not negative")
        self.configuration = configuration
        self.operations = operations
        self.profile = profile
        self.jobs = jobs
    }

    /// The program a seed runs.
    public func program(seed: UInt64) -> Program {
        ProgramGenerator.program(seed: seed, operations: operations, profile: profile)
    }

    /// Runs the seeds; `shouldStop` ends an unbounded campaign (seeds already started finish).
    /// `deliver` receives every result in seed order, `tick` the progress about every
    /// `tickInterval` seconds; both on the calling thread.
    public func run(
        _ seeds: SeedSource, tickInterval: Double = 0.25, shouldStop: @escaping @Sendable () -> Bool = { false },
        deliver: (StressResult) -> Void, tick: (StressProgress) -> Void = { _ in }
    ) {
        let shared = SharedCampaign(seeds, workers: jobs)
        for _ in 0..<jobs {
            let campaign = self
            Thread.detachNewThread { campaign.work(shared, shouldStop: shouldStop) }
        }
        var next = shared.first
        var progress = StressProgress(seedsDone: 0, operations: 0, findings: 0)
        while true {
            let (ready, finished) = shared.takeReady(from: next)
            for result in ready {
                progress.seedsDone += 1
                progress.operations += result.report.operationsRun
                if result.report.verdict != .passed { progress.findings += 1 }
                deliver(result)
                next &+= 1
            }
            if finished && ready.isEmpty { break }
            tick(progress)
            if ready.isEmpty { Thread.sleep(forTimeInterval: tickInterval) }
        }
        tick(progress)
    }

    func work(_ shared: SharedCampaign, shouldStop: @Sendable () -> Bool) {
        let runner = LockstepRunner(configuration: configuration)
        while let seed = shared.takeSeed(stopping: shouldStop()) {
            let program = program(seed: seed)
            let report = runner.run(program)
            shared.store(StressResult(seed: seed, report: report, program: report.verdict == .passed ? nil : program))
        }
        shared.workerFinished()
    }
}

/// The state the campaign's threads share, behind one lock.
final class SharedCampaign: Sendable {
    struct State {
        var nextSeed: UInt64
        var lastSeed: UInt64?
        var exhausted = false
        var started = 0
        var workers: Int
        var finishedWorkers = 0
        var results: [UInt64: StressResult] = [:]

        init(nextSeed: UInt64, lastSeed: UInt64?, workers: Int) {
            self.nextSeed = nextSeed
            self.lastSeed = lastSeed
            self.workers = workers
        }
    }

    let first: UInt64
    let state: Mutex<State>

    init(_ seeds: SeedSource, workers: Int) {
        switch seeds {
        case .range(let range):
            first = range.lowerBound
            state = Mutex(State(nextSeed: range.lowerBound, lastSeed: range.upperBound, workers: workers))
        case .unbounded(let from):
            first = from
            state = Mutex(State(nextSeed: from, lastSeed: nil, workers: workers))
        }
    }

    func takeSeed(stopping: Bool) -> UInt64? {
        state.withLock { state in
            if stopping { state.exhausted = true }
            guard !state.exhausted else { return nil }
            let seed = state.nextSeed
            if seed == state.lastSeed || seed == UInt64.max { state.exhausted = true } else { state.nextSeed += 1 }
            state.started += 1
            return seed
        }
    }

    func store(_ result: StressResult) {
        state.withLock { $0.results[result.seed] = result }
    }

    func workerFinished() {
        state.withLock { $0.finishedWorkers += 1 }
    }

    /// The results ready in seed order from `next`, and whether every worker has finished.
    func takeReady(from next: UInt64) -> ([StressResult], Bool) {
        state.withLock { state in
            var ready: [StressResult] = []
            var seed = next
            while let result = state.results.removeValue(forKey: seed) {
                ready.append(result)
                seed &+= 1
            }
            return (ready, state.finishedWorkers == state.workers && state.results.isEmpty)
        }
    }
}
