import BuddyVocabulary
import Testing

/// A deterministic pseudo-random source (SplitMix64), so that every run makes the same calls.
struct SplitMix64 {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }
}

/// Seeded sequences of every operation, with the books checked from the snapshot every few
/// hundred operations: free lists against `nr_free`, PageBuddy pages and `NR_FREE_PAGES`; pcp
/// lists against `count`; and every managed page accounted for exactly once.
@Suite("Random operations keep the books balanced")
struct RandomOperationsTests {
    static let masks: [GFPFlags] = [
        .kernel, .kernelMovable, .kernelReclaimable, .atomic, .noWait, .highUserMovable,
        [.kernel, .comp], [.atomic, .comp], .gfpDMA32, [.kernel, .memalloc], [.kernel, .noRetry], .transhuge,
    ]

    @Test("tiny, 6000 operations per seed", arguments: implementations, [1, 2, 3])
    func tiny(_ implementation: Implementation, seed: UInt64) {
        run(implementation.boot(BuiltInProfiles.tiny), seed: seed, operations: 6000)
    }

    @Test("small (x86_64 orders), 3000 operations", arguments: implementations)
    func small(_ implementation: Implementation) {
        run(implementation.boot(BuiltInProfiles.small), seed: 11, operations: 3000)
    }

    @Test("tiny-numa, 4000 operations", arguments: implementations)
    func tinyNUMA(_ implementation: Implementation) {
        run(implementation.boot(BuiltInProfiles.tinyNUMA), seed: 7, operations: 4000)
    }

    func run(_ allocator: any PageAllocator, seed: UInt64, operations: Int) {
        var random = SplitMix64(state: seed)
        var live: [(pfn: PFN, order: Int)] = []
        let profile = allocator.profile
        let spans = profile.allZones.map { ($0.zone.startPfn, $0.zone.endPfn) }
        allocator.recordsEvents = true
        for step in 0..<operations {
            let operation = randomOperation(&random, live: &live, profile: profile, spans: spans)
            let outcome = allocator.apply(operation)
            if case .allocate(_, let order, _) = operation, case .allocated(let pfn) = outcome {
                live.append((pfn, order.rawValue))
            }
            allocator.removeAllEvents()
            if step % 300 == 0 || step == operations - 1 {
                checkBooks(allocator.snapshot(), profile: profile, step: step)
            }
        }
    }

    func randomOperation(_ random: inout SplitMix64, live: inout [(pfn: PFN, order: Int)], profile: Profile, spans: [(Int, Int)]) -> Operation {
        let cpu = CPUID(random.below(profile.cpus))
        let roll = random.below(100)
        switch roll {
        case 0..<40:
            let order = random.below(4) == 0 ? random.below(profile.maxPageOrder + 1) : random.below(2)
            return .allocate(cpu: cpu, order: Order(order), gfp: Self.masks[random.below(Self.masks.count)])
        case 40..<70 where !live.isEmpty:
            let index = random.below(live.count)
            let block = live.remove(at: index)
            return .freePages(cpu: cpu, pfn: block.pfn, order: Order(block.order))
        case 70..<75 where !live.isEmpty:
            return .getPage(pfn: live[random.below(live.count)].pfn)
        case 75..<80 where !live.isEmpty:
            let block = live[random.below(live.count)]
            return .putPage(cpu: cpu, pfn: block.pfn.advanced(by: random.below(1 << block.order)))
        case 80..<83 where !live.isEmpty:
            let block = live.remove(at: random.below(live.count))
            for index in 0..<(1 << block.order) { live.append((block.pfn.advanced(by: index), 0)) }
            return .splitPage(pfn: block.pfn, order: Order(block.order))
        case 83..<86:
            let span = spans[random.below(spans.count)]
            return .freePages(cpu: cpu, pfn: PFN(span.0 + random.below(span.1 - span.0 + 64)), order: Order(random.below(3)))
        case 86..<89:
            let span = spans[random.below(spans.count)]
            let pfn = PFN(span.0 + random.below(span.1 - span.0))
            return random.below(2) == 0 ? .isolatePageblock(pfn: pfn) : .unisolatePageblock(pfn: pfn)
        case 89..<93:
            return .vmstatTick(cpu: cpu)
        case 93..<95:
            return .drainCPU(cpu: cpu)
        case 95:
            return .drainAll
        case 96:
            return .kswapdBalanced(node: NodeID(random.below(profile.nodes.count)))
        case 97:
            return .writeSysctl([.minFreeKbytes(random.below(2000)), .watermarkScaleFactor(1 + random.below(500)),
                                 .percpuPagelistHighFraction(random.below(2) == 0 ? 0 : 8 + random.below(20))][random.below(3)])
        default:
            return .allocate(cpu: cpu, order: Order(random.below(3)), gfp: .atomic)
        }
    }

    func checkBooks(_ snapshot: StateSnapshot, profile: Profile, step: Int, sourceLocation: SourceLocation = #_sourceLocation) {
        var accounted = 0
        for zone in snapshot.zones {
            var onLists: [Int: Int] = [:]
            var freeOutsideIsolate = 0
            for (order, area) in zone.freeAreas.enumerated() {
                #expect(area.nrFree == area.lists.reduce(0) { $0 + $1.count }, "step \(step) \(zone.id) nr_free[\(order)]", sourceLocation: sourceLocation)
                for (type, list) in area.lists.enumerated() {
                    for pfn in list { onLists[pfn.rawValue] = order }
                    if type != Migratetype.isolate.rawValue { freeOutsideIsolate += list.count << order }
                }
            }
            let buddy = Dictionary(uniqueKeysWithValues: zone.buddyPages.map { ($0.pfn.rawValue, $0.order.rawValue) })
            #expect(buddy == onLists, "step \(step) \(zone.id): PageBuddy pages differ from the free lists", sourceLocation: sourceLocation)
            #expect(zone.nrFreePages == freeOutsideIsolate, "step \(step) \(zone.id) NR_FREE_PAGES", sourceLocation: sourceLocation)
            accounted += onLists.values.reduce(0) { $0 + (1 << $1) }
            for pageset in zone.pagesets {
                var pages = 0
                for (pindex, list) in pageset.lists.enumerated() {
                    pages += list.count << (pindex >= 12 ? profile.pmdOrder : pindex / 3)
                }
                #expect(pageset.count == pages, "step \(step) \(zone.id) cpu \(pageset.cpu) pcp count", sourceLocation: sourceLocation)
                accounted += pages
            }
        }
        accounted += snapshot.allocated.reduce(0) { $0 + $1.order.pageCount }
        let managed = snapshot.zones.reduce(0) { $0 + $1.managedPages }
        #expect(accounted == managed, "step \(step): pages free + on pcp + allocated != managed", sourceLocation: sourceLocation)
    }
}
