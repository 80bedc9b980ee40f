import BuddyVocabulary
import Lockstep
import ReferenceAllocator

/// The reference allocator with one deliberate defect, to prove the runner catches each class of
/// failure.
final class DistortedAllocator: PageAllocator {
    enum Distortion: Sendable {
        case none
        /// Drops the last event of every `alloc_pages` call that succeeded.
        case dropAllocationEvent
        /// Reports the first pageset of the first zone with `high` one too large.
        case snapshotPCPHigh
        /// Leaves out the first PageBuddy page of every zone from its snapshot.
        case hideBuddyPage
        /// `drain_all_pages` does nothing.
        case drainAllIgnored
        /// `split_page` reports one page freed.
        case splitReportsFree
    }

    let inner: ReferencePageAllocator
    let distortion: Distortion

    init(profile: Profile) {
        inner = ReferencePageAllocator(profile: profile)
        distortion = .none
    }

    init(profile: Profile, distortion: Distortion) {
        inner = ReferencePageAllocator(profile: profile)
        self.distortion = distortion
    }

    var profile: Profile { inner.profile }
    var recordsEvents: Bool {
        get { inner.recordsEvents }
        set { inner.recordsEvents = newValue }
    }
    var droppedLastEvent = false
    var events: [TraceEvent] { droppedLastEvent ? Array(inner.events.dropLast()) : inner.events }
    func removeAllEvents() {
        droppedLastEvent = false
        inner.removeAllEvents()
    }

    func apply(_ operation: Operation) -> Outcome {
        switch (distortion, operation) {
        case (.drainAllIgnored, .drainAll): return .completed(pagesFreed: 0)
        default: break
        }
        let outcome = inner.apply(operation)
        switch (distortion, operation, outcome) {
        case (.dropAllocationEvent, .allocate, .allocated): droppedLastEvent = true
        case (.splitReportsFree, .splitPage, .completed): return .completed(pagesFreed: 1)
        default: break
        }
        return outcome
    }

    func snapshot() -> StateSnapshot {
        var snapshot = inner.snapshot()
        switch distortion {
        case .snapshotPCPHigh:
            if !snapshot.zones[0].pagesets.isEmpty { snapshot.zones[0].pagesets[0].high += 1 }
        case .hideBuddyPage:
            for index in snapshot.zones.indices where !snapshot.zones[index].buddyPages.isEmpty {
                snapshot.zones[index].buddyPages.removeFirst()
            }
        default: break
        }
        return snapshot
    }
}

extension AllocatorFactory {
    static func distorted(_ distortion: DistortedAllocator.Distortion) -> AllocatorFactory {
        AllocatorFactory(name: "distorted") { DistortedAllocator(profile: $0, distortion: distortion) }
    }
}
