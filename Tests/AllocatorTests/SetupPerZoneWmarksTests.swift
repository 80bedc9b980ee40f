import BuddyVocabulary
import Testing

/// `__setup_per_zone_wmarks`, `setup_per_zone_lowmem_reserve`, `zone_batchsize`,
/// `zone_highsize`, `calculate_min_free_kbytes` and the sysctl handlers, checked against numbers
/// worked out by hand (and, for `linux-6.18-vm`, read from the real machine's /proc/zoneinfo).
@Suite("setup_per_zone_wmarks and the pcp sizing")
struct SetupPerZoneWmarksTests {
    struct ExpectedZone {
        var type: ZoneType
        var watermarks: [Int]
        var protection: [Int]
        var batch: Int
        var highMin: Int
        var highMax: Int
    }

    func expect(_ snapshot: StateSnapshot, _ expected: [ExpectedZone], cpus: Int, sourceLocation: SourceLocation = #_sourceLocation) {
        for zone in expected {
            let found = snapshot.zone(zone.type)
            #expect(found.watermarks == zone.watermarks, "\(zone.type) min/low/high/promo", sourceLocation: sourceLocation)
            #expect(found.watermarkBoost == 0, sourceLocation: sourceLocation)
            #expect(found.lowmemReserve == zone.protection, "\(zone.type) protection", sourceLocation: sourceLocation)
            #expect(found.pagesetBatch == zone.batch, "\(zone.type) batch", sourceLocation: sourceLocation)
            #expect(found.pagesetHighMin == zone.highMin, "\(zone.type) high_min", sourceLocation: sourceLocation)
            #expect(found.pagesetHighMax == zone.highMax, "\(zone.type) high_max", sourceLocation: sourceLocation)
            #expect(found.pagesets.count == cpus, sourceLocation: sourceLocation)
            for pageset in found.pagesets {
                #expect([pageset.batch, pageset.highMin, pageset.highMax] == [zone.batch, zone.highMin, zone.highMax], sourceLocation: sourceLocation)
                #expect(pageset.high == 0 && pageset.count == 0, "pcp->high starts at 0", sourceLocation: sourceLocation)
            }
        }
    }

    /// The real machine (`/proc/zoneinfo` of the 6.18.44 VM, 2 CPUs, min_free_kbytes 67584):
    ///
    /// ```
    ///   pages_min = 67584 >> 2 = 16896; lowmem = 3840 + 772808 + 294912 = 1071560
    ///   DMA     min = 16896*3840/1071560 = 60     step = max(60>>2, 3840*10/10000) = 15
    ///   DMA32   min = 16896*772808/1071560 = 12185 step = max(3046, 772) = 3046
    ///   Normal  min = 16896*294912/1071560 = 4650  step = max(1162, 294) = 1162
    ///   protection DMA:   772808/256 = 3018, (772808+294912)/256 = 4170
    ///              DMA32: 294912/256 = 1152
    ///   batch: DMA 3840>>12 = 0 → 1; DMA32, Normal min(…, 64) = 64 → rounddown_pow2(96) − 1 = 63
    ///   high_min = max(low / 2 CPUs, 4*batch): 75/2 = 37, 15231/2 = 7615, 5812/2 = 2906
    ///   high_max = max(managed/8 / 2, 4*batch): 240, 48300, 18432
    /// ```
    @Test("linux-6.18-vm matches the real /proc/zoneinfo", arguments: implementations)
    func linux618VM(_ implementation: Implementation) {
        let allocator = implementation.boot(BuiltInProfiles.linux618VM)
        let snapshot = allocator.snapshot()
        expect(snapshot, [
            ExpectedZone(type: .dma, watermarks: [60, 75, 90, 105], protection: [0, 3018, 4170, 4170, 4170], batch: 1, highMin: 37, highMax: 240),
            ExpectedZone(type: .dma32, watermarks: [12185, 15231, 18277, 21323], protection: [0, 0, 1152, 1152, 1152], batch: 63, highMin: 7615, highMax: 48300),
            ExpectedZone(type: .normal, watermarks: [4650, 5812, 6974, 8136], protection: [0, 0, 0, 0, 0], batch: 63, highMin: 2906, highMax: 18432),
        ], cpus: 2)
        #expect(snapshot.sysctl.minFreeKbytes == 67584)
        #expect(snapshot.mobilityGroupingDisabled == false)
        // A 16 MiB cache slice is 4096 pages, more than 3 batches of 63 (and of 1).
        for zone in snapshot.zones {
            for pageset in zone.pagesets {
                #expect(pageset.flags & PagesetSnapshot.flagFreeHighBatch != 0)
            }
        }
    }

