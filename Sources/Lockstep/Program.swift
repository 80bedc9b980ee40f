import BuddyVocabulary

/// A fuzzing program: a profile and a list of operations in the fuzzing alphabet.
///
/// Operations name live allocations by index (`#k`, taken modulo the number of live allocations
/// when the operation runs), never by PFN, so a program stays meaningful after any mutation,
/// deletion or reordering: every program is valid, and an operation with nothing to act on
/// becomes a recorded no-op.
///
/// Canonical form: every field lies in the range its encodings can represent (see
/// `ProgramOperation`); `ProgramCodec.decode` and `ProgramText.parse` only produce canonical
/// programs, and both encodings round-trip them exactly.
public struct Program: Hashable, Sendable {
    /// One of `FuzzingProfiles.all`.
    public var profile: Profile
    /// The seed that generated the program (provenance only: running a program never reads it).
    public var seed: UInt64
    public var operations: [ProgramOperation]

    public init(profile: Profile, seed: UInt64, operations: [ProgramOperation]) {
        self.profile = profile
        self.seed = seed
        self.operations = operations
    }
}

/// The profiles a program can select. The binary header stores the index into this list.
public enum FuzzingProfiles {
    /// The binary header stores the index, so new profiles are appended. The minimizer tries
    /// the profiles before a program's own, which are the smaller ones except for
    /// `tiny-movable` (appended after `small`).
    public static let all: [Profile] = [BuiltInProfiles.tiny, BuiltInProfiles.tinyNUMA, BuiltInProfiles.small, BuiltInProfiles.tinyMovable]

    public static func index(of profile: Profile) -> Int? { all.firstIndex { $0.name == profile.name } }
    public static func named(_ name: String) -> Profile? { all.first { $0.name == name } }
    public static var names: [String] { all.map(\.name) }
}

/// One operation of the fuzzing alphabet, before it is resolved against the harness's
/// bookkeeping into concrete `Operation`s.
///
/// Canonical field ranges (checked by `ProgramText.parse`, produced by `ProgramCodec.decode`):
/// `cpu` in `0..<min(profile.cpus, 16)`, `order` in `0...profile.maxPageOrder`, `node` in
/// `0..<profile.nodes.count`, `allocation`, `block` and `argument` in `0...65535`, `page` in
/// `0...15`.
public enum ProgramOperation: Hashable, Sendable {
    /// `alloc_pages(gfp, order)` on `cpu`.
    case allocate(cpu: Int, order: Int, gfp: GFPChoice)
    /// `__free_pages(page, order)` on the head of live allocation `#allocation`, with its order.
    case free(cpu: Int, allocation: Int)
    /// `get_page` on page `page` of live allocation `#allocation` (0: the head; k > 0: a tail
    /// page, `1 + (k - 1) % (pages - 1)`, or the head of an order-0 allocation).
    case getPage(allocation: Int, page: Int)
    /// `put_page` on page `page` of live allocation `#allocation` (pages chosen as for `getPage`).
    case putPage(cpu: Int, allocation: Int, page: Int)
    /// `get_page` then `__free_pages` on the head: the caller frees while another reference is
    /// held, which frees the tail halves of a non-compound block and keeps the head.
    case freeWithExtraReference(cpu: Int, allocation: Int)
    /// `split_page(page, order)` on live allocation `#allocation` with its order.
    case splitPage(allocation: Int)
    /// `drain_local_pages(NULL)` on `cpu`.
    case drainCPU(cpu: Int)
    /// `drain_all_pages(NULL)`.
    case drainAll
    /// The vmstat worker on `cpu` (`decay_pcp_high`).
    case vmstatTick(cpu: Int)
    /// kswapd on `node` is balanced.
    case kswapdBalanced(node: Int)
    /// Isolates isolation range `block` (modulo the number of ranges): every pageblock of one
    /// zone inside one MAX_ORDER-aligned block, in ascending order, as `start_isolate_page_range`
    /// does for `alloc_contig_range`.
    case isolate(block: Int)
    /// Un-isolates an isolated range (`block` modulo the number of ranges with an isolated
    /// pageblock), pageblocks ascending as `undo_isolate_page_range`; when none is isolated,
    /// range `block` of all ranges (which is refused).
    case unisolate(block: Int)
    /// A sysctl write within the kernel's range.
    case sysctl(SysctlChoice)
    /// A deliberately invalid call that must be refused with the state left intact.
    case invalid(InvalidOperation)
}

