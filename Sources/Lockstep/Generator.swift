import BuddyVocabulary

/// Everything one seed decides before the first operation (swarm testing): the profile, which
/// operation kinds are switched off, and how orders, GFP masks, CPUs and arguments are skewed.
///
/// A uniform operation mix hides bugs that need, say, many frees without drains or only
/// high-order compound allocations; switching kinds off and skewing the rest per seed makes
/// each seed explore a different corner (Groce et al., "Swarm Testing", ISSTA 2012).
public struct GeneratorConfiguration: Hashable, Sendable, CustomStringConvertible {
    public var seed: UInt64
    public var profile: Profile
    /// Weight of each `ProgramOperationKind` (by raw value); 0 switches the kind off.
    public var kindWeights: [Int]
    /// Weight of each order `0...profile.maxPageOrder`.
    public var orderWeights: [Int]
    /// Weight of each `GFPChoice.bases` entry.
    public var gfpBaseWeights: [Int]
    /// Chance in percent of each `GFPChoice.modifiers` bit.
    public var gfpModifierPercents: [Int]
    /// Weight of each CPU a program can name.
    public var cpuWeights: [Int]
    /// Chance in percent that `get_page`/`put_page` target a tail page.
    public var tailPagePercent: Int
    /// Weight of each `InvalidOperationKind`.
    public var invalidKindWeights: [Int]
    /// Upper bound of written `min_free_kbytes` values.
    public var minFreeKbytesMax: Int
    /// Upper bound of written `watermark_scale_factor` values.
    public var watermarkScaleFactorMax: Int
    /// Upper bound of written nonzero `percpu_pagelist_high_fraction` values.
    public var highFractionMax: Int
    /// Operations that fill and fragment memory before the mix starts; nil for none.
    public var prologue: PressurePrologue?

    /// Derives the whole configuration from the seed alone. A forced profile replaces the
    /// derived one and leaves every other option as the seed derives it.
    public static func derive(seed: UInt64, profile forced: Profile? = nil) -> GeneratorConfiguration {
        var random = Xoshiro256StarStar(seed: seed)
        let derived = FuzzingProfiles.all[random.weightedIndex([45, 25, 15, 15])]
        let profile = forced ?? derived
        let kindWeights = deriveKindWeights(&random)
        return GeneratorConfiguration(
            seed: seed,
            profile: profile,
            kindWeights: kindWeights,
            orderWeights: deriveOrderWeights(&random, profile: profile),
            gfpBaseWeights: deriveBaseWeights(&random),
            gfpModifierPercents: GFPChoice.modifiers.indices.map { bit in
                bit == 0 ? random.element(of: [0, 20, 50, 80]) : random.element(of: [0, 0, 2, 10, 30])
            },
            cpuWeights: deriveCPUWeights(&random, count: ProgramLimits.cpuCount(profile)),
            tailPagePercent: random.element(of: [0, 30, 70]),
            invalidKindWeights: InvalidOperationKind.allCases.map { _ in random.element(of: [0, 1, 1, 3]) },
            minFreeKbytesMax: random.element(of: [256, 2048, 16384]),
            watermarkScaleFactorMax: random.element(of: [100, 1000, 3000]),
            highFractionMax: random.element(of: [16, 64, 1024]),
            prologue: PressurePrologue.derive(seed: seed, profile: profile, kindWeights: kindWeights))
    }

    /// Allocation is always on and at least one way of freeing is on; every other kind is off
    /// for about a third of the seeds. Invalid calls stay rare (about 1% of operations).
    static func deriveKindWeights(_ random: inout Xoshiro256StarStar) -> [Int] {
        var weights = ProgramOperationKind.allCases.map { kind in
            let multiplier = random.element(of: [0, 1, 1, 2, 4])
            return kind == .invalid ? multiplier : kind.byteShare * multiplier
        }
        weights[ProgramOperationKind.allocate.rawValue] = ProgramOperationKind.allocate.byteShare * random.inRange(1...3)
        if weights[ProgramOperationKind.free.rawValue] == 0 && weights[ProgramOperationKind.putPage.rawValue] == 0 {
            weights[ProgramOperationKind.free.rawValue] = ProgramOperationKind.free.byteShare
        }
        return weights
    }

