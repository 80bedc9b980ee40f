import BuddyVocabulary
import Synchronization

/// Runs programs through two allocators in lockstep (or one, audited) and reports the first
/// failure.
///
/// After every call: outcomes compared, events compared, then the harness's bookkeeping
/// updated from the reference outcome. After every `checkEvery` operations, after the last, and
/// (`checkAfterFallback`) after an operation that fell back to another migratetype: full
/// snapshots compared and the invariant checkers run. Then the liveness phase.
/// Modelled on TigerBeetle's `free_set_fuzz.zig`: the real structure and a plain model side by
/// side, compared after every event.
public final class LockstepRunner: Sendable {
    public let configuration: LockstepConfiguration
    let bootCache = BootCache()

    public init(configuration: LockstepConfiguration) {
        self.configuration = configuration
    }

    public func run(_ program: Program) -> RunReport {
        var session = Session(configuration: configuration, program: program, bootCache: bootCache)
        return session.run()
    }
}

/// What every run of one runner computes identically for one profile: booting is
/// deterministic, so the boot check's verdict and the boot snapshot that the liveness phase
/// compares with depend on the profile and the runner's allocators only. The runner keeps them
/// for the last profile whose boot check passed (a fuzzing campaign runs one profile in every
/// input), which spares each run a full check, a third boot and two snapshots.
final class BootCache: Sendable {
    private let entry = Mutex<(profile: Profile, snapshot: StateSnapshot)?>(nil)

    /// The primary allocator's boot snapshot, if this profile's boot check has passed before.
    func snapshot(for profile: Profile) -> StateSnapshot? {
        entry.withLock { cached in cached.flatMap { $0.profile == profile ? $0.snapshot : nil } }
    }

    func store(_ snapshot: StateSnapshot, for profile: Profile) {
        entry.withLock { $0 = (profile, snapshot) }
    }
}

/// Where in a run a failure happened.
enum FailureLocation {
    /// Before the first operation (boot snapshots or boot invariants).
    case boot
    /// During program operation `index`.
    case operation(Int)
    /// At the full check after program operation `index`.
    case check(after: Int)
    /// In the liveness phase.
    case liveness
}

struct Failure {
    var verdict: Verdict
    var title: String
    var location: FailureLocation
    /// What differs or which property broke, with values and dumps.
    var details: String
}

/// One call of a step: the call, the reference outcome and the subject's.
struct CallRecord {
    var call: Operation
    var outcome: Outcome
    var subjectOutcome: Outcome?
}

/// One program operation (or one liveness call) as run, for the report's context.
struct StepRecord {
    /// The program index, or nil for a call of the liveness phase.
    var index: Int?
    var operation: ProgramOperation?
    var first: CallRecord?
    var second: CallRecord?
    /// The calls after the second (an isolation range); nil, not empty, for every other step,
    /// so that recording a step retains nothing.
    var more: [CallRecord]?

    var calls: [CallRecord] { [first, second].compactMap { $0 } + (more ?? []) }
}

/// The state of one run. A struct with the hot loop in mutating methods, so that no dynamic
/// exclusivity check is paid per call.
struct Session {
    let configuration: LockstepConfiguration
    let program: Program
    let profile: Profile
    let primary: any PageAllocator
    let subject: (any PageAllocator)?
    let primaryName: String
    let subjectName: String
    var user: UserState
    var recent: [StepRecord] = []
    var recentNext = 0
    var operationsRun = 0
    var fullChecks = 0
    /// Every step described, when `traceCalls` is on.
    var trace: [String] = []
    /// Set by a call that emitted `mm_page_alloc_extfrag` when `checkAfterFallback` is on.
    var fallbackSeen = false
    /// The program index of the last full check's operation (-1: the boot check).
    var lastCheckIndex = -1
    let bootCache: BootCache
    /// The primary allocator's state right after boot, for the liveness phase.
    var bootSnapshot: StateSnapshot?

    init(configuration: LockstepConfiguration, program: Program, bootCache: BootCache) {
        self.bootCache = bootCache
        self.configuration = configuration
        self.program = program
        profile = program.profile
        switch configuration.allocators {
        case .lockstep(let reference, let subjectFactory):
            primary = reference.make(profile)
            subject = subjectFactory.make(profile)
            primaryName = reference.name
            subjectName = subjectFactory.name
        case .audit(let factory):
            primary = factory.make(profile)
            subject = nil
            primaryName = factory.name
            subjectName = ""
        }
        primary.recordsEvents = subject != nil
        subject?.recordsEvents = true
        user = UserState(profile: profile)
        recent.reserveCapacity(configuration.contextBefore + 1)
    }

