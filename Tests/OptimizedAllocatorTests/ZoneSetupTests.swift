import BuddyVocabulary
import Testing
@testable import OptimizedAllocator

/// The zone setup of the `linux-6.18-vm` profile against what that machine's /proc/zoneinfo
/// printed.
@Suite struct ZoneSetupTests {
    let state = OptimizedPageAllocator(profile: BuiltInProfiles.linux618VM).snapshot()

    func zone(_ type: ZoneType) -> ZoneSnapshot {
        state.zones.first { $0.id.type == type }!
    }

    @Test func watermarksMatchZoneinfo() {
        #expect(zone(.dma).watermarks == [60, 75, 90, 105])
        #expect(zone(.dma32).watermarks == [12185, 15231, 18277, 21323])
        #expect(zone(.normal).watermarks == [4650, 5812, 6974, 8136])
        #expect(state.zones.map(\.id.type) == [.dma, .dma32, .normal], "the snapshot lists the zones the profile names")
    }

    /// The empty Movable zone the profile does not name still gets the kernel's watermarks.
    @Test func emptyMovableZoneKeepsKernelWatermarks() {
        let allocator = OptimizedPageAllocator(profile: BuiltInProfiles.linux618VM)
        let movable = allocator.zones[ZoneType.movable.rawValue]
        #expect((0..<4).map { movable.watermarks[$0] } == [32, 32, 32, 32])
    }

    @Test func protectionMatchesZoneinfo() {
        #expect(zone(.dma).lowmemReserve == [0, 3018, 4170, 4170, 4170])
        #expect(zone(.dma32).lowmemReserve == [0, 0, 1152, 1152, 1152])
        #expect(zone(.normal).lowmemReserve == [0, 0, 0, 0, 0])
    }

    @Test func pagesetSizingMatchesZoneinfo() {
        let expected: [(ZoneType, batch: Int, highMin: Int, highMax: Int)] = [
            (.dma, 1, 37, 240), (.dma32, 63, 7615, 48300), (.normal, 63, 2906, 18432),
        ]
        for (type, batch, highMin, highMax) in expected {
            let zone = zone(type)
            #expect(zone.pagesetBatch == batch, "\(type)")
            #expect(zone.pagesetHighMin == highMin, "\(type)")
            #expect(zone.pagesetHighMax == highMax, "\(type)")
            #expect(zone.pagesets.count == 2)
            #expect(zone.pagesets.allSatisfy { $0.batch == batch && $0.highMin == highMin && $0.high == 0 })
        }
    }

    @Test func bootFreesEveryManagedPage() {
        for zone in state.zones where zone.isPopulated {
            #expect(zone.nrFreePages == zone.managedPages, "\(zone.id)")
        }
        #expect(state.allocated.isEmpty)
        #expect(!state.mobilityGroupingDisabled)
    }
}