    /// One of four shapes: mostly order 0 (geometric), uniform, costly orders, or one favourite
    /// order (often `pageblock_order` or `MAX_PAGE_ORDER`) on top of order 0.
    static func deriveOrderWeights(_ random: inout Xoshiro256StarStar, profile: Profile) -> [Int] {
        let count = profile.maxPageOrder + 1
        switch random.below(4) {
        case 0: return (0..<count).map { 1 << max(0, 12 - 2 * $0) }
        case 1: return Array(repeating: 1, count: count)
        case 2: return (0..<count).map { $0 > Order.costly.rawValue ? 4 : 1 }
        default:
            let favourite = random.element(of: [profile.pageblockOrder, profile.maxPageOrder, profile.pmdOrder, random.below(count)])
            return (0..<count).map { $0 == favourite ? 8 : ($0 == 0 ? 8 : 1) }
        }
    }

    /// A random non-empty subset of the base masks, GFP_KERNEL most likely kept.
    static func deriveBaseWeights(_ random: inout Xoshiro256StarStar) -> [Int] {
        var weights = GFPChoice.bases.indices.map { _ in random.percent(50) ? random.inRange(1...4) : 0 }
        if weights.allSatisfy({ $0 == 0 }) || random.percent(50) { weights[0] = max(weights[0], 4) }
        return weights
    }

    /// Every CPU or a hot subset; at least one CPU has weight.
    static func deriveCPUWeights(_ random: inout Xoshiro256StarStar, count: Int) -> [Int] {
        var weights = (0..<count).map { _ in random.element(of: [0, 1, 1, 4]) }
        if weights.allSatisfy({ $0 == 0 }) { weights[random.below(count)] = 1 }
        return weights
    }

    /// The seed and every derived option, one per line: printed first by every run.
    public var description: String {
        func list(_ names: [String], _ values: [Int], suffix: String = "") -> String {
            zip(names, values).map { "\($0)=\($1)\(suffix)" }.joined(separator: " ")
        }
        return [
            "seed \(seed) (0x\(String(seed, radix: 16)))",
            "profile \(profile.name)",
            "operations " + list(ProgramOperationKind.allCases.map(\.keyword), kindWeights),
            "orders " + list(orderWeights.indices.map(String.init), orderWeights),
            "gfp " + list(GFPChoice.bases.map(\.name), gfpBaseWeights),
            "gfp-modifiers " + list(GFPChoice.modifiers.map(\.name), gfpModifierPercents, suffix: "%"),
            "cpus " + list(cpuWeights.indices.map(String.init), cpuWeights),
            "tail-pages \(tailPagePercent)%",
            "invalid " + list(InvalidOperationKind.allCases.map(\.name), invalidKindWeights),
            "sysctl min_free_kbytes=0...\(minFreeKbytesMax) watermark_scale_factor=1...\(watermarkScaleFactorMax) percpu_pagelist_high_fraction=0|8...\(highFractionMax)",
            "prologue " + (prologue?.description ?? "off"),
        ].joined(separator: "\n")
    }
}

/// Generates programs from a configuration; the same configuration gives the same program.
public struct ProgramGenerator {
    public let configuration: GeneratorConfiguration
    var random: Xoshiro256StarStar

    public init(configuration: GeneratorConfiguration) {
        self.configuration = configuration
        // A stream separate from the one `derive` consumed, so options and operations do not
        // shift each other when one of them changes.
        random = Xoshiro256StarStar(seed: configuration.seed ^ 0x6F70_6572_6174_696F)
    }