    mutating func run() -> RunReport {
        if let cached = bootCache.snapshot(for: profile) {
            // The boot check's verdict is known, and counted as run, so that a report never
            // depends on which runs came before it.
            fullChecks += 1
            bootSnapshot = cached
        } else {
            if let failure = fullCheck(location: .boot) { return report(failure) }
            let snapshot = primary.snapshot()
            bootCache.store(snapshot, for: profile)
            bootSnapshot = snapshot
        }
        let operations = program.operations
        for index in operations.indices {
            if let failure = step(index, operations[index]) { return report(failure) }
            if (index + 1) % configuration.checkEvery == 0 || index == operations.count - 1 || fallbackCheckDue(index) {
                fallbackSeen = false
                lastCheckIndex = index
                if let failure = fullCheck(location: .check(after: index)) { return report(failure) }
            }
        }
        if configuration.livenessPhase, let failure = livenessPhase() { return report(failure) }
        return passedReport()
    }

    /// A fallback since the last full check, which lies at least `checkAfterFallback` operations back.
    func fallbackCheckDue(_ index: Int) -> Bool {
        guard fallbackSeen, let spacing = configuration.checkAfterFallback else { return false }
        return index - lastCheckIndex >= spacing
    }

    // MARK: - Calls

    mutating func step(_ index: Int, _ operation: ProgramOperation) -> Failure? {
        let resolved = user.resolve(operation)
        operationsRun = index + 1
        var record = StepRecord(index: index, operation: operation)
        var failure: Failure?
        if let call = resolved.first {
            failure = perform(call, hint: resolved.allocationIndex, planted: resolved.plantedCondition, record: &record.first, location: .operation(index))
        }
        if failure == nil, let call = resolved.second {
            failure = perform(call, hint: resolved.allocationIndex, planted: false, record: &record.second, location: .operation(index))
        }
        for call in resolved.more ?? [] where failure == nil {
            var callRecord: CallRecord?
            failure = perform(call, hint: nil, planted: false, record: &callRecord, location: .operation(index))
            record.more = (record.more ?? []) + [callRecord!]
        }
        remember(record)
        return failure
    }

    /// One call to both allocators, compared, then the bookkeeping updated.
    mutating func perform(_ call: Operation, hint: Int?, planted: Bool, record: inout CallRecord?, location: FailureLocation) -> Failure? {
        let outcome = primary.apply(call)
        guard let subject else {
            record = CallRecord(call: call, outcome: outcome, subjectOutcome: nil)
            return updateBookkeeping(call, outcome, hint: hint, location: location)
        }
        var subjectOutcome = subject.apply(call)
        if planted && configuration.plantedDivergence, case .completed(let pages) = subjectOutcome {
            subjectOutcome = .completed(pagesFreed: pages + 1)
        }
        record = CallRecord(call: call, outcome: outcome, subjectOutcome: subjectOutcome)
        if outcome != subjectOutcome {
            return divergence("outcome", call: call, location: location)
        }
        if primary.events != subject.events {
            return divergence("events", call: call, location: location)
        }
        if configuration.checkAfterFallback != nil, primary.events.contains(where: \.isFallback) { fallbackSeen = true }
        primary.removeAllEvents()
        subject.removeAllEvents()
        return updateBookkeeping(call, outcome, hint: hint, location: location)
    }

    mutating func updateBookkeeping(_ call: Operation, _ outcome: Outcome, hint: Int?, location: FailureLocation) -> Failure? {
        do {
            try user.update(call, outcome: outcome, hint: hint)
            return nil
        } catch {
            let details = """
                The harness's bookkeeping (the caller's view of live allocations and references,
                kept by the pinned rules of __free_pages, put_page, get_page and split_page)
                disagrees with \(primaryName)'s outcome of \(Describe.call(call)):
                  outcome: \(Describe.outcome(outcome))
                  expected: \(error.expected)
                  found: \(error.found)
                """
            return Failure(verdict: .invariantViolation, title: "invariant: UserBookkeeping: \(error.rule)", location: location, details: details)
        }
    }

