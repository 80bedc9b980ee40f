import BuddyVocabulary
import OptimizedAllocator
import ReferenceAllocator

/// How a run ends, and the process exit status each class maps to.
public enum Verdict: String, CaseIterable, Hashable, Sendable {
    case passed
    case divergence
    case invariantViolation
    case livenessFailure

    /// 0 passed, 1 divergence, 2 invariant violation, 3 liveness failure.
    public var exitStatus: Int32 {
        switch self {
        case .passed: 0
        case .divergence: 1
        case .invariantViolation: 2
        case .livenessFailure: 3
        }
    }

    public var name: String {
        switch self {
        case .passed: "passed"
        case .divergence: "divergence"
        case .invariantViolation: "invariant violation"
        case .livenessFailure: "liveness failure"
        }
    }
}

/// Makes an allocator booted on a profile. A closure rather than a type, so a run can use any
/// `PageAllocator`: the two models, a mutant of the optimized one, or a test double.
public struct AllocatorFactory: Sendable {
    public var name: String
    public var make: @Sendable (Profile) -> any PageAllocator

    public init(name: String, make: @escaping @Sendable (Profile) -> any PageAllocator) {
        self.name = name
        self.make = make
    }

    /// The executable specification.
    public static let reference = AllocatorFactory(name: "reference") { ReferencePageAllocator(profile: $0) }

    /// The system under test.
    public static let optimized = AllocatorFactory(name: "optimized") { OptimizedPageAllocator(profile: $0) }

    /// The system under test with faults planted, for a bug hunt that proves the harness
    /// notices them.
    public static func optimized(mutants: MutantSet) -> AllocatorFactory {
        AllocatorFactory(name: "optimized+mutants") { PlantedPageAllocator(profile: $0, mutants: mutants) }
    }

    /// The allocators the CLI can name.
    public static let all: [AllocatorFactory] = [.reference, .optimized]

    public static func named(_ name: String) -> AllocatorFactory? { all.first { $0.name == name } }
}

/// Everything about a lockstep run except the program.
public struct LockstepConfiguration: Sendable {
    /// Which allocators run.
    public enum Allocators: Sendable {
        /// Both get every call; outcomes, events and snapshots are compared. The first is the
        /// reference whose outcomes drive the harness's bookkeeping.
        case lockstep(reference: AllocatorFactory, subject: AllocatorFactory)
        /// One allocator alone, checked by the invariant checkers and the liveness phase only.
        case audit(AllocatorFactory)

        /// The reference allocator against the optimized one.
        public static let standard = Allocators.lockstep(reference: .reference, subject: .optimized)
    }

    public var allocators: Allocators
    /// Full snapshot comparison and invariant checks after every this many operations (and
    /// always after the last one). Outcomes and events are compared after every call.
    public var checkEvery: Int
    /// When set, also a full check right after an operation whose calls emitted
    /// `mm_page_alloc_extfrag` (a fallback: `__rmqueue_claim` or `__rmqueue_steal`), if the last
    /// full check was at least this many operations before. A fallback changes state no outcome
    /// or event shows (`watermark_boost`, `ZONE_BOOSTED_WATERMARK`, pageblock types, which list
    /// a remainder went to), and later allocations or kswapd may even the difference out before
    /// a periodic check sees it. Under memory pressure most allocations fall back, hence the
    /// spacing.
    public var checkAfterFallback: Int?
    /// Test-only: the subject's outcome of a `put_page` on a tail page that frees a compound
    /// block of order ≥ 2 which once held a second reference reports one page too many. Proves
    /// that divergences are found, replayed and minimized: it needs four operations (the
    /// allocation, a `get_page`, a `put_page`, and the last `put_page` on a tail page).
    public var plantedDivergence: Bool
    /// Whether the run ends with the liveness phase (drain, free everything, compare with boot).
    public var livenessPhase: Bool
    /// Invariant checkers, run in this order.
    public var checkers: [any InvariantChecker]
    /// Operations shown before the failing one in a report.
    public var contextBefore: Int
    /// Operations shown after the failing one (not run) in a report.
    public var contextAfter: Int
    /// Whether the report lists every operation with its calls and outcomes (slow; for
    /// reading a short program's run).
    public var traceCalls = false

    public init(
        allocators: Allocators = .standard, checkEvery: Int = 1024, checkAfterFallback: Int? = nil, plantedDivergence: Bool = false,
        livenessPhase: Bool = true, checkers: [any InvariantChecker] = StandardCheckers.all,
        contextBefore: Int = 12, contextAfter: Int = 3
    ) {
        precondition(checkEvery > 0 && checkAfterFallback.map { $0 > 0 } ?? true, "check intervals must be positive")
        self.allocators = allocators
        self.checkEvery = checkEvery
        self.checkAfterFallback = checkAfterFallback
        self.plantedDivergence = plantedDivergence
        self.livenessPhase = livenessPhase
        self.checkers = checkers
        self.contextBefore = contextBefore
        self.contextAfter = contextAfter
    }

    /// "reference vs optimized" or "audit of reference".
    public var allocatorsDescription: String {
        switch allocators {
        case .lockstep(let reference, let subject): "\(reference.name) vs \(subject.name)"
        case .audit(let factory): "audit of \(factory.name)"
        }
    }
}

/// The result of one run: deterministic to the byte for the same program and configuration.
public struct RunReport: Hashable, Sendable {
    public var verdict: Verdict
    /// The stable bucket: `passed`, `divergence: outcome: alloc_pages`,
    /// `invariant: PageBuddyChecker: not-buddy-head`, `liveness: NR_FREE_PAGES`.
    public var title: String
    /// Program operations run, the failing one included.
    public var operationsRun: Int
    /// The program index of the failing operation (or of the last one before a failing check);
    /// nil when the run passed or failed at boot or in the liveness phase.
    public var failingOperationIndex: Int?
    /// The full human-readable report.
    public var text: String

    public init(verdict: Verdict, title: String, operationsRun: Int, failingOperationIndex: Int?, text: String) {
        self.verdict = verdict
        self.title = title
        self.operationsRun = operationsRun
        self.failingOperationIndex = failingOperationIndex
        self.text = text
    }
}
