import BuddyVocabulary
import Lockstep

/// Field-level changes of one operation: the part of the mutator that knows the operation type.
/// Every result stays canonical: values are reduced into the ranges of the program's profile
/// (`ProgramOperation`'s documented field ranges), so encoding never traps.
enum OperationMutations {
    static func change(
        _ mutation: ProgramMutator.Mutation, of operation: ProgramOperation, profile: Profile, using random: inout SplitMix64
    ) -> ProgramOperation {
        let cpuCount = ProgramLimits.cpuCount(profile)
        switch (mutation, operation) {
        case let (.changeOrder, .allocate(cpu, order, gfp)):
            return .allocate(cpu: cpu, order: nearby(order, orderMax: profile.maxPageOrder, using: &random), gfp: gfp)
        case let (.changeCPU, .allocate(_, order, gfp)): return .allocate(cpu: Int.random(in: 0..<cpuCount, using: &random), order: order, gfp: gfp)
        case let (.changeCPU, .free(_, allocation)): return .free(cpu: Int.random(in: 0..<cpuCount, using: &random), allocation: allocation)
        case let (.changeCPU, .putPage(_, allocation, page)):
            return .putPage(cpu: Int.random(in: 0..<cpuCount, using: &random), allocation: allocation, page: page)
        case let (.changeCPU, .freeWithExtraReference(_, allocation)):
            return .freeWithExtraReference(cpu: Int.random(in: 0..<cpuCount, using: &random), allocation: allocation)
        case (.changeCPU, .drainCPU): return .drainCPU(cpu: Int.random(in: 0..<cpuCount, using: &random))
        case (.changeCPU, .vmstatTick): return .vmstatTick(cpu: Int.random(in: 0..<cpuCount, using: &random))
        case let (.changeGFP, .allocate(cpu, order, gfp)): return .allocate(cpu: cpu, order: order, gfp: changed(gfp, using: &random))
        case let (.changeTarget, .free(cpu, allocation)): return .free(cpu: cpu, allocation: retarget(allocation, using: &random))
        case let (.changeTarget, .getPage(allocation, page)): return .getPage(allocation: retarget(allocation, using: &random), page: page)
        case let (.changeTarget, .putPage(cpu, allocation, page)):
            return .putPage(cpu: cpu, allocation: retarget(allocation, using: &random), page: page)
        case let (.changeTarget, .freeWithExtraReference(cpu, allocation)):
            return .freeWithExtraReference(cpu: cpu, allocation: retarget(allocation, using: &random))
        case let (.changeTarget, .splitPage(allocation)): return .splitPage(allocation: retarget(allocation, using: &random))
        case let (.changeTarget, .isolate(block)): return .isolate(block: retarget(block, using: &random))
        case let (.changeTarget, .unisolate(block)): return .unisolate(block: retarget(block, using: &random))
        default: return operation
        }
    }

    /// Live allocations and pageblocks are chosen modulo their count, so small values and
    /// neighbours are the ones that pick a different target.
    static func retarget(_ index: Int, using random: inout SplitMix64) -> Int {
        switch Int.random(in: 0..<3, using: &random) {
        case 0: max(0, index - 1)
        case 1: min(ProgramLimits.indexFieldCount - 1, index + 1)
        default: Int.random(in: 0..<16, using: &random)
        }
    }

    /// An order one step away, or any order up to `MAX_PAGE_ORDER`.
    static func nearby(_ order: Int, orderMax: Int, using random: inout SplitMix64) -> Int {
        switch Int.random(in: 0..<3, using: &random) {
        case 0: max(0, order - 1)
        case 1: min(orderMax, order + 1)
        default: Int.random(in: 0...orderMax, using: &random)
        }
    }

    /// Another named base mask, or one modifier bit toggled; canonicalized.
    static func changed(_ gfp: GFPChoice, using random: inout SplitMix64) -> GFPChoice {
        var result = gfp
        if Bool.random(using: &random) {
            result.base = Int.random(in: GFPChoice.bases.indices, using: &random)
        } else {
            result.modifiers ^= 1 << UInt8(Int.random(in: GFPChoice.modifiers.indices, using: &random))
        }
        return result.canonicalized
    }
}