    /// Outcomes or events differ: both sides of the call and the snapshot difference.
    func divergence(_ what: String, call: Operation, location: FailureLocation) -> Failure {
        let subject = subject!
        let differences = SnapshotDiff.differences(primary.snapshot(), subject.snapshot(), profile: profile)
        let details = """
            Events of \(Describe.call(call)):
              \(primaryName) (\(primary.events.count)):
            \(Describe.events(primary.events, profile: profile, indent: "    "))
              \(subjectName) (\(subject.events.count)):
            \(Describe.events(subject.events, profile: profile, indent: "    "))

            Snapshot difference after the call (\(primaryName) vs \(subjectName)):
            \(SnapshotDiff.render(differences, leftName: primaryName, rightName: subjectName))
            """
        return Failure(verdict: .divergence, title: "divergence: \(what): \(call.kindName)", location: location, details: details)
    }

    mutating func remember(_ record: StepRecord) {
        if configuration.traceCalls { trace += describe(record, failing: false) }
        let capacity = configuration.contextBefore + 1
        if recent.count < capacity {
            recent.append(record)
        } else {
            recent[recentNext] = record
        }
        recentNext = (recentNext + 1) % capacity
    }

    /// The remembered steps, oldest first.
    var recentInOrder: [StepRecord] {
        recent.count < configuration.contextBefore + 1 ? recent : Array(recent[recentNext...] + recent[..<recentNext])
    }

    // MARK: - Full checks

    /// Snapshots compared, invariant checkers run, bookkeeping compared with `allocated`.
    mutating func fullCheck(location: FailureLocation) -> Failure? {
        fullChecks += 1
        let snapshot = primary.snapshot()
        if let subject {
            let other = subject.snapshot()
            if snapshot != other { return snapshotDivergence(snapshot, other, location: location) }
        }
        let context = CheckContext(profile: profile, highatomicReserveSeen: user.highatomicReserveSeen).prepared(for: snapshot)
        let violations = configuration.checkers.flatMap { $0.check(snapshot, context: context) }
        if let first = violations.first {
            return Failure(verdict: .invariantViolation, title: first.title, location: location, details: render(violations))
        }
        return checkBookkeeping(snapshot, location: location)
    }

    func snapshotDivergence(_ left: StateSnapshot, _ right: StateSnapshot, location: FailureLocation) -> Failure {
        let differences = SnapshotDiff.differences(left, right, profile: profile)
        let field = differences.first?.field ?? "unknown"
        let details = """
            Snapshot difference (\(primaryName) vs \(subjectName)):
            \(SnapshotDiff.render(differences, leftName: primaryName, rightName: subjectName))
            """
        return Failure(verdict: .divergence, title: "divergence: snapshot: \(field)", location: location, details: details)
    }

    func render(_ violations: [InvariantViolation]) -> String {
        let who = subject == nil ? primaryName : "\(primaryName) and \(subjectName) (equal snapshots)"
        let list = violations.prefix(8).map { "- " + $0.description.replacingOccurrences(of: "\n", with: "\n  ") }
        let more = violations.count > 8 ? ["(\(violations.count - 8) more violations)"] : []
        return (["Invariant violations in the state of \(who):"] + list + more).joined(separator: "\n")
    }

    mutating func checkBookkeeping(_ snapshot: StateSnapshot, location: FailureLocation) -> Failure? {
        guard !user.matches(snapshot.allocated) else { return nil }
        let expected = user.allocatedBlocks
        let differences = zip(expected, snapshot.allocated).enumerated().first { $0.element.0 != $0.element.1 }
        let detail = differences.map { "first difference at [\($0.offset)]: harness \(StateDump.describe($0.element.0)), \(primaryName) \(StateDump.describe($0.element.1))" }
            ?? "harness holds \(expected.count) blocks, \(primaryName) lists \(snapshot.allocated.count)"
        let details = """
            The harness's live allocations differ from the allocated blocks of \(primaryName)'s snapshot:
              \(detail)
            """
        return Failure(verdict: .invariantViolation, title: "invariant: UserBookkeeping: allocated-blocks", location: location, details: details)
    }
}

extension TraceEvent {
    /// `mm_page_alloc_extfrag`: an allocation took pages of another migratetype.
    var isFallback: Bool {
        if case .pageAllocExtfrag = self { return true }
        return false
    }
}