/// A GFP mask in the fuzzing alphabet: one named kernel mask plus modifier bits.
///
/// Invariant (canonical form): `__GFP_DMA32` only with a base that has neither `__GFP_DMA` nor
/// `__GFP_HIGHMEM`, and `__GFP_RECLAIMABLE` only with a base without `__GFP_MOVABLE`, so the
/// mask never hits `GFP_ZONE_BAD` or the `GFP_MOVABLE_MASK` warning of `gfp_migratetype`.
public struct GFPChoice: Hashable, Sendable, CustomStringConvertible {
    /// Index into `GFPChoice.bases`.
    public var base: Int
    /// Bits indexing `GFPChoice.modifiers`.
    public var modifiers: UInt8

    public init(base: Int, modifiers: UInt8 = 0) {
        self.base = base
        self.modifiers = modifiers
    }

    /// The named masks of `include/linux/gfp_types.h` a program can start from.
    public static let bases: [(name: String, flags: GFPFlags)] = [
        ("GFP_KERNEL", .kernel),
        ("GFP_ATOMIC", .atomic),
        ("GFP_NOWAIT", .noWait),
        ("GFP_HIGHUSER_MOVABLE", .highUserMovable),
        ("GFP_USER", .user),
        ("GFP_NOIO", .noIO),
        ("GFP_NOFS", .noFS),
        ("GFP_HIGHUSER", .highUser),
        ("GFP_TRANSHUGE", .transhuge),
        ("GFP_TRANSHUGE_LIGHT", .transhugeLight),
        ("GFP_DMA", .gfpDMA),
        ("GFP_KERNEL_ACCOUNT", .kernelAccount),
    ]

    /// The single flags a program can add, by bit position.
    public static let modifiers: [(name: String, flags: GFPFlags)] = [
        ("__GFP_COMP", .comp),
        ("__GFP_RECLAIMABLE", .reclaimable),
        ("__GFP_DMA32", .dma32),
        ("__GFP_NORETRY", .noRetry),
        ("__GFP_RETRY_MAYFAIL", .retryMayFail),
        ("__GFP_MEMALLOC", .memalloc),
        ("__GFP_NOMEMALLOC", .noMemalloc),
        ("__GFP_THISNODE", .thisNode),
    ]

    public static let compBit: UInt8 = 1 << 0
    static let reclaimableBit: UInt8 = 1 << 1
    static let dma32Bit: UInt8 = 1 << 2

    public static let kernel = GFPChoice(base: 0)

    /// The mask handed to `alloc_pages`.
    public var flags: GFPFlags {
        var flags = GFPChoice.bases[base].flags
        for (bit, modifier) in GFPChoice.modifiers.enumerated() where modifiers & (1 << bit) != 0 {
            flags.formUnion(modifier.flags)
        }
        return flags
    }

    /// Whether the modifier bits are allowed with this base (the canonical-form invariant).
    public var isCanonical: Bool { self == canonicalized }

    /// Drops the modifier bits the base does not allow.
    public var canonicalized: GFPChoice {
        let baseFlags = GFPChoice.bases[base].flags
        var result = self
        if !baseFlags.intersection([.dma, .highmem]).isEmpty { result.modifiers &= ~GFPChoice.dma32Bit }
        if baseFlags.contains(.movable) { result.modifiers &= ~GFPChoice.reclaimableBit }
        return result
    }

    /// `GFP_KERNEL|__GFP_COMP`-style text, base first, modifiers in bit order.
    public var description: String {
        var parts = [GFPChoice.bases[base].name]
        for (bit, modifier) in GFPChoice.modifiers.enumerated() where modifiers & (1 << bit) != 0 {
            parts.append(modifier.name)
        }
        return parts.joined(separator: "|")
    }
}

/// A sysctl write in the fuzzing alphabet, always inside the range the kernel accepts.
public enum SysctlChoice: Hashable, Sendable {
    /// 0...65535 KiB.
    case minFreeKbytes(Int)
    /// 1...3000.
    case watermarkScaleFactor(Int)
    /// 0 or 8...65535.
    case percpuPagelistHighFraction(Int)

    /// The `SysctlWrite` the operation performs.
    public var write: SysctlWrite {
        switch self {
        case .minFreeKbytes(let value): .minFreeKbytes(value)
        case .watermarkScaleFactor(let value): .watermarkScaleFactor(value)
        case .percpuPagelistHighFraction(let value): .percpuPagelistHighFraction(value)
        }
    }
}

/// A deliberately invalid operation: the allocator must refuse it and leave its state intact.
public struct InvalidOperation: Hashable, Sendable {
    public var kind: InvalidOperationKind
    /// The CPU the call runs on, where the call has one.
    public var cpu: Int
    /// Chooses the victim: a recently freed block, a live allocation, a bad pfn, a variant.
    public var argument: Int

    public init(kind: InvalidOperationKind, cpu: Int, argument: Int) {
        self.kind = kind
        self.cpu = cpu
        self.argument = argument
    }
}