    /// The program of `count` operations for this seed.
    public static func program(seed: UInt64, operations count: Int, profile: Profile? = nil) -> Program {
        var generator = ProgramGenerator(configuration: .derive(seed: seed, profile: profile))
        return generator.generate(operations: count)
    }

    public mutating func generate(operations count: Int) -> Program {
        var operations: [ProgramOperation] = []
        operations.reserveCapacity(count)
        if let prologue = configuration.prologue {
            operations += prologue.operations(&random, cpuWeights: configuration.cpuWeights).prefix(count)
        }
        while operations.count < count { operations.append(nextOperation()) }
        return Program(profile: configuration.profile, seed: configuration.seed, operations: operations)
    }

    mutating func nextOperation() -> ProgramOperation {
        let kind = ProgramOperationKind.allCases[random.weightedIndex(configuration.kindWeights)]
        switch kind {
        case .allocate: return .allocate(cpu: cpu(), order: random.weightedIndex(configuration.orderWeights), gfp: gfp())
        case .free: return .free(cpu: cpu(), allocation: wide())
        case .getPage: return .getPage(allocation: wide(), page: page())
        case .putPage: return .putPage(cpu: cpu(), allocation: wide(), page: page())
        case .freeWithExtraReference: return .freeWithExtraReference(cpu: cpu(), allocation: wide())
        case .splitPage: return .splitPage(allocation: wide())
        case .drainCPU: return .drainCPU(cpu: cpu())
        case .drainAll: return .drainAll
        case .vmstatTick: return .vmstatTick(cpu: cpu())
        case .kswapdBalanced: return .kswapdBalanced(node: random.below(configuration.profile.nodes.count))
        case .isolate: return .isolate(block: wide())
        case .unisolate: return .unisolate(block: wide())
        case .sysctl: return .sysctl(sysctl())
        case .invalid: return .invalid(invalid())
        }
    }

    mutating func cpu() -> Int { random.weightedIndex(configuration.cpuWeights) }
    mutating func wide() -> Int { random.below(ProgramLimits.indexFieldCount) }
    mutating func page() -> Int { random.percent(configuration.tailPagePercent) ? random.inRange(1...15) : 0 }

    mutating func gfp() -> GFPChoice {
        let base = random.weightedIndex(configuration.gfpBaseWeights)
        var modifiers: UInt8 = 0
        for (bit, percent) in configuration.gfpModifierPercents.enumerated() where random.percent(percent) {
            modifiers |= 1 << bit
        }
        return GFPChoice(base: base, modifiers: modifiers).canonicalized
    }

    mutating func sysctl() -> SysctlChoice {
        switch random.below(3) {
        case 0: return .minFreeKbytes(random.inRange(0...configuration.minFreeKbytesMax))
        case 1: return .watermarkScaleFactor(random.inRange(1...configuration.watermarkScaleFactorMax))
        default:
            let fraction = random.percent(50) ? 0 : random.inRange(ProgramLimits.percpuPagelistHighFractionMin...configuration.highFractionMax)
            return .percpuPagelistHighFraction(fraction)
        }
    }

    mutating func invalid() -> InvalidOperation {
        var weights = configuration.invalidKindWeights
        if weights.allSatisfy({ $0 == 0 }) { weights = weights.map { _ in 1 } }
        let kind = InvalidOperationKind.allCases[random.weightedIndex(weights)]
        return InvalidOperation(kind: kind, cpu: cpu(), argument: wide())
    }
}

