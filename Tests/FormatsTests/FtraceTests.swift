import BuddyFormats
import BuddyVocabulary
import Testing

@Suite struct FtraceTests {
    let profile = BuiltInProfiles.small

    @Test func allocationLine() {
        let event = TraceEvent.pageAlloc(pfn: PFN(0x11a2c3), order: Order(0), gfp: [.highUserMovable, .zero], migratetype: .movable)
        let context = FtraceContext(task: "bash", pid: 1234, cpu: CPUID(1), timestampNanoseconds: 4_021_123_456_789)
        #expect(Ftrace.line(event, profile: profile, context: context)
            == "            bash-1234    [001] .....  4021.123456: mm_page_alloc: page=\(Ftrace.pagePointer(PFN(0x11a2c3))) pfn=0x11a2c3 order=0 migratetype=1 gfp_flags=GFP_HIGHUSER_MOVABLE|__GFP_ZERO")
    }

    @Test func failedAllocationPrintsANullPageAndPfnZero() {
        let event = TraceEvent.pageAlloc(pfn: nil, order: Order(3), gfp: .atomic, migratetype: .unmovable)
        #expect(Ftrace.body(event, profile: profile) == "mm_page_alloc: page=0000000000000000 pfn=0x0 order=3 migratetype=0 gfp_flags=GFP_ATOMIC")
    }

    @Test func everyTracepointsFields() {
        let page = Ftrace.pagePointer(PFN(0x7e200))
        #expect(Ftrace.body(.pageAllocZoneLocked(pfn: PFN(0x7e200), order: Order(0), migratetype: .movable, percpuRefill: true), profile: profile)
            == "mm_page_alloc_zone_locked: page=\(page) pfn=0x7e200 order=0 migratetype=1 percpu_refill=1")
        #expect(Ftrace.body(.pagePcpuDrain(pfn: PFN(0x7e200), order: Order(9), migratetype: .reclaimable), profile: profile)
            == "mm_page_pcpu_drain: page=\(page) pfn=0x7e200 order=9 migratetype=2")
        #expect(Ftrace.body(.pageFree(pfn: PFN(0x7e200), order: Order(2)), profile: profile)
            == "mm_page_free: page=\(page) pfn=0x7e200 order=2")
        #expect(Ftrace.body(.pageAllocExtfrag(pfn: PFN(0x7e200), allocOrder: Order(0), fallbackOrder: Order(9), allocMigratetype: .unmovable, fallbackMigratetype: .movable, changeOwnership: true), profile: profile)
            == "mm_page_alloc_extfrag: page=\(page) pfn=0x7e200 alloc_order=0 fallback_order=9 pageblock_order=9 alloc_migratetype=0 fallback_migratetype=1 fragmenting=0 change_ownership=1")
        // Fragmenting compares with the profile's pageblock order (4 in tiny).
        #expect(Ftrace.body(.pageAllocExtfrag(pfn: PFN(0x7e200), allocOrder: Order(1), fallbackOrder: Order(3), allocMigratetype: .movable, fallbackMigratetype: .reclaimable, changeOwnership: false), profile: BuiltInProfiles.tiny)
            == "mm_page_alloc_extfrag: page=\(page) pfn=0x7e200 alloc_order=1 fallback_order=3 pageblock_order=4 alloc_migratetype=1 fallback_migratetype=2 fragmenting=1 change_ownership=0")
    }

    @Test func contextColumnsAreFixedWidth() {
        let context = FtraceContext(task: "kworker/0:1", pid: 57, cpu: CPUID(12), latencyFlags: "d..2.", timestampNanoseconds: 5_000_001_000)
        let line = Ftrace.line(.pageFree(pfn: PFN(1), order: Order(0)), profile: profile, context: context)
        #expect(line.hasPrefix("     kworker/0:1-57      [012] d..2.     5.000001: mm_page_free: "))
    }

    @Test func fakePointersAreStableAndKernelShaped() {
        let first = Ftrace.pagePointer(PFN(0x1000))
        #expect(first == Ftrace.pagePointer(PFN(0x1000)))
        #expect(first.count == 16 && first.hasPrefix("00000000"))
        #expect(first.allSatisfy { $0.isHexDigit })
        let pointers = Set((0..<4096).map { Ftrace.pagePointer(PFN($0)) })
        #expect(pointers.count == 4096)
        // Pinned value: a change of the mix would silently change every recorded trace.
        #expect(Ftrace.pagePointer(PFN(0)) == "00000000a4ab2eea")
        #expect(Ftrace.pagePointer(PFN(1)) == "00000000e13eeed5")
        #expect(Ftrace.pagePointer(PFN(0x11a2c3)) == "00000000b1deeba2")
    }
}
