import BuddyVocabulary

/// One field on which two snapshots differ.
public struct SnapshotDifference: Hashable, Sendable, CustomStringConvertible {
    /// Where, readable: `Node 0 Normal: freeAreas[order 3].lists[Movable][0]`.
    public var location: String
    /// The field without zone or index, for bucketing: `freeAreas.lists`.
    public var field: String
    public var left: String
    public var right: String
    public var description: String { "\(location): \(left) ≠ \(right)" }
}

/// A structural diff of two snapshots that names zone, field and index.
///
/// It walks the snapshot with `Mirror`, so a field added to the vocabulary is compared without
/// a change here. Lists of PFNs are compared as a whole and reported at their first differing
/// position with a window of both sides.
public enum SnapshotDiff {
    public static func differences(_ left: StateSnapshot, _ right: StateSnapshot, profile: Profile, limit: Int = 24) -> [SnapshotDifference] {
        var walker = Walker(limit: limit, pageblockOrder: Order(profile.pageblockOrder))
        let leftIDs = left.zones.map(\.id)
        let rightIDs = right.zones.map(\.id)
        if leftIDs != rightIDs {
            walker.add(location: "zones", field: "zones", left: leftIDs.map(\.description).joined(separator: ", "),
                       right: rightIDs.map(\.description).joined(separator: ", "))
        }
        for zone in left.zones {
            guard let other = right.zones.first(where: { $0.id == zone.id }) else { continue }
            walker.zone = zone
            walker.walk(zone, other, location: "\(zone.id):", field: [])
        }
        walker.zone = nil
        walker.walk(left.allocated, right.allocated, location: "allocated", field: ["allocated"])
        walker.walk(left.sysctl, right.sysctl, location: "sysctl", field: ["sysctl"])
        walker.walk(left.mobilityGroupingDisabled, right.mobilityGroupingDisabled, location: "mobilityGroupingDisabled", field: ["mobilityGroupingDisabled"])
        return walker.differences
    }

    /// Renders differences, one per line, with the side names given.
    public static func render(_ differences: [SnapshotDifference], leftName: String, rightName: String) -> String {
        if differences.isEmpty { return "  (snapshots are equal)" }
        return differences.map { "  \($0.location)\n    \(leftName): \($0.left)\n    \(rightName): \($0.right)" }.joined(separator: "\n")
    }
}

struct Walker {
    let limit: Int
    let pageblockOrder: Order
    var zone: ZoneSnapshot?
    var differences: [SnapshotDifference] = []

    init(limit: Int, pageblockOrder: Order) {
        self.limit = limit
        self.pageblockOrder = pageblockOrder
    }

    mutating func add(location: String, field: String, left: String, right: String) {
        guard differences.count < limit else { return }
        differences.append(SnapshotDifference(location: location, field: field, left: left, right: right))
    }

    mutating func walk(_ left: Any, _ right: Any, location: String, field: [String]) {
        guard differences.count < limit else { return }
        if isLeaf(left) {
            let (leftText, rightText) = (leafText(left), leafText(right))
            if leftText != rightText { add(location: location, field: field.joined(separator: "."), left: leftText, right: rightText) }
            return
        }
        let leftMirror = Mirror(reflecting: left)
        let rightMirror = Mirror(reflecting: right)
        if leftMirror.displayStyle == .collection {
            walkCollection(Array(leftMirror.children.map(\.value)), Array(rightMirror.children.map(\.value)), location: location, field: field)
            return
        }
        for (leftChild, rightChild) in zip(leftMirror.children, rightMirror.children) {
            let label = leftChild.label ?? "?"
            let separator = location.hasSuffix(":") ? " " : "."
            walk(leftChild.value, rightChild.value, location: location + separator + label, field: field + [label])
        }
    }

    mutating func walkCollection(_ left: [Any], _ right: [Any], location: String, field: [String]) {
        let elementsAreLeaves = (left.first ?? right.first).map(isLeaf) ?? true
        if elementsAreLeaves {
            compareLeafList(left, right, location: location, field: field)
            return
        }
        if left.count != right.count {
            add(location: location, field: field.joined(separator: "."), left: "\(left.count) entries", right: "\(right.count) entries")
        }
        for index in 0..<min(left.count, right.count) {
            walk(left[index], right[index], location: location + "[\(indexName(index, field: field))]", field: field)
        }
    }

    /// A list of leaves (PFNs, blocks, counters): the first differing position and a window.
    mutating func compareLeafList(_ left: [Any], _ right: [Any], location: String, field: [String]) {
        let leftTexts = left.map(leafText)
        let rightTexts = right.map(leafText)
        guard leftTexts != rightTexts else { return }
        let common = min(leftTexts.count, rightTexts.count)
        let first = (0..<common).first { leftTexts[$0] != rightTexts[$0] } ?? common
        func window(_ texts: [String]) -> String {
            let start = max(0, first - 2)
            let shown = texts[min(start, texts.count)..<min(first + 6, texts.count)]
            let prefix = start > 0 ? "… " : ""
            let suffix = first + 6 < texts.count ? " …" : ""
            return "[\(prefix)\(shown.joined(separator: ", "))\(suffix)] (\(texts.count) entries)"
        }
        add(location: location + " from [\(indexName(first, field: field))]", field: field.joined(separator: "."), left: window(leftTexts), right: window(rightTexts))
    }

    /// Names an index by what it means: an order, a migratetype, a CPU, a pageblock's PFN.
    func indexName(_ index: Int, field: [String]) -> String {
        switch field.last {
        case "freeAreas": return "order \(index)"
        case "lists" where field.contains("freeAreas"): return Migratetype(rawValue: index)?.kernelName ?? "\(index)"
        case "pagesets": return "cpu \(index)"
        case "pageblocks":
            guard let zone else { return "\(index)" }
            return "pfn \(zone.startPfn.alignedDown(pageblockOrder).advanced(by: index << pageblockOrder.rawValue))"
        default: return "\(index)"
        }
    }

    func isLeaf(_ value: Any) -> Bool {
        if value is PageblockState || value is FreeBlock || value is AllocatedBlock || value is String { return true }
        let mirror = Mirror(reflecting: value)
        if mirror.displayStyle == .collection { return false }
        if mirror.children.isEmpty { return true }
        return mirror.children.count == 1 && mirror.children.first?.label == "rawValue"
    }

    func leafText(_ value: Any) -> String {
        if let block = value as? AllocatedBlock { return StateDump.describe(block) }
        if let flags = value as? ZoneFlags { return "0x" + String(flags.rawValue, radix: 16) }
        return String(describing: value)
    }
}
