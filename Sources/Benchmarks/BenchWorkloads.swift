import BuddyVocabulary
import ReferenceAllocator

/// The workloads, written once and specialised for each allocator type, so that both run the
/// same calls in the same order. Every random choice is drawn before the clock starts; the timed
/// loops only call `apply` and keep the caller's bookkeeping (which pages it holds).
public enum BenchWorkloads {
    /// Runs `workload` on `allocator`; `scale` multiplies the operation counts (1 is the size
    /// the naive reference can run in seconds).
    @inline(never)
    public static func measure<Allocator: PageAllocator>(_ workload: BenchWorkload, _ allocator: Allocator, scale: Int, seed: UInt64) -> BenchTiming {
        switch workload {
        case .pcpChurn: pcpChurn(allocator, pairs: 40_000 * scale)
        case .mixed: mixed(allocator, calls: 20_000 * scale, seed: seed)
        case .fragmentationStorm: fragmentationStorm(allocator, calls: 5_000 * scale, seed: seed)
        case .thpChurn: thpChurn(allocator, pairs: 4_000 * scale)
        case .order9Split: order9Split(allocator, allocations: 2_000 * scale)
        }
    }

    /// The same through an existential, for an allocator whose type is not known here.
    public static func measureAny(_ workload: BenchWorkload, _ allocator: any PageAllocator, scale: Int, seed: UInt64) -> BenchTiming {
        measure(workload, allocator, scale: scale, seed: seed)
    }

    static func managedPages(_ profile: Profile) -> Int { profile.allZones.reduce(0) { $0 + $1.zone.managedPages } }

    @inline(__always)
    static func allocatedPFN(_ outcome: Outcome) -> Int? {
        if case let .allocated(pfn) = outcome { return pfn.rawValue }
        return nil
    }

    // MARK: - pcp-churn

    /// A window of 32 order-0 pages on CPU 0: each step frees the oldest and allocates one.
    static func pcpChurn<Allocator: PageAllocator>(_ allocator: Allocator, pairs: Int) -> BenchTiming {
        let cpu = CPUID(0)
        let order = Order(0)
        let gfp = GFPFlags.kernel
        let windowSize = 32
        var window = [Int](repeating: 0, count: windowSize)
        for slot in 0..<windowSize {
            guard let pfn = allocatedPFN(allocator.apply(.allocate(cpu: cpu, order: order, gfp: gfp))) else { return BenchTiming() }
            window[slot] = pfn
        }
        var timing = BenchTiming()
        let clock = ContinuousClock()
        let start = clock.now
        for step in 0..<pairs {
            let slot = step & (windowSize - 1)
            _ = allocator.apply(.freePages(cpu: cpu, pfn: PFN(window[slot]), order: order))
            guard let pfn = allocatedPFN(allocator.apply(.allocate(cpu: cpu, order: order, gfp: gfp))) else { break }
            window[slot] = pfn
            timing.operations += 1
        }
        timing.duration = clock.now - start
        for pfn in window { _ = allocator.apply(.freePages(cpu: cpu, pfn: PFN(pfn), order: order)) }
        return timing
    }

    // MARK: - thp-churn

    /// A window of 8 THP-order pages on CPU 0: each step frees the oldest and allocates one.
    static func thpChurn<Allocator: PageAllocator>(_ allocator: Allocator, pairs: Int) -> BenchTiming {
        let cpu = CPUID(0)
        let order = Order(allocator.profile.pmdOrder)
        let gfp = GFPFlags([.highUserMovable, .comp])
        let windowSize = 8
        var window = [Int](repeating: 0, count: windowSize)
        for slot in 0..<windowSize {
            guard let pfn = allocatedPFN(allocator.apply(.allocate(cpu: cpu, order: order, gfp: gfp))) else { return BenchTiming() }
            window[slot] = pfn
        }
        var timing = BenchTiming()
        let clock = ContinuousClock()
        let start = clock.now
        for step in 0..<pairs {
            let slot = step & (windowSize - 1)
            _ = allocator.apply(.freePages(cpu: cpu, pfn: PFN(window[slot]), order: order))
            guard let pfn = allocatedPFN(allocator.apply(.allocate(cpu: cpu, order: order, gfp: gfp))) else { break }
            window[slot] = pfn
            timing.operations += 1
        }
        timing.duration = clock.now - start
        for pfn in window { _ = allocator.apply(.freePages(cpu: cpu, pfn: PFN(pfn), order: order)) }
        return timing
    }

    // MARK: - order9-split

