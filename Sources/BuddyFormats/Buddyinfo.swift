import BuddyVocabulary

/// `/proc/buddyinfo` (`frag_show` → `frag_show_print`, mm/vmstat.c).
///
/// One line per populated zone of every node: `"Node %d, zone %8s "`, then `nr_free` of every
/// order as `"%6lu "`, then a newline. Every field, the last included, ends in a space.
public enum Buddyinfo {
    public static func render(_ snapshot: StateSnapshot, profile: Profile) -> String {
        var text = ""
        for node in NodeZone.all(in: snapshot, profile: profile) {
            for slot in node where slot.isPopulated {
                guard let zone = slot.zone else { continue }
                text += "Node \(slot.node.rawValue), zone \(KernelText.padded(slot.name, width: 8)) "
                for order in 0..<profile.orderCount {
                    text += KernelText.number(nrFree(zone, order), width: 6) + " "
                }
                text += "\n"
            }
        }
        return text
    }

    static func nrFree(_ zone: ZoneSnapshot, _ order: Int) -> Int {
        order < zone.freeAreas.count ? zone.freeAreas[order].nrFree : 0
    }
}
