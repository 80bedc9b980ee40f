import BuddyVocabulary

/// The type of one operation of a `Program`.
typealias ProgramOperation = Operation

/// Field-level changes of one operation: the part of the mutator that knows the operation type.
enum OperationMutations {
    /// The flags a change of GFP toggles: the zone modifiers, the mobility hints, the reserve
    /// flags, `__GFP_COMP` and the reclaim bits that decide `ALLOC_*`.
    static let interestingFlags: [GFPFlags] = [
        .dma, .dma32, .highmem, .movable, .reclaimable, .high, .memalloc, .noMemalloc, .comp,
        .directReclaim, .kswapdReclaim, .noWarn, .noFail, .thisNode, .hardwall, .zero,
    ]
    static let orderMax = 12
    static let cpuMax = 8

    static func change(_ mutation: ProgramMutator.Mutation, of operation: ProgramOperation, using random: inout SplitMix64) -> ProgramOperation {
        switch (mutation, operation) {
        case let (.changeOrder, .allocate(cpu, order, gfp)): .allocate(cpu: cpu, order: nearby(order, using: &random), gfp: gfp)
        case let (.changeOrder, .freePages(cpu, pfn, order)): .freePages(cpu: cpu, pfn: pfn, order: nearby(order, using: &random))
        case let (.changeOrder, .splitPage(pfn, order)): .splitPage(pfn: pfn, order: nearby(order, using: &random))
        case let (.changeCPU, .allocate(_, order, gfp)): .allocate(cpu: randomCPU(using: &random), order: order, gfp: gfp)
        case let (.changeCPU, .freePages(_, pfn, order)): .freePages(cpu: randomCPU(using: &random), pfn: pfn, order: order)
        case let (.changeCPU, .putPage(_, pfn)): .putPage(cpu: randomCPU(using: &random), pfn: pfn)
        case (.changeCPU, .drainCPU): .drainCPU(cpu: randomCPU(using: &random))
        case (.changeCPU, .vmstatTick): .vmstatTick(cpu: randomCPU(using: &random))
        case let (.changeGFP, .allocate(cpu, order, gfp)):
            .allocate(cpu: cpu, order: order, gfp: gfp.symmetricDifference(interestingFlags.randomElement(using: &random)!))
        case let (.changeTarget, .freePages(cpu, pfn, order)): .freePages(cpu: cpu, pfn: pfn.advanced(by: order.pageCount), order: order)
        case let (.changeTarget, .splitPage(pfn, order)): .splitPage(pfn: pfn.advanced(by: order.pageCount), order: order)
        default: operation
        }
    }

    /// An order one step away, or any order up to one past the largest `MAX_PAGE_ORDER`.
    static func nearby(_ order: Order, using random: inout SplitMix64) -> Order {
        switch Int.random(in: 0..<3, using: &random) {
        case 0: Order(max(0, order.rawValue - 1))
        case 1: Order(min(orderMax, order.rawValue + 1))
        default: Order(Int.random(in: 0...orderMax, using: &random))
        }
    }

    static func randomCPU(using random: inout SplitMix64) -> CPUID { CPUID(Int.random(in: 0..<cpuMax, using: &random)) }
}