    /// `x86-64-4g`, 4 CPUs, `min_free_kbytes` from `calculate_min_free_kbytes`:
    ///
    /// ```
    ///   lowmem_kbytes = (3840 + 772808 + 257000) * 4 = 4134592
    ///   min_free_kbytes = int_sqrt(4134592 * 16) = int_sqrt(66153472) = 8133
    ///   pages_min = 8133 >> 2 = 2033; lowmem = 1033648
    ///   DMA     min = 2033*3840/1033648 = 7        step = max(1, 3) = 3
    ///   DMA32   min = 2033*772808/1033648 = 1519   step = max(379, 772) = 772
    ///   Normal  min = 2033*257000/1033648 = 505    step = max(126, 257) = 257
    ///   protection DMA: 772808/256 = 3018, 1029808/256 = 4022; DMA32: 257000/256 = 1003
    ///   high_min = max(low/4, 4*batch): max(2, 4) = 4, 2291/4 = 572, 762/4 = 190 → 252
    ///   high_max = max(managed/8/4, 4*batch): 120, 24150, 8031
    /// ```
    @Test("x86-64-4g by hand", arguments: implementations)
    func x86_64_4GiB(_ implementation: Implementation) {
        let snapshot = implementation.boot(BuiltInProfiles.x86_64_4GiB).snapshot()
        #expect(snapshot.sysctl.minFreeKbytes == 8133)
        expect(snapshot, [
            ExpectedZone(type: .dma, watermarks: [7, 10, 13, 16], protection: [0, 3018, 4022, 4022, 4022], batch: 1, highMin: 4, highMax: 120),
            ExpectedZone(type: .dma32, watermarks: [1519, 2291, 3063, 3835], protection: [0, 0, 1003, 1003, 1003], batch: 63, highMin: 572, highMax: 24150),
            ExpectedZone(type: .normal, watermarks: [505, 762, 1019, 1276], protection: [0, 0, 0, 0, 0], batch: 63, highMin: 252, highMax: 8031),
        ], cpus: 4)
    }

    /// `tiny`, 2 CPUs:
    ///
    /// ```
    ///   min_free_kbytes = int_sqrt((1500 + 1984) * 4 * 16) = int_sqrt(222976) = 472
    ///   pages_min = 118; DMA32 min = 118*1500/3484 = 50, step = max(12, 1) = 12
    ///                    Normal min = 118*1984/3484 = 67, step = max(16, 1) = 16
    ///   protection DMA32: 1984/256 = 7; batch 1 everywhere (managed >> 12 = 0)
    ///   high_min = max(62/2, 4) = 31 and max(83/2, 4) = 41
    ///   high_max = 1500/8/2 = 93 and 1984/8/2 = 124
    ///   grouping: (1500 − 74) + (1984 − 99) = 3311 ≥ 16 * 5 → enabled
    /// ```
    @Test("tiny by hand", arguments: implementations)
    func tiny(_ implementation: Implementation) {
        let snapshot = implementation.boot(BuiltInProfiles.tiny).snapshot()
        #expect(snapshot.sysctl.minFreeKbytes == 472)
        expect(snapshot, [
            ExpectedZone(type: .dma32, watermarks: [50, 62, 74, 86], protection: [0, 0, 7, 7, 7], batch: 1, highMin: 31, highMax: 93),
            ExpectedZone(type: .normal, watermarks: [67, 83, 99, 115], protection: [0, 0, 0, 0, 0], batch: 1, highMin: 41, highMax: 124),
        ], cpus: 2)
        #expect(snapshot.mobilityGroupingDisabled == false)
        #expect(snapshot.zones.map(\.nrFreePages) == [1500, 1984])
    }

