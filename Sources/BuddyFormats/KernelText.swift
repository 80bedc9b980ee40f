import BuddyVocabulary

/// The few `printf` conversions the kernel's /proc printers use, with C's padding rules:
/// a width pads with spaces and never truncates.
enum KernelText {
    /// `%Ns` (right-justified) or `%-Ns` (left-justified).
    static func padded(_ text: String, width: Int, leftJustified: Bool = false) -> String {
        let fill = String(repeating: " ", count: max(0, width - text.count))
        return leftJustified ? text + fill : fill + text
    }

    /// `%Nd`/`%Nlu`: a decimal number right-justified in `width` columns.
    static func number(_ value: Int, width: Int) -> String {
        padded(String(value), width: width)
    }

    /// `%0Nd`/`%0Nx` of an already formatted number: zeros on the left up to `width`.
    static func zeroPadded(_ digits: String, width: Int) -> String {
        String(repeating: "0", count: max(0, width - digits.count)) + digits
    }

    /// `0x%lx`.
    static func hex(_ value: Int) -> String { "0x" + String(value, radix: 16) }

    /// `fls()`: the 1-based index of the most significant set bit, 0 for 0.
    static func fls(_ value: Int) -> Int {
        value <= 0 ? 0 : Int.bitWidth - value.leadingZeroBitCount
    }
}

/// One entry of a node's `node_zones[]`. Every node has `MAX_NR_ZONES` zone structures whether
/// or not the profile lists them; /proc/zoneinfo prints them all, so a zone the snapshot does not
/// carry is shown as the kernel shows an empty zone.
struct NodeZone {
    /// `zone_names[]` on x86_64 with `CONFIG_ZONE_DMA`, `CONFIG_ZONE_DMA32` and `CONFIG_ZONE_DEVICE`.
    static let names = ["DMA", "DMA32", "Normal", "Movable", "Device"]

    let node: NodeID
    /// `zone_idx(zone)`.
    let index: Int
    /// The zone's state; nil for a zone the snapshot does not carry (it has no pages).
    let zone: ZoneSnapshot?

    var name: String { NodeZone.names[index] }

    /// `populated_zone()`: the zone has present pages (not: managed pages).
    var isPopulated: Bool { (zone?.presentPages ?? 0) > 0 }

    /// `wmark_pages(zone, mark)`, boost included.
    ///
    /// For a zone the snapshot does not carry, the value `__setup_per_zone_wmarks` gives a zone
    /// without managed pages: `clamp(0 / 1024, SWAP_CLUSTER_MAX, 128)` = 32 for every mark of
    /// ZONE_MOVABLE (highmem does not exist on x86_64), 0 for any other zone.
    func watermark(_ mark: Watermark) -> Int {
        if let zone { return zone.watermark(mark) }
        return index == ZoneType.movable.rawValue ? 32 : 0
    }

    /// `zone->lowmem_reserve[]`; all zero for a zone without managed pages
    /// (`setup_per_zone_lowmem_reserve` clears the row of a zone with no managed pages).
    var lowmemReserve: [Int] {
        zone?.lowmemReserve ?? Array(repeating: 0, count: ZoneType.maxNumberOfZones)
    }

    /// Every node's zones, `MAX_NR_ZONES` each, in (node, zone index) order.
    static func all(in snapshot: StateSnapshot, profile: Profile) -> [[NodeZone]] {
        let nodeCount = max(profile.nodes.count, (snapshot.zones.map(\.id.node.rawValue).max() ?? -1) + 1)
        return (0..<nodeCount).map { nodeIndex in
            let node = NodeID(nodeIndex)
            return (0..<ZoneType.maxNumberOfZones).map { index in
                let zone = snapshot.zones.first { $0.id.node == node && $0.id.type.rawValue == index }
                return NodeZone(node: node, index: index, zone: zone)
            }
        }
    }
}