/// The invalid calls the harness makes, each named after the kernel check it trips.
public enum InvalidOperationKind: Int, CaseIterable, Hashable, Sendable {
    /// `__free_pages` again on one of the recently freed blocks (`argument` modulo their count).
    /// If the block was handed out again meanwhile, this is a legal free of the new owner.
    case doubleFree
    /// `__free_pages` on a tail page of a compound allocation.
    case tailPage
    /// `__free_pages` with an order other than the allocation's.
    case wrongOrder
    /// `__free_pages` on a pfn in a hole, a reserved page, or outside every zone.
    case badPFN
    /// `__free_pages` on a tail page of a non-compound allocation (its refcount is 0).
    case refcountUnderflow
    /// `alloc_pages` with an order above `MAX_PAGE_ORDER`.
    case orderTooLarge
    /// A CPU or node the profile does not have.
    case badCPU
    /// A sysctl value outside the kernel's range.
    case sysctlOutOfRange

    public var name: String {
        switch self {
        case .doubleFree: "double-free"
        case .tailPage: "tail-page"
        case .wrongOrder: "wrong-order"
        case .badPFN: "bad-pfn"
        case .refcountUnderflow: "refcount-underflow"
        case .orderTooLarge: "order-too-large"
        case .badCPU: "bad-cpu"
        case .sysctlOutOfRange: "sysctl-out-of-range"
        }
    }

    public init?(name: String) {
        guard let kind = InvalidOperationKind.allCases.first(where: { $0.name == name }) else { return nil }
        self = kind
    }
}

/// The kinds of program operations: the switches of swarm testing and the first byte of a
/// binary record.
public enum ProgramOperationKind: Int, CaseIterable, Hashable, Sendable, CustomStringConvertible {
    case allocate, free, getPage, putPage, freeWithExtraReference, splitPage, drainCPU, drainAll
    case vmstatTick, kswapdBalanced, isolate, unisolate, sysctl, invalid

    /// The keyword of the text format.
    public var keyword: String {
        switch self {
        case .allocate: "alloc"
        case .free: "free"
        case .getPage: "get_page"
        case .putPage: "put_page"
        case .freeWithExtraReference: "free_extra_ref"
        case .splitPage: "split_page"
        case .drainCPU: "drain"
        case .drainAll: "drain_all"
        case .vmstatTick: "vmstat_tick"
        case .kswapdBalanced: "kswapd_balanced"
        case .isolate: "isolate"
        case .unisolate: "unisolate"
        case .sysctl: "sysctl"
        case .invalid: "invalid"
        }
    }

    public var description: String { keyword }

    /// How many of the 256 values of a record's kind byte select this kind: the mix random
    /// bytes (libFuzzer's) produce. Allocation and freeing dominate; invalid calls stay rare.
    public var byteShare: Int {
        switch self {
        case .allocate: 64
        case .free: 48
        case .getPage: 16
        case .putPage: 24
        case .freeWithExtraReference: 12
        case .splitPage: 12
        case .drainCPU: 12
        case .drainAll: 6
        case .vmstatTick: 16
        case .kswapdBalanced: 8
        case .isolate: 10
        case .unisolate: 10
        case .sysctl: 6
        case .invalid: 12
        }
    }
}

extension ProgramOperation {
    public var kind: ProgramOperationKind {
        switch self {
        case .allocate: .allocate
        case .free: .free
        case .getPage: .getPage
        case .putPage: .putPage
        case .freeWithExtraReference: .freeWithExtraReference
        case .splitPage: .splitPage
        case .drainCPU: .drainCPU
        case .drainAll: .drainAll
        case .vmstatTick: .vmstatTick
        case .kswapdBalanced: .kswapdBalanced
        case .isolate: .isolate
        case .unisolate: .unisolate
        case .sysctl: .sysctl
        case .invalid: .invalid
        }
    }
}

/// The limits of canonical fields, shared by the codec, the text parser and the generator.
public enum ProgramLimits {
    /// CPUs are a 4-bit field of a record.
    public static let cpuFieldCount = 16
    /// Allocation, block and argument fields are 16 bits.
    public static let indexFieldCount = 1 << 16
    /// Page selectors are a 4-bit field.
    public static let pageFieldCount = 16
    public static let minFreeKbytesMax = 65535
    public static let watermarkScaleFactorRange = 1...3000
    /// `MIN_PERCPU_PAGELIST_HIGH_FRACTION`
    public static let percpuPagelistHighFractionMin = 8
    public static let percpuPagelistHighFractionMax = 65535

    /// CPUs a program of this profile can name.
    public static func cpuCount(_ profile: Profile) -> Int { min(profile.cpus, cpuFieldCount) }
}
