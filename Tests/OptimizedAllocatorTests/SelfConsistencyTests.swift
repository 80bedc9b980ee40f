import BuddyVocabulary
import Testing
@_spi(Testing) @testable import OptimizedAllocator

/// Thousands of seeded operations of every kind; the allocator's cached counters, bitmasks and
/// lists are recounted along the way, and its allocated blocks are compared with a model kept
/// from the outcomes alone.
@Suite struct SelfConsistencyTests {
    /// A live block as the caller sees it.
    struct Live: Equatable {
        var pfn: Int
        var order: Int
        var compound: Bool
        var refcount: Int
    }

    static let gfpMasks: [GFPFlags] = [
        .kernel, .atomic, .highUserMovable, .noWait, [.kernel, .reclaimable], .gfpDMA32, .transhuge,
        [.kernel, .comp], [.atomic, .comp], [.highUserMovable, .comp], [.kernel, .noRetry], [.kernel, .memalloc], .noIO,
    ]

    @Test(arguments: [("tiny", UInt64(1)), ("tiny", 2), ("tiny-numa", 3), ("small", 4)])
    func randomOperationsStayConsistent(profileName: String, seed: UInt64) {
        let profile = BuiltInProfiles.named(profileName)!
        let allocator = OptimizedPageAllocator(profile: profile)
        var random = SplitMix64(seed: seed)
        var live: [Live] = []
        let steps = profileName == "small" ? 3000 : 4000
        var tally: [String: Int] = [:]
        for step in 0..<steps {
            let operation = nextOperation(&random, profile: profile, live: live)
            let outcome = allocator.apply(operation)
            let key: String
            switch outcome {
            case .allocated: key = "allocated"
            case .allocationFailed: key = "failed"
            case let .completed(pages): key = "completed\(pages > 0 ? "+" : "0")"
            case let .rejected(rejection): key = rejection.reason.rawValue
            }
            tally[operation.kindName + " " + key, default: 0] += 1
            update(&live, operation: operation, outcome: outcome)
            if step % 200 == 199 || step == steps - 1 {
                let problems = allocator.consistencyProblems()
                #expect(problems.isEmpty, "seed \(seed) step \(step) after \(operation): \(problems.prefix(5))")
                let allocated = allocator.snapshot().allocated.map { Live(pfn: $0.pfn.rawValue, order: $0.order.rawValue, compound: $0.compound, refcount: $0.refcount) }
                #expect(allocated == live.sorted { $0.pfn < $1.pfn }, "seed \(seed) step \(step)")
                if !problems.isEmpty { return }
            }
        }
        // The run must have reached the interesting paths, or it proves little.
        for kind in ["alloc_pages allocated", "alloc_pages failed", "__free_pages completed+", "__free_pages wrong-order",
                     "put_page completed+", "split_page completed0", "set_migratetype_isolate completed0", "unset_migratetype_isolate completed0"] {
            #expect(tally[kind, default: 0] > 0, "seed \(seed): no \(kind)")
        }
    }

    func nextOperation(_ random: inout SplitMix64, profile: Profile, live: [Live]) -> Operation {
        let cpu = CPUID(random.below(profile.cpus))
        let roll = random.below(100)
        if roll < 45 || live.isEmpty {
            let orders = [0, 0, 0, 1, 2, 3, profile.pmdOrder, profile.pageblockOrder, profile.maxPageOrder, 4]
            let order = min(orders[random.below(orders.count)], profile.maxPageOrder)
            return .allocate(cpu: cpu, order: Order(order), gfp: Self.gfpMasks[random.below(Self.gfpMasks.count)])
        }
        let victim = live[random.below(live.count)]
        switch roll {
        case 45..<75: return .freePages(cpu: cpu, pfn: PFN(victim.pfn), order: Order(victim.order))
        case 75..<80: return .putPage(cpu: cpu, pfn: PFN(victim.pfn + random.below(1 << victim.order)))
        case 80..<83: return .getPage(pfn: PFN(victim.pfn))
        case 83..<85: return .splitPage(pfn: PFN(victim.pfn), order: Order(victim.order))
        case 85..<88: return .freePages(cpu: cpu, pfn: PFN(victim.pfn + random.below(1 << victim.order)), order: Order(random.below(3)))
        case 88..<90: return .drainCPU(cpu: cpu)
        case 90..<92: return .vmstatTick(cpu: cpu)
        case 92: return .drainAll
        case 93: return .kswapdBalanced(node: NodeID(random.below(profile.nodes.count)))
        case 94..<96: return .isolatePageblock(pfn: PFN(victim.pfn))
        case 96..<98: return .unisolatePageblock(pfn: PFN(victim.pfn))
        default:
            let writes: [SysctlWrite] = [.minFreeKbytes(random.below(4096)), .watermarkScaleFactor(1 + random.below(300)), .percpuPagelistHighFraction([0, 8, 16][random.below(3)])]
            return .writeSysctl(writes[random.below(writes.count)])
        }
    }

    /// The caller's view of what it holds, from the outcome alone.
    func update(_ live: inout [Live], operation: Operation, outcome: Outcome) {
        switch (operation, outcome) {
        case let (.allocate(_, order, gfp), .allocated(pfn)):
            live.append(Live(pfn: pfn.rawValue, order: order.rawValue, compound: order.rawValue > 0 && gfp.contains(.comp), refcount: 1))
        case let (.freePages(_, pfn, _), .completed):
            let position = live.firstIndex { $0.pfn == pfn.rawValue }!
            live[position].refcount -= 1
            if live[position].refcount == 0 {
                live.remove(at: position)
            } else if !live[position].compound {
                live[position].order = 0
            }
        case let (.putPage(_, pfn), .completed):
            let position = live.firstIndex { pfn.rawValue >= $0.pfn && pfn.rawValue < $0.pfn + (1 << $0.order) }!
            live[position].refcount -= 1
            if live[position].refcount == 0 { live.remove(at: position) }
        case let (.getPage(pfn), .completed):
            let position = live.firstIndex { $0.pfn == pfn.rawValue }!
            live[position].refcount += 1
        case let (.splitPage(pfn, order), .completed):
            let position = live.firstIndex { $0.pfn == pfn.rawValue }!
            live[position].order = 0
            for offset in 1..<max(1 << order.rawValue, 2) where offset < 1 << order.rawValue {
                live.append(Live(pfn: pfn.rawValue + offset, order: 0, compound: false, refcount: 1))
            }
        default:
            break
        }
    }
}
