import BuddyVocabulary
import Testing

/// `decay_pcp_high` (the vmstat tick) and `drain_pages_zone` (drainCPU, drainAll).
@Suite("decay_pcp_high and drain_pages_zone")
struct DecayPcpHighTests {
    /// `LayoutProfiles.pcp` (batch 7, high_min 32): 50 order-0 pages taken by refills of 7, 14,
    /// 28 and 56 (pfns 0…104 in order) leave 55 pages (50…104) on the pcp and `high` at 137.
    /// Each tick lowers `high` by an eighth (no lower than count − 224 or high_min), then frees
    /// what is above it in one bulk from list 0, tail (newest refill pages) first:
    ///
    /// ```
    ///   tick  high              count  drained
    ///   1–7   137 → 120 → 105 → 92 → 81 → 71 → 63 → 56    55     0
    ///   8     56 − 7 = 49       55     6   (104 … 99)
    ///   9     49 − 6 = 43       49     6
    ///   10    43 − 5 = 38       43     5
    ///   11    38 − 4 = 34       38     4
    ///   12    max(30, 32) = 32  34     2
    ///   13    32 (= high_min)   32     0
    /// ```
    @Test("a tick decays high by an eighth and drains above it", arguments: implementations)
    func decay(_ implementation: Implementation) {
        let allocator = implementation.boot(LayoutProfiles.pcp())
        for _ in 0..<50 { allocator.allocate(order: 0, gfp: .kernelMovable) }
        var pageset = allocator.snapshot().zone(.normal).pagesets[0]
        #expect([pageset.count, pageset.high] == [55, 137])
        var highs: [Int] = []
        var drained: [[Int]] = []
        for _ in 0..<13 {
            let events = allocator.eventsOf { allocator.run(.vmstatTick(cpu: CPUID(0))) }
            highs.append(allocator.snapshot().zone(.normal).pagesets[0].high)
            drained.append(events.drainedPfns)
        }
        #expect(highs == [120, 105, 92, 81, 71, 63, 56, 49, 43, 38, 34, 32, 32])
        #expect(drained.map(\.count) == [0, 0, 0, 0, 0, 0, 0, 6, 6, 5, 4, 2, 0])
        #expect(drained[7] == [104, 103, 102, 101, 100, 99])
        pageset = allocator.snapshot().zone(.normal).pagesets[0]
        #expect(pageset.count == 32)
    }

    /// `drainCPU` empties one CPU's pcps (every populated zone), `drainAll` every CPU's; the
    /// pages merge back into the buddy. `tiny` has two CPUs.
    @Test("drainCPU drains one CPU, drainAll every CPU", arguments: implementations)
    func drains(_ implementation: Implementation) {
        let allocator = implementation.boot(BuiltInProfiles.tiny)
        let onZero = allocator.allocate(order: 0, gfp: .kernel, cpu: 0)
        let onOne = allocator.allocate(order: 0, gfp: .kernel, cpu: 1)
        allocator.free(onZero, order: 0, cpu: 0)
        allocator.free(onOne, order: 0, cpu: 1)
        func counts() -> [Int] { allocator.snapshot().zone(.normal).pagesets.map(\.count) }
        #expect(counts() == [1, 1])
        allocator.run(.drainCPU(cpu: CPUID(1)))
        #expect(counts() == [1, 0])
        let events = allocator.eventsOf { allocator.run(.drainAll) }
        #expect(counts() == [0, 0])
        #expect(events == [.pagePcpuDrain(pfn: onZero!, order: .zero, migratetype: .unmovable)])
        #expect(allocator.snapshot().zone(.normal).nrFreePages == 1984)
        #expect(allocator.apply(.drainCPU(cpu: CPUID(2))) == .rejected(Rejection(.noSuchCPUOrNode, pfn: nil)))
        #expect(allocator.apply(.vmstatTick(cpu: CPUID(-1))) == .rejected(Rejection(.noSuchCPUOrNode, pfn: nil)))
    }
}
