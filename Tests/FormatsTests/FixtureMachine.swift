import BuddyVocabulary
import Foundation

/// The Linux 6.18 virtual machine of `Fixtures/linux-6.18-vm/`, rebuilt by hand as a snapshot
/// from the numbers its /proc files show, so that renders are checked without any allocator.
///
/// ```
///  pfn 0        4096                       1048576                              6553600
///      | DMA    | DMA32 (hole 3-4 GiB at end) | Normal (managed: last 576 pageblocks) |
/// ```
enum FixtureMachine {
    static let profile = BuiltInProfiles.linux618VM

    static func text(_ name: String) throws -> String {
        guard let folder = Bundle.module.url(forResource: "Fixtures", withExtension: nil) else {
            throw CocoaError(.fileNoSuchFile)
        }
        return try String(contentsOf: folder.appendingPathComponent("linux-6.18-vm").appendingPathComponent(name), encoding: .utf8)
    }

    /// Free list lengths by order, per migratetype, as /proc/pagetypeinfo shows them.
    typealias FreeCounts = [Migratetype: [Int]]

    static let dmaFree: FreeCounts = [
        .unmovable: [0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0],
        .movable: [0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 3],
    ]
    static let dma32Free: FreeCounts = [
        .movable: [2, 3, 0, 2, 3, 2, 1, 4, 4, 2, 752],
    ]
    static let normalFree: FreeCounts = [
        .unmovable: [260, 196, 218, 157, 128, 54, 36, 18, 9, 0, 0],
        .movable: [1588, 695, 300, 131, 82, 66, 43, 45, 20, 14, 195],
        .reclaimable: [83, 65, 30, 16, 7, 5, 5, 3, 2, 1, 0],
    ]

    static func snapshot() -> StateSnapshot {
        let zones = [
            ZoneSnapshot(
                id: ZoneID(node: NodeID(0), type: .dma), startPfn: PFN(1), spannedPages: 4095, presentPages: 3998,
                managedPages: 3840, watermarks: [60, 75, 90, 105], watermarkBoost: 0,
                lowmemReserve: [0, 3018, 4170, 4170, 4170], flags: [], nrFreePages: 3840, nrFreePagesBlocks: 3584,
                nrFreeCMAPages: 0, nrReservedHighatomic: 0, nrFreeHighatomic: 0,
                freeAreas: freeAreas(dmaFree, base: 0), buddyPages: [],
                pageblocks: [PageblockState(type: .unmovable)] + blocks(.movable, 7),
                pagesets: pagesets([(0, 0, 1, 37, 240), (0, 0, 1, 37, 240)]),
                pagesetHighMin: 37, pagesetHighMax: 240, pagesetBatch: 1),
            ZoneSnapshot(
                id: ZoneID(node: NodeID(0), type: .dma32), startPfn: PFN(4096), spannedPages: 1_044_480, presentPages: 782_336,
                managedPages: 772_808, watermarks: [12185, 15231, 18277, 21323], watermarkBoost: 0,
                lowmemReserve: [0, 0, 1152, 1152, 1152], flags: [], nrFreePages: 772_808, nrFreePagesBlocks: 771_072,
                nrFreeCMAPages: 0, nrReservedHighatomic: 0, nrFreeHighatomic: 0,
                freeAreas: freeAreas(dma32Free, base: 4096), buddyPages: [],
                pageblocks: blocks(.movable, 2040),
                pagesets: pagesets([(0, 7615, 63, 7615, 48300), (0, 7615, 63, 7615, 48300)]),
                pagesetHighMin: 7615, pagesetHighMax: 48300, pagesetBatch: 63),
            ZoneSnapshot(
                id: ZoneID(node: NodeID(0), type: .normal), startPfn: PFN(1_048_576), spannedPages: 5_505_024,
                presentPages: 5_505_024, managedPages: 294_912, watermarks: [4650, 5812, 6974, 8136], watermarkBoost: 0,
                lowmemReserve: [0, 0, 0, 0, 0], flags: [], nrFreePages: 245_059, nrFreePagesBlocks: 207_360,
                nrFreeCMAPages: 0, nrReservedHighatomic: 0, nrFreeHighatomic: 0,
                freeAreas: freeAreas(normalFree, base: 1_048_576), buddyPages: [],
                pageblocks: normalPageblocks(),
                pagesets: pagesets([(986, 2906, 63, 2906, 18432), (2655, 2906, 63, 2906, 18432)]),
                pagesetHighMin: 2906, pagesetHighMax: 18432, pagesetBatch: 63),
        ]
        return StateSnapshot(
            zones: zones, allocated: [],
            sysctl: SysctlSnapshot(minFreeKbytes: 67584, watermarkScaleFactor: 10, watermarkBoostFactor: 15000, percpuPagelistHighFraction: 0, lowmemReserveRatio: [256, 256, 32, 0, 0]),
            mobilityGroupingDisabled: false)
    }

    /// Normal spans 10,752 pageblocks; the profile's managed pages are its last 576, which
    /// carry the fixture's 54 Unmovable, 506 Movable and 16 Reclaimable blocks. The other
    /// blocks (present, never managed: the fixture machine's offline memory) are Movable, and
    /// pagetypeinfo must not count them.
    static func normalPageblocks() -> [PageblockState] {
        blocks(.movable, 10_752 - 576) + blocks(.unmovable, 54) + blocks(.reclaimable, 16) + blocks(.movable, 506)
    }

    static func blocks(_ type: Migratetype, _ count: Int) -> [PageblockState] {
        Array(repeating: PageblockState(type: type), count: count)
    }

    /// Free areas with lists of the given lengths. The PFNs are placeholders: only list
    /// lengths and `nr_free` reach the renders.
    static func freeAreas(_ counts: FreeCounts, base: Int, orders: Int = 11) -> [FreeAreaSnapshot] {
        (0..<orders).map { order in
            let lists = Migratetype.allCases.map { type in
                (0..<(counts[type]?[order] ?? 0)).map { PFN(base + ($0 << order)) }
            }
            return FreeAreaSnapshot(nrFree: lists.reduce(0) { $0 + $1.count }, lists: lists)
        }
    }

    static func pagesets(_ values: [(count: Int, high: Int, batch: Int, highMin: Int, highMax: Int)]) -> [PagesetSnapshot] {
        values.enumerated().map { cpu, value in
            PagesetSnapshot(
                cpu: CPUID(cpu), count: value.count, high: value.high, highMin: value.highMin, highMax: value.highMax,
                batch: value.batch, flags: 0, allocFactor: 0, freeCount: 0,
                lists: Array(repeating: [], count: PagesetSnapshot.listCount))
        }
    }
}
