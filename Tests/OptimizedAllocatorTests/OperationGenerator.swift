import BuddyVocabulary

/// Seeded operations of every kind, aimed at what the caller holds, and the caller's view of
/// what it holds, kept from outcomes alone.
enum OperationGenerator {
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

    static func next(_ random: inout SplitMix64, profile: Profile, live: [Live]) -> Operation {
        let cpu = CPUID(random.below(profile.cpus))
        let roll = random.below(100)
        if roll < 45 || live.isEmpty {
            let orders = [0, 0, 0, 1, 2, 3, profile.pmdOrder, profile.pageblockOrder, profile.maxPageOrder, 4]
            let order = min(orders[random.below(orders.count)], profile.maxPageOrder)
            return .allocate(cpu: cpu, order: Order(order), gfp: gfpMasks[random.below(gfpMasks.count)])
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
        case 94..<96: return .isolatePageblock(pfn: PFN(random.below(2) == 0 ? victim.pfn : anyPFN(&random, profile)))
        case 96..<98: return .unisolatePageblock(pfn: PFN(random.below(2) == 0 ? victim.pfn : anyPFN(&random, profile)))
        default:
            let writes: [SysctlWrite] = [.minFreeKbytes(random.below(4096)), .watermarkScaleFactor(1 + random.below(300)), .percpuPagelistHighFraction([0, 8, 16][random.below(3)])]
            return .writeSysctl(writes[random.below(writes.count)])
        }
    }

    /// A PFN somewhere in a zone span, free or not.
    static func anyPFN(_ random: inout SplitMix64, _ profile: Profile) -> Int {
        let spans = profile.allZones.map(\.zone).filter { $0.spannedPages > 0 }
        let zone = spans[random.below(spans.count)]
        return zone.startPfn + random.below(zone.spannedPages)
    }

    /// The caller's view of what it holds, from the outcome alone.
    static func update(_ live: inout [Live], operation: Operation, outcome: Outcome) {
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
