import BuddyVocabulary

/// Shrinks a failing program while it keeps failing with the same title.
///
/// Works on decoded operations, never on bytes, so every candidate is a valid program (live
/// allocations are named by index, taken modulo the live count, so removing an operation never
/// makes another one invalid). Steps:
/// 1. cut everything after the failing operation;
/// 2. delta debugging (Zeller and Hildebrandt's ddmin, complements of n chunks) down to a
///    1-minimal list (no single operation can be removed);
/// 3. simpler arguments, one operation at a time (for programs of at most
///    `simplifyOperationsMax` operations): a smaller profile, lower orders, CPU 0, GFP_KERNEL
///    and fewer modifiers, the head page, index 0;
/// 4. ddmin again, since simpler arguments often make more operations removable; steps 3 and 4
///    repeat while they change the program (at most `Search.roundsMax` times).
public struct ProgramMinimizer {
    public let runner: LockstepRunner
    /// A bound on runs, so minimization always ends.
    public var runLimit: Int
    /// Ends the search early (a time budget); the best program so far is returned.
    public var shouldStop: () -> Bool

    public init(runner: LockstepRunner, runLimit: Int = 20_000, shouldStop: @escaping () -> Bool = { false }) {
        self.runner = runner
        self.runLimit = runLimit
        self.shouldStop = shouldStop
    }

    /// The minimized program and its report, or nil when `program` passes.
    ///
    /// A state caught by a periodic full check is caught late, and removing operations moves
    /// the check, so ddmin cuts little. The search therefore runs with the most frequent check
    /// (every 1, 8 or 64 operations) that still gives the same title, so the failure is caught
    /// close to the operation that caused it. The result is confirmed with the given runner
    /// (the last operation is always followed by a full check); if that fails, the next
    /// interval is tried, and last the given runner itself.
    public func minimize(_ program: Program, progress: @escaping (String) -> Void = { _ in }) -> (program: Program, report: RunReport)? {
        let report = runner.run(program)
        guard report.verdict != .passed else { return nil }
        progress("minimize: \(program.operations.count) operations, keeping '\(report.title)'")
        for interval in ProgramMinimizer.checkIntervals(title: report.title) where interval != runner.configuration.checkEvery {
            var configuration = searchConfiguration(title: report.title)
            configuration.checkEvery = interval
            let frequent = LockstepRunner(configuration: configuration)
            guard frequent.run(program).title == report.title else { continue }
            progress(interval == Int.max ? "searching with a full check after the last operation only" : "the failure shows with a full check every \(interval) operation(s): searching that way")
            let minimized = search(program, with: frequent, title: report.title, progress: progress)
            let confirmed = runner.run(minimized)
            if confirmed.title == report.title { return (minimized, confirmed) }
            progress("not confirmed with a full check every \(runner.configuration.checkEvery)")
        }
        let minimized = search(program, with: LockstepRunner(configuration: searchConfiguration(title: report.title)), title: report.title, progress: progress)
        return (minimized, runner.run(minimized))
    }

    /// The runner's configuration without the liveness phase when the failure happens before
    /// it: a candidate that passes then costs no liveness phase.
    func searchConfiguration(title: String) -> LockstepConfiguration {
        var configuration = runner.configuration
        if !title.hasPrefix("liveness:") { configuration.livenessPhase = false }
        return configuration
    }

    /// Check intervals tried during the search. A divergence of outcomes or events is found
    /// by the call itself, so full checks only cost time (and could catch something else
    /// first): only the check after the last operation is kept. Anything else is found by a
    /// check: the most frequent first.
    static func checkIntervals(title: String) -> [Int] {
        if title.hasPrefix("divergence: outcome:") || title.hasPrefix("divergence: events:") { return [Int.max] }
        return [1, 8, 64]
    }

    /// Argument simplification costs up to a run per variant of every operation: only for
    /// programs this short.
    static let simplifyOperationsMax = 500

    func search(_ program: Program, with runner: LockstepRunner, title: String, progress: @escaping (String) -> Void) -> Program {
        var search = Search(runner: runner, title: title, runLimit: runLimit, shouldStop: shouldStop, progress: progress)
        var current = program
        if let index = runner.run(program).failingOperationIndex, index + 1 < current.operations.count {
            var cut = current
            cut.operations.removeSubrange((index + 1)...)
            if search.fails(cut) { current = cut }
            progress("cut after the failing operation: \(current.operations.count) operations")
        }
        current = search.ddmin(current)
        for _ in 0..<Search.roundsMax where current.operations.count <= ProgramMinimizer.simplifyOperationsMax {
            let before = current
            current = search.ddmin(search.simplify(current))
            if current == before || search.exhausted { break }
        }
        progress("done: \(current.operations.count) operations after \(search.runs) runs")
        return current
    }
}