/// A memory-pressure prologue, the shape of mmtests' stress-highalloc: fill memory with one
/// kind of allocation, optionally `split_page` every block into single pages, then free a
/// scattering of them. The rest of the program then runs with memory nearly full and
/// fragmented, which is where the fallback paths (`__rmqueue_claim`, `try_to_claim_block`,
/// `__rmqueue_steal`, `ALLOC_NOFRAGMENT`), the watermarks and `lowmem_reserve`, the
/// highatomic reserve and the slow path make their decisions. From boot, every pageblock is
/// MOVABLE and free memory sits in MAX_ORDER blocks: a uniform mix of a few hundred operations
/// rarely leaves that state.
public struct PressurePrologue: Hashable, Sendable, CustomStringConvertible {
    /// The fill mask: movable (page cache, anonymous memory), unmovable or reclaimable.
    public var gfp: GFPChoice
    /// The fill order: `pageblock_order`, so a fill of the whole machine stays a few hundred
    /// operations on every fuzzing profile.
    public var order: Int
    /// Fill allocations: enough for 90% to 110% of the managed pages (the last ones fail).
    public var allocations: Int
    /// Fill blocks split into order-0 pages (fragmentation at page granularity rather than at
    /// pageblock granularity): all of them or none, but never more than `splitPagesMax` pages,
    /// since every live page costs the full checks and the liveness phase a little.
    public var splits: Int
    /// Releases of random live allocations after the fill: `__free_pages`, or `put_page` on the
    /// head when the seed switched `free` off.
    public var frees: Int
    public var freesByPutPage: Bool

    /// The fill masks, by `GFPChoice`: GFP_HIGHUSER_MOVABLE, GFP_KERNEL, GFP_KERNEL|__GFP_RECLAIMABLE.
    static let masks = [GFPChoice(base: 3), GFPChoice(base: 0), GFPChoice(base: 0, modifiers: GFPChoice.reclaimableBit)]
    static let splitPagesMax = 8192

    /// On for about 40% of the seeds. Drawn from a stream of its own, so every other option of a
    /// seed is what it would be without prologues. A kind the seed switched off stays off: no
    /// splits without `split_page`, releases by `put_page` without `free` (one of them is on).
    static func derive(seed: UInt64, profile: Profile, kindWeights: [Int]) -> PressurePrologue? {
        var random = Xoshiro256StarStar(seed: seed ^ 0x7072_6573_7375_7265)
        guard random.percent(40) else { return nil }
        let managed = profile.allZones.reduce(0) { $0 + $1.zone.managedPages }
        let percent = random.element(of: [90, 100, 110])
        let allocations = (managed * percent / 100) >> profile.pageblockOrder
        let splitting = random.percent(50) && kindWeights[ProgramOperationKind.splitPage.rawValue] > 0
        let splits = splitting ? min(allocations, splitPagesMax >> profile.pageblockOrder) : 0
        let frees = max(1, allocations >> random.inRange(0...3))
        return PressurePrologue(
            gfp: masks[random.weightedIndex([3, 1, 1])], order: profile.pageblockOrder, allocations: allocations, splits: splits,
            frees: frees, freesByPutPage: kindWeights[ProgramOperationKind.free.rawValue] == 0)
    }

    /// The fill, the splits of the first `splits` fill blocks (live allocation `#i` is still the
    /// i-th fill block: a split appends its pages after the others), then the frees at random
    /// live indexes.
    func operations(_ random: inout Xoshiro256StarStar, cpuWeights: [Int]) -> [ProgramOperation] {
        var operations: [ProgramOperation] = []
        for _ in 0..<allocations { operations.append(.allocate(cpu: random.weightedIndex(cpuWeights), order: order, gfp: gfp)) }
        for index in 0..<splits { operations.append(.splitPage(allocation: index)) }
        for _ in 0..<frees {
            let cpu = random.weightedIndex(cpuWeights)
            let allocation = random.below(ProgramLimits.indexFieldCount)
            operations.append(freesByPutPage ? .putPage(cpu: cpu, allocation: allocation, page: 0) : .free(cpu: cpu, allocation: allocation))
        }
        return operations
    }

    /// `GFP_HIGHUSER_MOVABLE order 4 ×217, 217 split, 54 frees` (or `54 put_page`).
    public var description: String {
        "\(gfp) order \(order) ×\(allocations), \(splits) split, \(frees) \(freesByPutPage ? "put_page" : "frees")"
    }
}
