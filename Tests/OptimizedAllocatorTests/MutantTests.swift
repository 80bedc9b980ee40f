import BuddyVocabulary
import Testing
@testable import OptimizedAllocator

/// The fault-injection seam: empty unless asked for, and every planted fault observable.
@Suite struct MutantTests {
    /// The shipped allocator's seam is closed: nothing is planted and no seam point can fire;
    /// a planted allocator booted without mutants has an open seam and an empty mask.
    @Test func seamIsEmptyByDefault() {
        let allocator = OptimizedPageAllocator(profile: BuiltInProfiles.tiny)
        #expect(allocator.mutants.rawValue == 0)
        #expect(allocator.mutantBits == 0)
        #expect(!MutantSeamClosed.isOpen && MutantSeamOpen.isOpen)
        #expect(Mutant.allCases.allSatisfy { !allocator.mutant($0) })
        let unplanted = PlantedPageAllocator(profile: BuiltInProfiles.tiny)
        #expect(unplanted.mutants.rawValue == 0)
        #expect(Mutant.allCases.allSatisfy { !unplanted.mutant($0) })
        let planted = PlantedPageAllocator(profile: BuiltInProfiles.tiny, mutants: MutantSet([.pcpRefillOneMore]))
        #expect(Mutant.allCases.filter { planted.mutant($0) } == [.pcpRefillOneMore])
        #expect(MutantSet().mutants.isEmpty)
    }

    @Test func namesAreUniqueAndRoundTrip() {
        let names = Mutant.allCases.map(\.name)
        #expect(Set(names).count == names.count)
        #expect(Mutant.allCases.count >= 20)
        #expect(Mutant.allCases.count <= 64, "a mutant is one bit of a UInt64")
        for mutant in Mutant.allCases {
            #expect(Mutant(name: mutant.name) == mutant)
            #expect(MutantSet([mutant]).mutants == [mutant])
        }
        #expect(Mutant(name: "no-such-mutant") == nil)
        #expect(Mutant.mergeIgnoresPageblockType.name == "merge-ignores-pageblock-type")
    }

    /// Each planted fault makes the allocator differ from the unplanted one (an outcome, an
    /// event or the state) on some seeded run: no mutant is dead code or equivalent.
    @Test(arguments: Mutant.allCases)
    func plantedFaultIsObservable(mutant: Mutant) {
        let runs: [(Profile, UInt64, Twin.Workload)] = [
            (BuiltInProfiles.tiny, 21, .storm(freeEvery: 4)), (BuiltInProfiles.tiny, 11, .random),
            (BuiltInProfiles.tiny, 22, .storm(freeEvery: 2)), (BuiltInProfiles.small, 12, .random),
            (Self.numaWithMovableZone, 31, .storm(freeEvery: 3)), (BuiltInProfiles.tinyNUMA, 14, .random),
        ]
        for (profile, seed, workload) in runs {
            let twin = Twin(profile: profile, mutants: MutantSet([mutant]))
            if twin.diverges(workload, seed: seed) { return }
        }
        Issue.record("\(mutant.name) never changed an outcome, an event or the state")
    }

    /// Two nodes, only the second with a Movable zone: a GFP_HIGHUSER_MOVABLE request from node 0
    /// prefers node 0's Normal zone while its highest zone is Movable, and node 1's zones keep
    /// different lowmem reserves for the two.
    static let numaWithMovableZone = Profile(
        name: "numa-movable", pageSize: 4096, maxPageOrder: 6, pageblockOrder: 4, cpus: 2,
        nodes: [
            Profile.Node(cpus: 1, zones: [
                Profile.Zone(type: .dma32, startPfn: 0, spannedPages: 1024),
                Profile.Zone(type: .normal, startPfn: 1024, spannedPages: 1024),
            ]),
            Profile.Node(cpus: 1, zones: [
                Profile.Zone(type: .normal, startPfn: 4096, spannedPages: 1024),
                Profile.Zone(type: .movable, startPfn: 5120, spannedPages: 2048),
            ]),
        ])
}

