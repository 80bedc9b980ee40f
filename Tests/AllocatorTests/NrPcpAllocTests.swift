import BuddyVocabulary
import Testing

/// `nr_pcp_alloc` and `rmqueue_bulk`: how many blocks a pcp refill takes from the buddy.
@Suite("nr_pcp_alloc")
struct NrPcpAllocTests {
    /// The Normal zone of `x86-64-4g` (batch 63, high_min 252, high_max 8031), order-0 MOVABLE
    /// requests on CPU 0. Each refill grows `high` by the refill's batch (the zone is above its
    /// high watermark) and doubles the next one (`alloc_factor`):
    ///
    /// ```
    ///   refill  high before  batch = 63 << af   high = min(high + batch, 8031)  room = high − 0 − 63
    ///   1       252 (clamped)  63                315                             252 → 63,  af 1
    ///   2       315           126                441                             378 → 126, af 2
    ///   3       441           252                693                             630 → 252, af 3
    /// ```
    /// Higher orders take one batch's worth of pages: order 1 → 63 >> 1 = 31 blocks, order 3 →
    /// 63 >> 3 = 7, the THP order 9 → max(63 >> 9, 2) = 2; each grows `high` by 63.
    @Test("refills of 63, 126, 252 pages, then 31, 7 and 2 blocks", arguments: implementations)
    func x86Refills(_ implementation: Implementation) {
        let allocator = implementation.boot(BuiltInProfiles.x86_64_4GiB)
        var refills: [Int] = []
        var pfns: [Int] = []
        for _ in 0..<190 {
            let events = allocator.eventsOf { pfns.append(allocator.allocate(order: 0, gfp: .kernelMovable)?.rawValue ?? -1) }
            if events.zoneLockedCount > 0 { refills.append(events.zoneLockedCount) }
        }
        #expect(refills == [63, 126, 252])
        // Normal's first 5144 pages are reserved; its managed run starts at 1053720 with blocks of
        // orders 3, 5, 6, 7, …, which the smallest-first search takes in ascending pfn order.
        #expect(pfns == Array(1_053_720..<(1_053_720 + 190)), "refills are consumed in ascending pfn order")
        var pageset = allocator.snapshot().zone(.normal).pagesets[0]
        #expect([pageset.count, pageset.high, pageset.allocFactor] == [63 + 126 + 252 - 190, 693, 3])

        var higherOrderRefills: [Int] = []
        for order in [1, 3, 9] {
            let events = allocator.eventsOf { allocator.allocate(order: order, gfp: .kernelMovable) }
            higherOrderRefills.append(events.zoneLockedCount)
        }
        #expect(higherOrderRefills == [31, 7, 2])
        pageset = allocator.snapshot().zone(.normal).pagesets[0]
        #expect(pageset.high == 693 + 3 * 63)
        #expect(pageset.count == 251 + 30 * 2 + 6 * 8 + 1 * 512)
    }

    /// With `percpu_pagelist_high_fraction` the limits are fixed (high_min = high_max = 32,
    /// batch 7): `high` does not grow, and an order-0 refill is bounded by the room under it,
    /// `max(high − count − batch, batch)` = 25; `alloc_factor` stops growing once the doubled
    /// batch no longer fits.
    ///
    /// ```
    ///   refill 1: batch 7 ≤ 25 → 7, af 1;  refill 2: 14 ≤ 25 → 14, af 2;
    ///   refill 3: 28 > 25 → 25, af stays 2; refill 4: 25
    /// ```
    @Test("refills bounded by the room under a fixed high", arguments: implementations)
    func fixedHigh(_ implementation: Implementation) {
        let allocator = implementation.boot(LayoutProfiles.pcp(highFraction: 1024))
        var refills: [Int] = []
        for _ in 0..<(7 + 14 + 25 + 1) {
            let events = allocator.eventsOf { allocator.allocate(order: 0, gfp: .kernelMovable) }
            if events.zoneLockedCount > 0 { refills.append(events.zoneLockedCount) }
        }
        #expect(refills == [7, 14, 25, 25])
        let pageset = allocator.snapshot().zone(.normal).pagesets[0]
        #expect([pageset.high, pageset.highMin, pageset.highMax, pageset.batch, pageset.allocFactor] == [32, 32, 32, 7, 2])
        #expect(pageset.count == 24)
    }

    /// A zone below its high watermark (`ZONE_BELOW_HIGH`) does not grow `high`. 2044 order-4
    /// blocks (not a pcp order) leave 64 free pages, exactly the high watermark, so the next
    /// request fails the high mark (`64 ≤ 64`), sets the flag, passes the low mark (32) and
    /// refills the pcp without growth: high = clamp(0, 32, 4096) = 32, not 32 + 7.
    @Test("no growth below the high watermark", arguments: implementations)
    func noGrowthBelowHigh(_ implementation: Implementation) {
        let allocator = implementation.boot(LayoutProfiles.pcp())
        for _ in 0..<2044 {
            guard allocator.allocate(order: 4, gfp: .kernelMovable) != nil else { return }
        }
        #expect(allocator.snapshot().zone(.normal).nrFreePages == 64)
        #expect(!allocator.snapshot().zone(.normal).flags.contains(.belowHigh))
        let events = allocator.eventsOf { allocator.allocate(order: 0, gfp: .kernelMovable) }
        #expect(events.zoneLockedCount == 7)
        let zone = allocator.snapshot().zone(.normal)
        #expect(zone.flags.contains(.belowHigh))
        #expect([zone.pagesets[0].high, zone.pagesets[0].allocFactor, zone.pagesets[0].count] == [32, 1, 6])
    }
}