    /// Writing `min_free_kbytes` reruns the watermarks and the pcp sizing but not the lowmem
    /// reserves, and zeroes the boost.
    ///
    /// ```
    ///   tiny, min_free_kbytes 1024: pages_min 256
    ///   DMA32  min = 256*1500/3484 = 110, step = 27 → 110 137 164 191; high_min = 137/2 = 68
    ///   Normal min = 256*1984/3484 = 145, step = 36 → 145 181 217 253; high_min = 181/2 = 90
    /// ```
    @Test("min_free_kbytes write", arguments: implementations)
    func minFreeKbytesWrite(_ implementation: Implementation) {
        let allocator = implementation.boot(BuiltInProfiles.tiny)
        allocator.run(.writeSysctl(.minFreeKbytes(1024)))
        let snapshot = allocator.snapshot()
        #expect(snapshot.sysctl.minFreeKbytes == 1024)
        #expect(snapshot.zone(.dma32).watermarks == [110, 137, 164, 191])
        #expect(snapshot.zone(.normal).watermarks == [145, 181, 217, 253])
        #expect(snapshot.zone(.dma32).lowmemReserve == [0, 0, 7, 7, 7])
        #expect(snapshot.zone(.dma32).pagesetHighMin == 68)
        #expect(snapshot.zone(.normal).pagesetHighMin == 90)
        #expect(snapshot.zone(.normal).pagesets.allSatisfy { $0.highMin == 90 && $0.highMax == 124 })
    }

    /// `watermark_scale_factor` 1000 (10%): the step is a tenth of the zone.
    ///
    /// ```
    ///   DMA32 step = max(12, 1500*1000/10000 = 150) → 50 200 350 500
    ///   Normal step = max(16, 198) → 67 265 463 661
    /// ```
    @Test("watermark_scale_factor write", arguments: implementations)
    func watermarkScaleFactorWrite(_ implementation: Implementation) {
        let allocator = implementation.boot(BuiltInProfiles.tiny)
        allocator.run(.writeSysctl(.watermarkScaleFactor(1000)))
        let snapshot = allocator.snapshot()
        #expect(snapshot.zone(.dma32).watermarks == [50, 200, 350, 500])
        #expect(snapshot.zone(.normal).watermarks == [67, 265, 463, 661])
        #expect(snapshot.zone(.normal).pagesetHighMin == 265 / 2)
    }

    /// `percpu_pagelist_high_fraction` 8: high_min = high_max = managed/8 per CPU, at least 4 batches.
    ///
    /// ```
    ///   DMA32 1500/8/2 = 93; Normal 1984/8/2 = 124
    /// ```
    @Test("percpu_pagelist_high_fraction write", arguments: implementations)
    func highFractionWrite(_ implementation: Implementation) {
        let allocator = implementation.boot(BuiltInProfiles.tiny)
        allocator.run(.writeSysctl(.percpuPagelistHighFraction(8)))
        let snapshot = allocator.snapshot()
        #expect([snapshot.zone(.dma32).pagesetHighMin, snapshot.zone(.dma32).pagesetHighMax] == [93, 93])
        #expect([snapshot.zone(.normal).pagesetHighMin, snapshot.zone(.normal).pagesetHighMax] == [124, 124])
        #expect(snapshot.sysctl.percpuPagelistHighFraction == 8)
    }

