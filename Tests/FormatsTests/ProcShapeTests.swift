import BuddyFormats
import BuddyVocabulary
import Testing

/// Render rules that the fixture machine does not exercise: caps, CMA, isolation, several
/// nodes, other page sizes, boost.
@Suite struct ProcShapeTests {
    @Test func pagetypeinfoCapsTheWalkAt100000() {
        var snapshot = SyntheticSnapshot.empty(BuiltInProfiles.small)
        SyntheticSnapshot.addFree(&snapshot, zoneIndex: 0, order: 0, type: .movable, count: 100_000)
        SyntheticSnapshot.addFree(&snapshot, zoneIndex: 0, order: 0, type: .unmovable, count: 99_999)
        let lines = Pagetypeinfo.render(snapshot, profile: BuiltInProfiles.small).split(separator: "\n")
        #expect(lines.contains("Node    0, zone    DMA32, type    Unmovable  99999      0      0      0      0      0      0      0      0      0      0 "))
        #expect(lines.contains("Node    0, zone    DMA32, type      Movable >100000      0      0      0      0      0      0      0      0      0      0 "))
        // buddyinfo prints nr_free itself, uncapped.
        #expect(Buddyinfo.render(snapshot, profile: BuiltInProfiles.small).hasPrefix("Node 0, zone    DMA32 199999      0 "))
    }

    @Test func pagetypeinfoListsCMAOnlyWhenConfigured() {
        var profile = BuiltInProfiles.tiny
        let without = Pagetypeinfo.render(SyntheticSnapshot.empty(profile), profile: profile)
        #expect(!without.contains("CMA"))
        #expect(without.contains("Number of blocks type     Unmovable      Movable  Reclaimable   HighAtomic      Isolate \n"))
        profile.cmaConfigured = true
        let with = Pagetypeinfo.render(SyntheticSnapshot.empty(profile), profile: profile)
        #expect(with.contains("Number of blocks type     Unmovable      Movable  Reclaimable   HighAtomic          CMA      Isolate \n"))
        #expect(with.contains("Node    0, zone   Normal, type          CMA      0      0      0      0      0      0      0 \n"))
    }

    /// tiny: DMA32 spans pfn 64-1599 (pageblocks of 16 pages: 96 blocks), Normal 2048-4095 with a
    /// 64-page hole at its end (4 blocks, still online: the section holds managed pages).
    @Test func isolatedBlocksAndIsolateListsShowAsIsolate() {
        let profile = BuiltInProfiles.tiny
        var snapshot = SyntheticSnapshot.empty(profile)
        snapshot.zones[1].pageblocks[3].isolated = true
        snapshot.zones[1].pageblocks[5] = PageblockState(type: .highatomic)
        SyntheticSnapshot.addFree(&snapshot, zoneIndex: 1, order: 4, type: .isolate, count: 1)
        SyntheticSnapshot.addFree(&snapshot, zoneIndex: 1, order: 4, type: .highatomic, count: 2)
        let pagetypeinfo = Pagetypeinfo.render(snapshot, profile: profile)
        #expect(pagetypeinfo.contains("Node    0, zone   Normal, type      Isolate      0      0      0      0      1      0      0 \n"))
        #expect(pagetypeinfo.contains("Node    0, zone   Normal, type   HighAtomic      0      0      0      0      2      0      0 \n"))
        #expect(pagetypeinfo.hasSuffix("Node 0, zone    DMA32            0           96            0            0            0 \nNode 0, zone   Normal            0          126            0            1            1 \n"))
        #expect(Buddyinfo.render(snapshot, profile: profile).hasSuffix("Node 0, zone   Normal      0      0      0      0      3      0      0 \n"))
        #expect(FreeAreas.render(snapshot, profile: profile).contains("Node 0 Normal: 0*4kB 0*8kB 0*16kB 0*32kB 3*64kB (HI) 0*128kB 0*256kB = 192kB\n"))
    }

    @Test func everyNodeGetsItsOwnBlocksAndFirstZoneStats() {
        let profile = BuiltInProfiles.tinyNUMA
        let snapshot = SyntheticSnapshot.empty(profile)
        let buddyinfo = Buddyinfo.render(snapshot, profile: profile).split(separator: "\n").map { $0.prefix(22) }
        #expect(buddyinfo == ["Node 0, zone    DMA32 ", "Node 0, zone   Normal ", "Node 1, zone   Normal "])
        let pagetypeinfo = Pagetypeinfo.render(snapshot, profile: profile)
        #expect(pagetypeinfo.components(separatedBy: "Page block order: 4\n").count == 3)
        let zoneinfo = Zoneinfo.render(snapshot, profile: profile)
        let headers = zoneinfo.split(separator: "\n").filter { $0.hasPrefix("Node ") }
        #expect(headers.count == 10)
        #expect(zoneinfo.contains("Node 1, zone      DMA\n  pages free     0\n"))
        #expect(zoneinfo.contains("Node 1, zone   Normal\n  per-node stats\n      nr_inactive_anon 0\n"))
        #expect(zoneinfo.contains("Node 0, zone    DMA32\n  per-node stats\n"))
        #expect(zoneinfo.components(separatedBy: "per-node stats").count == 3)
        // Every populated zone lists all four CPUs (for_each_online_cpu), not just its node's.
        #expect(zoneinfo.components(separatedBy: "    cpu: 3\n").count == 4)
    }