/// The state of one minimization: the target title and the number of runs spent.
struct Search {
    let runner: LockstepRunner
    let title: String
    let runLimit: Int
    let shouldStop: () -> Bool
    let progress: (String) -> Void
    var runs = 0

    var exhausted: Bool { runs >= runLimit || shouldStop() }

    /// Rounds of simplification and ddmin, each of which may enable the other.
    static let roundsMax = 4

    mutating func fails(_ program: Program) -> Bool {
        guard !exhausted else { return false }
        runs += 1
        return runner.run(program).title == title
    }

    /// ddmin by complements, in passes: at each granularity every chunk is tried once, and a
    /// removed chunk is not retried from the start (the pass goes on with the next chunk), so a
    /// pass costs one run per chunk. A pass that removes nothing doubles the granularity; the
    /// search ends after a pass of single operations removes nothing (1-minimal).
    mutating func ddmin(_ program: Program) -> Program {
        var current = program
        var granularity = 2
        while current.operations.count >= 2 && !exhausted {
            let size = max(1, current.operations.count / granularity)
            var start = 0
            var removedAny = false
            while start < current.operations.count && !exhausted {
                var candidate = current
                candidate.operations.removeSubrange(start..<min(start + size, current.operations.count))
                if fails(candidate) {
                    current = candidate
                    removedAny = true
                    progress("ddmin: \(current.operations.count) operations (\(runs) runs)")
                } else {
                    start += size
                }
            }
            if removedAny {
                granularity = max(granularity - 1, 2)
            } else if size == 1 {
                break
            } else {
                granularity = min(granularity * 2, current.operations.count)
            }
        }
        return current
    }

    /// Removes an allocation together with one step down of every later live index: where the
    /// allocations are named by position, deleting one shifts the names of those after it,
    /// which plain ddmin cannot follow.
    mutating func removeAllocationsShiftingIndices(_ program: Program) -> Program {
        var current = program
        var index = 0
        while index < current.operations.count && !exhausted {
            guard case .allocate = current.operations[index] else {
                index += 1
                continue
            }
            var candidate = current
            candidate.operations.remove(at: index)
            for later in index..<candidate.operations.count {
                candidate.operations[later] = Simplifications.shiftedDown(candidate.operations[later])
            }
            if candidate != current, fails(candidate) {
                current = candidate
                progress("remove allocation #\(index) and shift later indices: \(current.operations.count) operations")
            } else {
                index += 1
            }
        }
        return current
    }

    /// One simpler variant at a time, kept when the failure stays.
    mutating func simplify(_ program: Program) -> Program {
        var current = removeAllocationsShiftingIndices(smallerProfile(program))
        var changed = true
        while changed && !exhausted {
            changed = false
            for index in current.operations.indices {
                for variant in Simplifications.variants(of: current.operations[index], profile: current.profile) {
                    var candidate = current
                    candidate.operations[index] = variant
                    if fails(candidate) {
                        current = candidate
                        changed = true
                        progress("simplify: #\(index) → \(ProgramText.render(variant))")
                        break
                    }
                }
            }
        }
        return current
    }

    mutating func smallerProfile(_ program: Program) -> Program {
        guard let index = FuzzingProfiles.index(of: program.profile) else { return program }
        for profile in FuzzingProfiles.all[..<index] {
            let candidate = Simplifications.moved(program, to: profile)
            if fails(candidate) {
                progress("simplify: profile \(profile.name)")
                return candidate
            }
        }
        return program
    }
}

/// Simpler forms of operations, simplest first.
enum Simplifications {
    static func variants(of operation: ProgramOperation, profile: Profile) -> [ProgramOperation] {
        var result: [ProgramOperation] = []
        switch operation {
        case .allocate(let cpu, let order, let gfp):
            result += (0..<order).map { .allocate(cpu: cpu, order: $0, gfp: gfp) }
            if cpu != 0 { result.append(.allocate(cpu: 0, order: order, gfp: gfp)) }
            result += simpler(gfp).map { .allocate(cpu: cpu, order: order, gfp: $0) }
        case .free(let cpu, let allocation):
            result += lower(cpu).map { .free(cpu: $0, allocation: allocation) } + lowerIndex(allocation).map { .free(cpu: cpu, allocation: $0) }
        case .getPage(let allocation, let page):
            result += lower(page).map { .getPage(allocation: allocation, page: $0) } + lowerIndex(allocation).map { .getPage(allocation: $0, page: page) }
        case .putPage(let cpu, let allocation, let page):
            result += lower(page).map { .putPage(cpu: cpu, allocation: allocation, page: $0) }
            result += lower(cpu).map { .putPage(cpu: $0, allocation: allocation, page: page) }
            result += lowerIndex(allocation).map { .putPage(cpu: cpu, allocation: $0, page: page) }
        case .freeWithExtraReference(let cpu, let allocation):
            result += lower(cpu).map { .freeWithExtraReference(cpu: $0, allocation: allocation) }
            result += lowerIndex(allocation).map { .freeWithExtraReference(cpu: cpu, allocation: $0) }
        case .splitPage(let allocation): result += lowerIndex(allocation).map { .splitPage(allocation: $0) }
        case .drainCPU(let cpu): result += [.drainAll] + lower(cpu).map { .drainCPU(cpu: $0) }
        case .vmstatTick(let cpu): result += lower(cpu).map { .vmstatTick(cpu: $0) }
        case .kswapdBalanced(let node): result += lower(node).map { .kswapdBalanced(node: $0) }
        case .isolate(let block): result += lowerIndex(block).map { .isolate(block: $0) }
        case .unisolate(let block): result += lowerIndex(block).map { .unisolate(block: $0) }
        case .invalid(let invalid):
            result += lowerIndex(invalid.argument).map { .invalid(InvalidOperation(kind: invalid.kind, cpu: invalid.cpu, argument: $0)) }
            result += lower(invalid.cpu).map { .invalid(InvalidOperation(kind: invalid.kind, cpu: $0, argument: invalid.argument)) }
        case .drainAll, .sysctl: break
        }
        return result
    }