    /// Rounds of order-9 movable allocations on CPU 0 (timed), each round freed and drained
    /// back into order-10 buddies (not timed).
    static func order9Split<Allocator: PageAllocator>(_ allocator: Allocator, allocations: Int) -> BenchTiming {
        let cpu = CPUID(0)
        let order = Order(9)
        let gfp = GFPFlags([.highUserMovable, .comp])
        let perRound = max(1, min(512, managedPages(allocator.profile) / 512 * 6 / 10))
        var held = [Int]()
        held.reserveCapacity(perRound)
        var timing = BenchTiming()
        let clock = ContinuousClock()
        while timing.operations < allocations {
            let start = clock.now
            for _ in 0..<perRound {
                guard let pfn = allocatedPFN(allocator.apply(.allocate(cpu: cpu, order: order, gfp: gfp))) else { break }
                held.append(pfn)
            }
            timing.duration += clock.now - start
            if held.isEmpty { break }
            timing.operations += held.count
            for pfn in held { _ = allocator.apply(.freePages(cpu: cpu, pfn: PFN(pfn), order: order)) }
            held.removeAll(keepingCapacity: true)
            _ = allocator.apply(.drainAll)
        }
        return timing
    }

    // MARK: - mixed

    /// One drawn step of a mixed workload.
    struct Step {
        var allocate: Bool
        var cpu: CPUID
        var order: Order
        var gfp: GFPFlags
        var victim: Int
    }

    /// The most pages the mixed workload holds: the same on every profile (half of memory on a
    /// smaller one), so that profiles differ only in the machine, not in the work.
    static let mixedLivePageLimit = 16384

    /// Orders 0-3 and the THP order, a GFP mix, four CPUs; allocations until the live limit,
    /// then alloc and free in balance.
    static func mixed<Allocator: PageAllocator>(_ allocator: Allocator, calls: Int, seed: UInt64) -> BenchTiming {
        let profile = allocator.profile
        let steps = drawMixedSteps(profile, count: calls + calls / 4, seed: seed)
        let livePageLimit = min(managedPages(profile) / 2, mixedLivePageLimit)
        var live = LiveSet()
        var timing = BenchTiming()
        let warmUp = calls / 4
        let clock = ContinuousClock()
        var start = clock.now
        for (position, step) in steps.enumerated() {
            if position == warmUp { start = clock.now }
            applyMixedStep(allocator, step, live: &live, livePageLimit: livePageLimit)
            if position >= warmUp { timing.operations += 1 }
        }
        timing.duration = clock.now - start
        live.freeAll(allocator)
        return timing
    }

    /// Every step of the mixed workload, untimed: what the reference boot benchmark times as a whole.
    static func runMixedSteps<Allocator: PageAllocator>(_ allocator: Allocator, _ steps: [Step]) {
        let livePageLimit = min(managedPages(allocator.profile) / 2, mixedLivePageLimit)
        var live = LiveSet()
        for step in steps { applyMixedStep(allocator, step, live: &live, livePageLimit: livePageLimit) }
        live.freeAll(allocator)
    }

    /// Allocates while under the live limit (or when nothing is held), else frees a drawn victim.
    @inline(__always)
    static func applyMixedStep<Allocator: PageAllocator>(_ allocator: Allocator, _ step: Step, live: inout LiveSet, livePageLimit: Int) {
        if step.allocate && live.pages < livePageLimit || live.count == 0 {
            if let pfn = allocatedPFN(allocator.apply(.allocate(cpu: step.cpu, order: step.order, gfp: step.gfp))) {
                live.add(pfn: pfn, order: step.order.rawValue)
            }
        } else {
            let (pfn, order) = live.remove(at: step.victim % live.count)
            _ = allocator.apply(.freePages(cpu: step.cpu, pfn: PFN(pfn), order: Order(order)))
        }
    }

