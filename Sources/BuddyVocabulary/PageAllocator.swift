/// The contract both allocators implement: the same calls, the same results, the same events,
/// the same state.
///
/// An allocator is created booted (every pageblock MOVABLE, all managed memory in the buddy,
/// zones set up). `apply` runs one operation to completion. Events are recorded only while
/// `recordsEvents` is true; they accumulate in `events` until `removeAllEvents()`.
public protocol PageAllocator: AnyObject {
    /// Boots an allocator on a validated profile.
    init(profile: Profile)
    /// The geometry this allocator was booted with.
    var profile: Profile { get }
    /// Runs one operation. A rejected operation leaves the state untouched.
    func apply(_ operation: Operation) -> Outcome
    /// Whether `apply` records tracepoint events.
    var recordsEvents: Bool { get set }
    /// The events recorded since the last `removeAllEvents()`, in emission order.
    var events: [TraceEvent] { get }
    /// Forgets the recorded events, keeping the buffer's capacity.
    func removeAllEvents()
    /// The canonical state.
    func snapshot() -> StateSnapshot
}