    /// The operation with its live allocation index one lower (0 stays 0).
    static func shiftedDown(_ operation: ProgramOperation) -> ProgramOperation {
        func down(_ value: Int) -> Int { max(value - 1, 0) }
        switch operation {
        case .free(let cpu, let allocation): return .free(cpu: cpu, allocation: down(allocation))
        case .getPage(let allocation, let page): return .getPage(allocation: down(allocation), page: page)
        case .putPage(let cpu, let allocation, let page): return .putPage(cpu: cpu, allocation: down(allocation), page: page)
        case .freeWithExtraReference(let cpu, let allocation): return .freeWithExtraReference(cpu: cpu, allocation: down(allocation))
        case .splitPage(let allocation): return .splitPage(allocation: down(allocation))
        default: return operation
        }
    }

    /// 0, then the value's half, for a field where smaller reads simpler.
    static func lower(_ value: Int) -> [Int] {
        guard value > 0 else { return [] }
        return value / 2 > 0 ? [0, value / 2] : [0]
    }

    /// For an index taken modulo a count that is small after minimization: every small index
    /// (a smaller value that names the same allocation or pageblock), then the value's half.
    static func lowerIndex(_ value: Int) -> [Int] {
        guard value > 0 else { return [] }
        let small = Array(0..<min(value, 16))
        return value / 2 >= 16 ? small + [value / 2] : small
    }

    static func simpler(_ gfp: GFPChoice) -> [GFPChoice] {
        var result: [GFPChoice] = []
        if gfp.base != GFPChoice.kernel.base {
            result.append(GFPChoice(base: GFPChoice.kernel.base, modifiers: gfp.modifiers).canonicalized)
            if GFPChoice.bases[gfp.base].flags.contains(.comp) {
                result.append(GFPChoice(base: GFPChoice.kernel.base, modifiers: gfp.modifiers | GFPChoice.compBit).canonicalized)
            }
        }
        for bit in 0..<GFPChoice.modifiers.count where gfp.modifiers & (1 << bit) != 0 {
            result.append(GFPChoice(base: gfp.base, modifiers: gfp.modifiers & ~(1 << bit)))
        }
        return result
    }

    /// The program on another fuzzing profile, every field clamped into the new ranges.
    static func moved(_ program: Program, to profile: Profile) -> Program {
        let cpus = ProgramLimits.cpuCount(profile)
        let operations = program.operations.map { operation -> ProgramOperation in
            switch operation {
            case .allocate(let cpu, let order, let gfp): .allocate(cpu: cpu % cpus, order: min(order, profile.maxPageOrder), gfp: gfp)
            case .free(let cpu, let allocation): .free(cpu: cpu % cpus, allocation: allocation)
            case .putPage(let cpu, let allocation, let page): .putPage(cpu: cpu % cpus, allocation: allocation, page: page)
            case .freeWithExtraReference(let cpu, let allocation): .freeWithExtraReference(cpu: cpu % cpus, allocation: allocation)
            case .drainCPU(let cpu): .drainCPU(cpu: cpu % cpus)
            case .vmstatTick(let cpu): .vmstatTick(cpu: cpu % cpus)
            case .kswapdBalanced(let node): .kswapdBalanced(node: node % profile.nodes.count)
            case .invalid(let invalid): .invalid(InvalidOperation(kind: invalid.kind, cpu: invalid.cpu % cpus, argument: invalid.argument))
            case .getPage, .splitPage, .drainAll, .isolate, .unisolate, .sysctl: operation
            }
        }
        return Program(profile: profile, seed: program.seed, operations: operations)
    }
}