    static func drawMixedSteps(_ profile: Profile, count: Int, seed: UInt64) -> [Step] {
        var random = SplitMix64(seed: seed)
        let cpus = min(4, profile.cpus)
        let orders = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 0, profile.pmdOrder].map { Order($0) }
        let masks: [GFPFlags] = [.kernel, .highUserMovable, [.highUserMovable, .comp], .atomic, [.kernel, .reclaimable], .noWait, [.kernel, .comp]]
        return (0..<count).map { _ in
            Step(allocate: random.below(100) < 55, cpu: CPUID(random.below(cpus)), order: orders[random.below(orders.count)],
                 gfp: masks[random.below(masks.count)], victim: random.below(1 << 30))
        }
    }

    // MARK: - fragmentation-storm

    /// Fills most of memory with movable order-3 blocks, splits them and frees every other page
    /// (untimed), then runs unmovable, reclaimable and movable requests of orders 0-3 against
    /// the scattered holes: claims of whole and partial pageblocks, then steals.
    static func fragmentationStorm<Allocator: PageAllocator>(_ allocator: Allocator, calls: Int, seed: UInt64) -> BenchTiming {
        let profile = allocator.profile
        scatterMovablePages(allocator, fraction: 85)
        var random = SplitMix64(seed: seed)
        let masks: [GFPFlags] = [.kernel, [.kernel, .reclaimable], .highUserMovable, .kernel, .atomic]
        let steps = (0..<calls).map { _ in
            Step(allocate: random.below(100) < 60, cpu: CPUID(random.below(min(4, profile.cpus))), order: Order(random.below(4)),
                 gfp: masks[random.below(masks.count)], victim: random.below(1 << 30))
        }
        var live = LiveSet()
        var timing = BenchTiming()
        let clock = ContinuousClock()
        let start = clock.now
        for step in steps {
            if step.allocate || live.count == 0 {
                if let pfn = allocatedPFN(allocator.apply(.allocate(cpu: step.cpu, order: step.order, gfp: step.gfp))) {
                    live.add(pfn: pfn, order: step.order.rawValue)
                }
            } else {
                let (pfn, order) = live.remove(at: step.victim % live.count)
                _ = allocator.apply(.freePages(cpu: step.cpu, pfn: PFN(pfn), order: Order(order)))
            }
            timing.operations += 1
        }
        timing.duration = clock.now - start
        return timing
    }

    /// Movable order-3 blocks over `fraction`% of memory, each split with every other page
    /// freed, then every pcp drained: free order-0 holes all over movable pageblocks.
    static func scatterMovablePages<Allocator: PageAllocator>(_ allocator: Allocator, fraction: Int) {
        let cpu = CPUID(0)
        let order = Order(3)
        let single = Order(0)
        let gfp = GFPFlags.highUserMovable
        let blocks = managedPages(allocator.profile) * fraction / 100 / 8
        for _ in 0..<blocks {
            guard let pfn = allocatedPFN(allocator.apply(.allocate(cpu: cpu, order: order, gfp: gfp))) else { break }
            _ = allocator.apply(.splitPage(pfn: PFN(pfn), order: order))
            for offset in stride(from: 1, to: 8, by: 2) { _ = allocator.apply(.freePages(cpu: cpu, pfn: PFN(pfn + offset), order: single)) }
        }
        _ = allocator.apply(.drainAll)
    }
}

/// The blocks a workload holds, with O(1) add and swap-remove.
struct LiveSet {
    var pfns: [Int] = []
    var orders: [Int] = []
    var pages = 0

    var count: Int { pfns.count }

    mutating func add(pfn: Int, order: Int) {
        pfns.append(pfn)
        orders.append(order)
        pages += 1 << order
    }

    mutating func remove(at position: Int) -> (pfn: Int, order: Int) {
        let removed = (pfns[position], orders[position])
        pfns.swapAt(position, pfns.count - 1)
        orders.swapAt(position, orders.count - 1)
        pfns.removeLast()
        orders.removeLast()
        pages -= 1 << removed.1
        return removed
    }

    func freeAll<Allocator: PageAllocator>(_ allocator: Allocator) {
        for (pfn, order) in zip(pfns, orders) { _ = allocator.apply(.freePages(cpu: CPUID(0), pfn: PFN(pfn), order: Order(order))) }
    }
}

/// The naive reference on a large machine: how long it takes to boot and then run the mixed
/// workload, the whole of it timed (the warm-up included), so that a profile of real size is
/// known to be usable by the executable specification.
public enum ReferenceBootBenchmark {
    public struct Timing: Sendable {
        public var bootSeconds: Double
        public var calls: Int
        public var callSeconds: Double
        public var totalSeconds: Double { bootSeconds + callSeconds }
    }

    /// Boots the reference on `profile`, then runs `calls` calls of the mixed workload.
    public static func run(profile: Profile, calls: Int) -> Timing {
        let clock = ContinuousClock()
        let bootStart = clock.now
        let allocator = ReferencePageAllocator(profile: profile)
        let booted = clock.now
        let steps = BenchWorkloads.drawMixedSteps(profile, count: calls, seed: 1)
        let callStart = clock.now
        BenchWorkloads.runMixedSteps(allocator, steps)
        let finished = clock.now
        return Timing(bootSeconds: (booted - bootStart).seconds, calls: calls, callSeconds: (finished - callStart).seconds)
    }
}

extension Duration {
    var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
