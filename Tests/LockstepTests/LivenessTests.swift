import BuddyVocabulary
@testable import Lockstep
import ReferenceAllocator
import Testing

/// The liveness comparison of a final state with the boot state, property by property.
@Suite struct LivenessTests {
    static let profile = BuiltInProfiles.tiny
    static let boot = ReferencePageAllocator(profile: profile).snapshot()

    func rules(_ final: StateSnapshot, highatomicReserveSeen: Bool = false) -> [String] {
        LivenessComparison(boot: Self.boot, final: final, profile: Self.profile, highatomicReserveSeen: highatomicReserveSeen)
            .problems().map(\.rule)
    }

    /// Normal's first free order-6 block, split into two order-5 halves on the same list.
    func splitFirstMaxOrderBlock(_ snapshot: StateSnapshot) -> StateSnapshot {
        var result = snapshot
        var zone = result.zones[1]
        let type = Migratetype.movable.rawValue
        let pfn = zone.freeAreas[6].lists[type].removeFirst()
        zone.freeAreas[6].nrFree -= 1
        zone.freeAreas[5].lists[type] += [pfn, pfn.advanced(by: 32)]
        zone.freeAreas[5].nrFree += 2
        result.zones[1] = zone
        return result
    }

    @Test func bootStateIsLive() {
        #expect(rules(Self.boot).isEmpty)
    }

    @Test func listOrderAndSysctlDerivedValuesMayDiffer() {
        var final = Self.boot
        final.zones[1].freeAreas[6].lists[Migratetype.movable.rawValue].reverse()
        final.zones[1].watermarks = final.zones[1].watermarks.map { $0 + 7 }
        final.zones[1].watermarkBoost = 16
        final.zones[0].pagesets[1].high = 99
        final.zones[0].pageblocks[3].type = .unmovable
        final.sysctl.watermarkScaleFactor = 200
        #expect(rules(final).isEmpty)
    }

    @Test func unmergedBuddiesFailUnlessABarrierExplainsThem() {
        let split = splitFirstMaxOrderBlock(Self.boot)
        #expect(rules(split) == ["merged"])
        #expect(rules(split, highatomicReserveSeen: true).isEmpty)
        var isolated = split
        isolated.zones[1].pageblocks[40].isolated = true
        #expect(rules(isolated).isEmpty)
    }

    @Test func everyPropertyIsChecked() {
        var allocated = Self.boot
        allocated.allocated = [AllocatedBlock(pfn: PFN(0x900), order: .zero, compound: false, refcount: 1)]
        #expect(rules(allocated) == ["allocated"])

        var pcp = Self.boot
        pcp.zones[1].pagesets[0].count = 1
        #expect(rules(pcp) == ["pcp-count"])

        var missing = Self.boot
        missing.zones[1].freeAreas[6].lists[Migratetype.movable.rawValue].removeLast()
        #expect(rules(missing).contains("free-pages"))

        var counted = Self.boot
        counted.zones[0].nrFreePages -= 1
        #expect(rules(counted) == ["NR_FREE_PAGES"])

        var geometry = Self.boot
        geometry.zones[0].lowmemReserve[2] += 1
        geometry.mobilityGroupingDisabled.toggle()
        #expect(rules(geometry) == ["zone-geometry", "zone-geometry"])
    }
}
