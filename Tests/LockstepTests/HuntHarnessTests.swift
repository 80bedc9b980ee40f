import BuddyVocabulary
import Lockstep
import ReferenceAllocator
import Testing

/// What the bug hunt added to the harness: the memory-pressure prologue, the `tiny-movable`
/// fuzzing profile, and the full check after a fallback.
@Suite struct HuntHarnessTests {
    static func seedWithPrologue(splitting: Bool, profile: Profile = BuiltInProfiles.tiny) -> (UInt64, PressurePrologue) {
        for seed in UInt64(0)..<200 {
            if let prologue = GeneratorConfiguration.derive(seed: seed, profile: profile).prologue, (prologue.splits > 0) == splitting {
                return (seed, prologue)
            }
        }
        preconditionFailure("no seed below 200 has such a prologue")
    }

    @Test func aboutFortyPercentOfTheSeedsHaveAPrologue() {
        let count = (UInt64(0)..<300).filter { GeneratorConfiguration.derive(seed: $0).prologue != nil }.count
        #expect((90...150).contains(count), "\(count) of 300")
    }

    /// The fill, the splits of the first fill blocks, then scattered frees; then the seed's mix.
    @Test(arguments: [false, true])
    func prologueOpensTheProgram(splitting: Bool) {
        let (seed, prologue) = Self.seedWithPrologue(splitting: splitting)
        let program = ProgramGenerator.program(seed: seed, operations: 2000, profile: BuiltInProfiles.tiny)
        var operations = program.operations[...]
        for _ in 0..<prologue.allocations {
            guard case .allocate(_, let order, let gfp) = operations.popFirst() else { Issue.record("fill expected"); return }
            #expect(order == BuiltInProfiles.tiny.pageblockOrder)
            #expect(gfp == prologue.gfp)
        }
        for index in 0..<prologue.splits { #expect(operations.popFirst() == .splitPage(allocation: index)) }
        for _ in 0..<prologue.frees {
            switch operations.popFirst() {
            case .free: #expect(!prologue.freesByPutPage)
            case .putPage(_, _, let page): #expect(prologue.freesByPutPage && page == 0)
            default: Issue.record("a release expected")
            }
        }
        #expect(program.operations.count == 2000)
        #expect(prologue.splits == (splitting ? prologue.allocations : 0))
        let kindWeights = GeneratorConfiguration.derive(seed: seed, profile: BuiltInProfiles.tiny).kindWeights
        #expect(prologue.freesByPutPage == (kindWeights[ProgramOperationKind.free.rawValue] == 0))
        #expect(GeneratorConfiguration.derive(seed: seed).description.contains("\nprologue \(prologue.gfp)"))
    }

    /// The fill leaves little memory free: allocations stop at the watermarks.
    @Test func prologueFillsMemory() {
        let (seed, prologue) = Self.seedWithPrologue(splitting: false)
        let allocator = ReferencePageAllocator(profile: BuiltInProfiles.tiny)
        let program = ProgramGenerator.program(seed: seed, operations: prologue.allocations, profile: BuiltInProfiles.tiny)
        for case .allocate(let cpu, let order, let gfp) in program.operations {
            _ = allocator.apply(.allocate(cpu: CPUID(cpu), order: Order(order), gfp: gfp.flags))
        }
        let zones = allocator.snapshot().zones
        let free = zones.reduce(0) { $0 + $1.nrFreePages }
        let managed = zones.reduce(0) { $0 + $1.managedPages }
        #expect(free * 8 < managed, "\(free) of \(managed) pages free after the fill")
    }

    @Test func splitsStayBoundedOnLargeProfiles() {
        let (_, prologue) = Self.seedWithPrologue(splitting: true, profile: BuiltInProfiles.small)
        #expect(prologue.splits << prologue.order <= 8192)
        #expect(prologue.allocations > prologue.splits)
    }

    /// Node 1's Normal zone holds back more from a Movable request than from a Normal one, and
    /// node 0 has no Movable zone: the classzone of `get_page_from_freelist` matters.
    @Test func tinyMovableIsAFuzzingProfileWhereTheClasszoneMatters() {
        #expect(FuzzingProfiles.named("tiny-movable") == BuiltInProfiles.tinyMovable)
        #expect(FuzzingProfiles.index(of: BuiltInProfiles.tinyMovable) == 3)
        let zones = ReferencePageAllocator(profile: BuiltInProfiles.tinyMovable).snapshot().zones
        let remoteNormal = zones.first { $0.id == ZoneID(node: NodeID(1), type: .normal) }!
        #expect(remoteNormal.lowmemReserve[ZoneType.movable.rawValue] > remoteNormal.lowmemReserve[ZoneType.normal.rawValue])
        #expect(!zones.contains { $0.id.node == NodeID(0) && $0.id.type == .movable && $0.managedPages > 0 })
        let program = ProgramGenerator.program(seed: 5, operations: 10, profile: BuiltInProfiles.tinyMovable)
        #expect(ProgramCodec.decode(ProgramCodec.encode(program)) == program)
    }

    /// Unmovable requests after a movable fill fall back; each fallback brings a full check
    /// forward, at most one per `checkAfterFallback` operations.
    @Test func fallbacksBringFullChecksForward() {
        var lines = (0..<230).map { _ in "alloc cpu=0 order=4 gfp=GFP_HIGHUSER_MOVABLE" }
        lines += (0..<40).map { _ in "free #0 cpu=0" }
        lines += (0..<20).map { _ in "alloc cpu=1 order=1 gfp=GFP_KERNEL" }
        let fallbacks = program(lines.joined(separator: "\n") + "\n")
        func fullChecks(_ spacing: Int?) -> Int {
            let runner = LockstepRunner(configuration: LockstepConfiguration(checkEvery: 1000, checkAfterFallback: spacing))
            let report = runner.run(fallbacks)
            #expect(report.verdict == .passed, "\(report.text)")
            let words = report.text.split(separator: "\n")[1].split(separator: " ")
            return Int(words[words.firstIndex(of: "full")! - 1])!
        }
        let periodic = fullChecks(nil)
        let everyFallback = fullChecks(1)
        #expect(periodic == 3, "boot, the last operation and the liveness phase")
        #expect(everyFallback > periodic)
        #expect(fullChecks(4) <= everyFallback)
        #expect(fullChecks(1000) == periodic, "no check is ever 1,000 operations late in a program of 290")
    }
}