/// A clean and a planted allocator driven by the same calls; the clean one's outcomes steer the
/// workload.
final class Twin {
    enum Workload {
        /// Every kind of call, aimed at live blocks and at random PFNs.
        case random
        /// Movable pages over all memory with one in `freeEvery` freed, then unmovable,
        /// reclaimable and movable requests that must claim and steal, then everything freed.
        case storm(freeEvery: Int)
    }

    let profile: Profile
    let clean: OptimizedPageAllocator
    let planted: PlantedPageAllocator
    var diverged = false

    init(profile: Profile, mutants: MutantSet) {
        self.profile = profile
        clean = OptimizedPageAllocator(profile: profile)
        planted = PlantedPageAllocator(profile: profile, mutants: mutants)
        clean.recordsEvents = true
        planted.recordsEvents = true
    }

    @discardableResult
    func apply(_ operation: Operation) -> Outcome {
        let outcome = clean.apply(operation)
        if planted.apply(operation) != outcome || planted.events != clean.events { diverged = true }
        clean.removeAllEvents()
        planted.removeAllEvents()
        return outcome
    }

    func statesDiffer() -> Bool { planted.snapshot() != clean.snapshot() }

    func diverges(_ workload: Workload, seed: UInt64) -> Bool {
        var random = SplitMix64(seed: seed)
        switch workload {
        case .random:
            var live: [OperationGenerator.Live] = []
            for step in 0..<3000 where !diverged {
                let operation = OperationGenerator.next(&random, profile: profile, live: live)
                OperationGenerator.update(&live, operation: operation, outcome: apply(operation))
                if step % 100 == 99, statesDiffer() { return true }
            }
        case let .storm(freeEvery):
            storm(&random, freeEvery: freeEvery)
        }
        return diverged || statesDiffer()
    }

    func storm(_ random: inout SplitMix64, freeEvery: Int) {
        var filled: [Int] = []
        let managed = profile.allZones.reduce(0) { $0 + $1.zone.managedPages }
        for _ in 0..<managed {
            guard case let .allocated(pfn) = apply(.allocate(cpu: CPUID(0), order: .zero, gfp: .highUserMovable)) else { break }
            filled.append(pfn.rawValue)
        }
        for (position, pfn) in filled.enumerated() where position % freeEvery == 0 {
            apply(.freePages(cpu: CPUID(0), pfn: PFN(pfn), order: .zero))
        }
        apply(.drainAll)
        var live: [(pfn: Int, order: Int)] = []
        let masks: [GFPFlags] = [.kernel, [.kernel, .reclaimable], .highUserMovable, .atomic, .noWait, [.atomic, .comp], [.io, .fs]]
        for step in 0..<800 where !diverged {
            let cpu = CPUID(random.below(profile.cpus))
            switch random.below(20) {
            case 0..<11:
                let order = random.below(4)
                if case let .allocated(pfn) = apply(.allocate(cpu: cpu, order: Order(order), gfp: masks[random.below(masks.count)])) {
                    live.append((pfn.rawValue, order))
                }
            case 11..<17 where !live.isEmpty:
                let victim = live.remove(at: random.below(live.count))
                apply(.freePages(cpu: cpu, pfn: PFN(victim.pfn), order: Order(victim.order)))
            case 17:
                apply(.kswapdBalanced(node: NodeID(0)))
            case 18:
                apply(.vmstatTick(cpu: cpu))
            default:
                apply(.drainCPU(cpu: cpu))
            }
            if step % 100 == 99, statesDiffer() { diverged = true }
        }
        // Everything back: merges across pageblocks of every type.
        for block in live where !diverged { apply(.freePages(cpu: CPUID(0), pfn: PFN(block.pfn), order: Order(block.order))) }
        for (position, pfn) in filled.enumerated() where position % freeEvery != 0 && !diverged {
            apply(.freePages(cpu: CPUID(1 % profile.cpus), pfn: PFN(pfn), order: .zero))
        }
        apply(.drainAll)
    }
}
