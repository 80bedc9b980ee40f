/// The benchmark workloads, each a fixed, seeded sequence of calls.
public enum BenchWorkload: String, CaseIterable, Sendable {
    /// Order-0 GFP_KERNEL alloc and free on one CPU through the pcp; op = one alloc+free pair.
    case pcpChurn = "pcp-churn"
    /// Orders 0-3 and the THP order with a GFP mix over four CPUs, up to half of memory live;
    /// op = one call.
    case mixed
    /// Movable pages scattered over most of memory, then unmovable, reclaimable and movable
    /// requests that must claim or steal; op = one call.
    case fragmentationStorm = "fragmentation-storm"
    /// THP-order alloc and free; op = one alloc+free pair.
    case thpChurn = "thp-churn"
    /// Order-9 movable allocations split from order-10 buddies; op = one allocation.
    case order9Split = "order9-split"

    /// What one operation of the workload is.
    public var unit: String {
        switch self {
        case .pcpChurn, .thpChurn: "alloc+free pair"
        case .mixed, .fragmentationStorm: "call"
        case .order9Split: "order-9 allocation"
        }
    }
}

/// Operations counted and time spent in the timed part of a workload.
public struct BenchTiming: Sendable {
    public var operations = 0
    public var duration = Duration.zero

    public init() {}

    public var nanosecondsPerOperation: Double {
        let (seconds, attoseconds) = duration.components
        let nanoseconds = Double(seconds) * 1e9 + Double(attoseconds) / 1e9
        return operations > 0 ? nanoseconds / Double(operations) : 0
    }
}