    @Test func unpopulatedZonesShowTheKernelsEmptyZone() {
        let zoneinfo = Zoneinfo.render(SyntheticSnapshot.empty(BuiltInProfiles.small), profile: BuiltInProfiles.small)
        #expect(zoneinfo.hasPrefix("Node 0, zone      DMA\n  pages free     0\n        boost    0\n        min      0\n"))
        #expect(zoneinfo.contains("Node 0, zone  Movable\n  pages free     0\n        boost    0\n        min      32\n        low      32\n        high     32\n        promo    32\n        spanned  0\n        present  0\n        managed  0\n        cma      0\n        protection: (0, 0, 0, 0, 0)\nNode 0, zone   Device\n"))
        #expect(zoneinfo.hasSuffix("        protection: (0, 0, 0, 0, 0)\n"))
    }

    @Test func watermarksIncludeTheBoost() {
        var snapshot = SyntheticSnapshot.empty(BuiltInProfiles.small)
        snapshot.zones[0].watermarkBoost = 512
        let zoneinfo = Zoneinfo.render(snapshot, profile: BuiltInProfiles.small)
        #expect(zoneinfo.contains("\n        boost    512\n        min      522\n        low      524\n        high     526\n        promo    528\n"))
        let freeAreas = FreeAreas.render(snapshot, profile: BuiltInProfiles.small)
        #expect(freeAreas.contains(" boost:2048kB min:2088kB low:2096kB high:2104kB "))
    }

    @Test func largePagesScaleEveryKilobyteField() {
        let profile = BuiltInProfiles.arm64_64KiB
        var snapshot = SyntheticSnapshot.empty(profile)
        SyntheticSnapshot.addFree(&snapshot, zoneIndex: 0, order: 13, type: .movable, count: 2)
        SyntheticSnapshot.addFree(&snapshot, zoneIndex: 0, order: 0, type: .unmovable, count: 1)
        let freeArea = FreeAreas.render(snapshot, profile: profile).split(separator: "\n")[4]
        #expect(freeArea == "Node 0 DMA32: 1*64kB (U) 0*128kB 0*256kB 0*512kB 0*1024kB 0*2048kB 0*4096kB 0*8192kB 0*16384kB 0*32768kB 0*65536kB 0*131072kB 0*262144kB 2*524288kB (M) = 1048640kB")
        let buddyinfo = Buddyinfo.render(snapshot, profile: profile).split(separator: "\n")
        #expect(buddyinfo[0] == "Node 0, zone    DMA32      1" + String(repeating: "      0", count: 12) + "      2 ")
        let pagetypeinfo = Pagetypeinfo.render(snapshot, profile: profile)
        #expect(pagetypeinfo.hasPrefix("Page block order: 13\nPages per block:  8192\n\nFree pages count per migrate type at order       0      1      2      3      4      5      6      7      8      9     10     11     12     13 \n"))
        // 512 MiB sections of 8,192 pages; DMA32's 16,384-page hole at its end is two whole
        // sections, whose two pageblocks are skipped, leaving 6 of its 8. The first section
        // starts with 3,834 reserved pages but holds managed ones: it counts.
        #expect(pagetypeinfo.contains("Node 0, zone    DMA32            0            6            0            0            0 \n"))
        let zoneinfo = Zoneinfo.render(snapshot, profile: profile)
        #expect(zoneinfo.contains("  vm stats threshold: \(2 * 4 * (1 + 5))\n"))
    }

    @Test func aCPUWithoutAPagesetShowsTheBootPageset() {
        var snapshot = SyntheticSnapshot.empty(BuiltInProfiles.tiny)
        snapshot.zones[0].pagesets.removeLast()
        let zoneinfo = Zoneinfo.render(snapshot, profile: BuiltInProfiles.tiny)
        #expect(zoneinfo.contains("    cpu: 1\n              count:    0\n              high:     0\n              batch:    1\n              high_min: 0\n              high_max: 0\n"))
    }
}

@Suite struct StateFormatTests {
    @Test func everyFormatRendersItsFile() {
        let snapshot = FixtureMachine.snapshot()
        let profile = FixtureMachine.profile
        #expect(StateFormat.allCases.map(\.rawValue) == ["buddyinfo", "pagetypeinfo", "zoneinfo", "free-areas"])
        #expect(StateFormat.buddyinfo.render(snapshot, profile: profile) == Buddyinfo.render(snapshot, profile: profile))
        #expect(StateFormat.pagetypeinfo.render(snapshot, profile: profile) == Pagetypeinfo.render(snapshot, profile: profile))
        #expect(StateFormat.zoneinfo.render(snapshot, profile: profile) == Zoneinfo.render(snapshot, profile: profile))
        #expect(StateFormat.freeAreas.render(snapshot, profile: profile) == FreeAreas.render(snapshot, profile: profile))
    }
}