    /// `percpu_pagelist_high_fraction_sysctl_handler` returns early when the value does not
    /// change; otherwise it runs `zone_set_pageset_high_and_batch`, whose `zone_highsize` reads
    /// the *boosted* low watermark. So with a boost in force, rewriting the current value keeps
    /// the old sizing, and any real change picks the boost up:
    ///
    /// ```
    ///   fallback zone: low 20, high_max = 256/8 = 32; boot high_min = max(20/1, 4) = 20
    ///   a stolen page boosts by 8: low_wmark_pages = 28
    ///   fraction 0 → 0:   no change, high_min 20
    ///   fraction 0 → 8:   high_min = high_max = max(256/8, 4) = 32
    ///   fraction 8 → 0:   high_min = 28 (boosted), high_max 32
    /// ```
    @Test("percpu_pagelist_high_fraction: an unchanged value changes nothing", arguments: implementations)
    func highFractionUnchanged(_ implementation: Implementation) {
        let allocator = implementation.boot(LayoutProfiles.fallback)
        RmqueueFallbackTests.leaveUnmovableFragments(allocator, keep: [1, 2])
        allocator.allocate(order: 0, gfp: RmqueueFallbackTests.movable)
        func sizing() -> [Int] {
            let zone = allocator.snapshot().zone(.dma32)
            return [zone.watermarkBoost, zone.pagesetHighMin, zone.pagesetHighMax] + zone.pagesets.flatMap { [$0.highMin, $0.highMax] }
        }
        #expect(sizing() == [8, 20, 32, 20, 32])
        allocator.run(.writeSysctl(.percpuPagelistHighFraction(0)))
        #expect(sizing() == [8, 20, 32, 20, 32], "the handler's \"No change?\" return")
        allocator.run(.writeSysctl(.percpuPagelistHighFraction(8)))
        #expect(sizing() == [8, 32, 32, 32, 32])
        allocator.run(.writeSysctl(.percpuPagelistHighFraction(0)))
        #expect(sizing() == [8, 28, 32, 28, 32], "zone_highsize reads the boosted low watermark")
    }

    /// The sysctls are C `int`s: `proc_dointvec_minmax` refuses a value above `INT_MAX` whatever
    /// the handler's own bounds.
    @Test("sysctl values above INT_MAX are refused", arguments: implementations)
    func aboveIntMax(_ implementation: Implementation) {
        let allocator = implementation.boot(BuiltInProfiles.tiny)
        let before = allocator.snapshot()
        let tooLarge = Int(Int32.max) + 1
        for write in [SysctlWrite.minFreeKbytes(tooLarge), .percpuPagelistHighFraction(tooLarge)] {
            #expect(allocator.apply(.writeSysctl(write)) == .rejected(Rejection(.sysctlOutOfRange, pfn: nil)), "\(write)")
        }
        #expect(allocator.snapshot() == before)
        #expect(allocator.apply(.writeSysctl(.minFreeKbytes(Int(Int32.max)))) == .completed(pagesFreed: 0))
    }

    @Test("sysctl values out of range change nothing", arguments: implementations)
    func outOfRange(_ implementation: Implementation) {
        let allocator = implementation.boot(BuiltInProfiles.tiny)
        let before = allocator.snapshot()
        for write in [SysctlWrite.minFreeKbytes(-1), .watermarkScaleFactor(0), .watermarkScaleFactor(3001),
                      .percpuPagelistHighFraction(7), .percpuPagelistHighFraction(-8)] {
            #expect(allocator.apply(.writeSysctl(write)) == .rejected(Rejection(.sysctlOutOfRange, pfn: nil)), "\(write)")
        }
        #expect(allocator.snapshot() == before)
    }

    /// A zone of 36 pages with pageblocks of 8: (36 − high 0) < 8 * 5, so grouping by mobility is
    /// off and every allocation is UNMOVABLE.
    @Test("mobility grouping disabled on a tiny machine", arguments: implementations)
    func mobilityGroupingDisabled(_ implementation: Implementation) {
        let profile = Profile(
            name: "forty", maxPageOrder: 5, pageblockOrder: 3, pmdOrder: 5, cpus: 1,
            sysctl: Profile.Sysctl(minFreeKbytes: 0),
            nodes: [Profile.Node(zones: [Profile.Zone(type: .normal, startPfn: 0, spannedPages: 36)])])
        let allocator = implementation.boot(profile)
        #expect(allocator.snapshot().mobilityGroupingDisabled)
        let events = allocator.eventsOf { allocator.allocate(order: 0, gfp: .kernelMovable) }
        #expect(events.last?.allocMigratetype == .unmovable)
    }
}
