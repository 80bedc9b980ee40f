import BuddyVocabulary
import Foundation
import ReferenceAllocator
import Testing
@testable import FuzzSupport

/// Records what the reference allocator did under a lockstep audit run: every call, its outcome
/// and events, and the highatomic reservation after each allocation.
final class PathRecorder: @unchecked Sendable {
    var calls: [(operation: BuddyVocabulary.Operation, outcome: Outcome, events: [TraceEvent])] = []
    var reservedHighatomic: [Int] = []
}

/// A `PageAllocator` that forwards to the reference allocator and records into a `PathRecorder`.
final class RecordingAllocator: PageAllocator {
    let inner: ReferencePageAllocator
    let recorder: PathRecorder
    var eventsRequested = false

    init(profile: Profile) { fatalError("built by the recording factory") }

    init(profile: Profile, recorder: PathRecorder) {
        inner = ReferencePageAllocator(profile: profile)
        inner.recordsEvents = true
        self.recorder = recorder
    }

    var profile: Profile { inner.profile }
    var recordsEvents: Bool {
        get { eventsRequested }
        set { eventsRequested = newValue }
    }
    var events: [TraceEvent] { eventsRequested ? inner.events : [] }
    func removeAllEvents() { inner.removeAllEvents() }
    func snapshot() -> StateSnapshot { inner.snapshot() }

    func apply(_ operation: BuddyVocabulary.Operation) -> Outcome {
        let before = inner.events.count
        let outcome = inner.apply(operation)
        recorder.calls.append((operation, outcome, Array(inner.events[before...])))
        if !eventsRequested { inner.removeAllEvents() }
        // A reservation follows a successful allocation of order > 0; giving one back happens
        // on the way to a failure. Snapshots only there keep the test fast.
        if case let .allocate(_, order, _) = operation, order > .zero || outcome == .allocationFailed {
            recorder.reservedHighatomic.append(inner.snapshot().zones.reduce(0) { $0 + $1.nrReservedHighatomic })
        }
        return outcome
    }
}

/// The paths the seed corpus must reach, each named after the kernel function it exercises.
enum SeedPath: String, CaseIterable {
    case pcpRefill = "rmqueue_bulk (pcp refill)"
    case pcpSpill = "free_pcppages_bulk (pcp spill)"
    case claim = "try_to_claim_block (claim)"
    case steal = "__rmqueue_steal (steal)"
    case highatomicReserve = "reserve_highatomic_pageblock"
    case highatomicUnreserve = "unreserve_highatomic_pageblock"
    case isolate = "set_migratetype_isolate"
    case unisolate = "unset_migratetype_isolate"
    case freeWithExtraReference = "__free_pages with an extra reference"
    case doubleFree = "bad free: double-free"
    case tailPage = "bad free: tail-page"
    case wrongOrder = "bad free: wrong-order"
    case notHead = "bad free: not-head"
    case refcountUnderflow = "bad free: refcount-underflow"

    static func reached(by recorder: PathRecorder) -> Set<SeedPath> {
        var paths: Set<SeedPath> = []
        var previous: BuddyVocabulary.Operation?
        for call in recorder.calls {
            for event in call.events {
                switch event {
                case .pageAllocZoneLocked(_, _, _, true): paths.insert(.pcpRefill)
                case .pagePcpuDrain: paths.insert(.pcpSpill)
                case .pageAllocExtfrag(_, _, _, _, _, true): paths.insert(.claim)
                case .pageAllocExtfrag(_, _, _, _, _, false): paths.insert(.steal)
                default: break
                }
            }
            switch (call.operation, call.outcome) {
            case (.isolatePageblock, .completed): paths.insert(.isolate)
            case (.unisolatePageblock, .completed): paths.insert(.unisolate)
            case let (.freePages(_, pfn, order), .completed(freed)) where freed > 0 && freed < order.pageCount:
                if case .getPage(pfn) = previous { paths.insert(.freeWithExtraReference) }
            case let (_, .rejected(rejection)):
                switch rejection.reason {
                case .doubleFree: paths.insert(.doubleFree)
                case .tailPage: paths.insert(.tailPage)
                case .wrongOrder: paths.insert(.wrongOrder)
                case .notHead: paths.insert(.notHead)
                case .refcountUnderflow: paths.insert(.refcountUnderflow)
                default: break
                }
            default: break
            }
            previous = call.operation
        }
        let reserved = recorder.reservedHighatomic
        if reserved.contains(where: { $0 > 0 }) { paths.insert(.highatomicReserve) }
        if zip(reserved, reserved.dropFirst()).contains(where: { $0 > $1 }) { paths.insert(.highatomicUnreserve) }
        return paths
    }
}

@Suite("Seed corpus paths")
struct SeedPathsTests {
    @Test("The lockstep seeds together reach every path the fuzzer starts from")
    func seedsReachEveryPath() {
        var reached: Set<SeedPath> = []
        for seed in SeedCorpus.lockstep {
            let recorder = PathRecorder()
            let factory = AllocatorFactory(name: "recording reference") { RecordingAllocator(profile: $0, recorder: recorder) }
            let report = LockstepRunner(configuration: LockstepConfiguration(allocators: .audit(factory), livenessPhase: false)).run(ProgramCodec.decode(seed.bytes))
            #expect(report.verdict == .passed, "\(seed.name): \(report.title)")
            reached.formUnion(SeedPath.reached(by: recorder))
        }
        let missing = SeedPath.allCases.filter { !reached.contains($0) }.map(\.rawValue)
        #expect(missing.isEmpty, "no seed reaches: \(missing.joined(separator: ", "))")
    }
}
