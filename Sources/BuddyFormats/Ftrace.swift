import BuddyVocabulary

/// Where and when an event happened, for the ftrace line prefix: the caller decides, so that
/// output never depends on the wall clock.
public struct FtraceContext: Hashable, Sendable {
    /// `comm` of the task.
    public var task: String
    public var pid: Int
    public var cpu: CPUID
    /// The five latency columns (irqs-off, need-resched, hard/softirq, preempt depth,
    /// migrate-disable), e.g. `.....` or `d..1.`.
    public var latencyFlags: String
    /// The trace clock, in nanoseconds.
    public var timestampNanoseconds: UInt64

    public init(task: String = "buddyfuzz", pid: Int = 1, cpu: CPUID, latencyFlags: String = ".....", timestampNanoseconds: UInt64) {
        self.task = task
        self.pid = pid
        self.cpu = cpu
        self.latencyFlags = latencyFlags
        self.timestampNanoseconds = timestampNanoseconds
    }
}

/// `kmem` tracepoint events as ftrace prints them (`TP_printk` of include/trace/events/kmem.h,
/// after the default `trace` file context of `trace_print_context`).
public enum Ftrace {
    /// A full `trace` file line:
    /// `"%16s-%-7d [%03d] %s %5lu.%06lu: %s: %s"` (task, pid, cpu, latency flags, seconds,
    /// microseconds, tracepoint, fields).
    public static func line(_ event: TraceEvent, profile: Profile, context: FtraceContext) -> String {
        let seconds = context.timestampNanoseconds / 1_000_000_000
        let microseconds = context.timestampNanoseconds % 1_000_000_000 / 1000
        let task = KernelText.padded(context.task, width: 16) + "-" + KernelText.padded(String(context.pid), width: 7, leftJustified: true)
        let cpu = "[" + KernelText.zeroPadded(String(context.cpu.rawValue), width: 3) + "]"
        let time = KernelText.padded(String(seconds), width: 5) + "." + KernelText.zeroPadded(String(microseconds), width: 6)
        return "\(task) \(cpu) \(context.latencyFlags) \(time): " + body(event, profile: profile)
    }

    /// `"<tracepoint>: <fields>"`, the part after the context. `profile` supplies
    /// `pageblock_order` for `mm_page_alloc_extfrag`.
    public static func body(_ event: TraceEvent, profile: Profile) -> String {
        event.tracepointName + ": " + fields(event, profile: profile)
    }

    /// The `TP_printk` text of an event.
    public static func fields(_ event: TraceEvent, profile: Profile) -> String {
        switch event {
        case let .pageAlloc(pfn, order, gfp, migratetype):
            // The NULL page of a failed allocation prints pfn 0 (`pfn != -1UL ? pfn : 0`).
            return "page=\(pagePointer(pfn)) pfn=\(KernelText.hex(pfn?.rawValue ?? 0)) order=\(order.rawValue) migratetype=\(migratetype.rawValue) gfp_flags=\(GFPNames.render(gfp))"
        case let .pageAllocZoneLocked(pfn, order, migratetype, percpuRefill):
            return "page=\(pagePointer(pfn)) pfn=\(KernelText.hex(pfn.rawValue)) order=\(order.rawValue) migratetype=\(migratetype.rawValue) percpu_refill=\(percpuRefill ? 1 : 0)"
        case let .pageAllocExtfrag(pfn, allocOrder, fallbackOrder, allocMigratetype, fallbackMigratetype, changeOwnership):
            let fragmenting = fallbackOrder.rawValue < profile.pageblockOrder
            return "page=\(pagePointer(pfn)) pfn=\(KernelText.hex(pfn.rawValue)) alloc_order=\(allocOrder.rawValue) fallback_order=\(fallbackOrder.rawValue) pageblock_order=\(profile.pageblockOrder) alloc_migratetype=\(allocMigratetype.rawValue) fallback_migratetype=\(fallbackMigratetype.rawValue) fragmenting=\(fragmenting ? 1 : 0) change_ownership=\(changeOwnership ? 1 : 0)"
        case let .pagePcpuDrain(pfn, order, migratetype):
            return "page=\(pagePointer(pfn)) pfn=\(KernelText.hex(pfn.rawValue)) order=\(order.rawValue) migratetype=\(migratetype.rawValue)"
        case let .pageFree(pfn, order):
            return "page=\(pagePointer(pfn)) pfn=\(KernelText.hex(pfn.rawValue)) order=\(order.rawValue)"
        }
    }

    /// What `page=%p` prints for the page of `pfn`.
    ///
    /// The kernel prints a 32-bit SipHash of the `struct page` address under a key drawn at
    /// boot, zero-extended to 16 hex digits; NULL prints as 16 zeros. The model has no such
    /// address and no random key, so it prints 8 zeros and then a fixed 32-bit mix of the pfn
    /// (the pfn plus the golden-ratio constant through the MurmurHash3 64-bit finaliser, low
    /// half): the same pfn always gives the same "pointer", distinct pfns almost always differ,
    /// pfn 0 does not print as NULL, and the text has the kernel's shape.
    /// Tools should key on `pfn`, as they must with real traces.
    public static func pagePointer(_ pfn: PFN?) -> String {
        guard let pfn else { return String(repeating: "0", count: 16) }
        var mixed = UInt64(truncatingIfNeeded: pfn.rawValue) &+ 0x9e37_79b9_7f4a_7c15
        mixed ^= mixed >> 33
        mixed &*= 0xff51_afd7_ed55_8ccd
        mixed ^= mixed >> 33
        mixed &*= 0xc4ce_b9fe_1a85_ec53
        mixed ^= mixed >> 33
        return KernelText.zeroPadded(String(mixed & 0xffff_ffff, radix: 16), width: 16)
    }
}
