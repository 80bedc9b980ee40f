import BuddyVocabulary

/// A profile as the JSON that `Profile.load(json:)` reads back to an equal profile: the keys
/// are the field names of `Profile`, a zone's type is its kernel name under `name`, and
/// optional fields that are nil are left out (so their defaults apply). Keys keep the order
/// of the fields; short arrays stay on one line. The files in `profiles/` are this text.
public enum ProfileJSON {
    public static func render(_ profile: Profile) -> String {
        var members: [(String, String)] = [
            ("name", quoted(profile.name)),
            ("pageSize", "\(profile.pageSize)"),
            ("maxPageOrder", "\(profile.maxPageOrder)"),
            ("pageblockOrder", "\(profile.pageblockOrder)"),
            ("pmdOrder", "\(profile.pmdOrder)"),
            ("cpus", "\(profile.cpus)"),
            ("cmaConfigured", profile.cmaConfigured ? "true" : "false"),
            ("dataCacheSliceBytes", "\(profile.dataCacheSliceBytes)"),
        ]
        members.append(("sysctl", object(sysctl(profile.sysctl), indent: 1)))
        members.append(("nodes", array(profile.nodes.map { object(node($0), indent: 2) }, indent: 1)))
        return object(members, indent: 0) + "\n"
    }

    static func sysctl(_ sysctl: Profile.Sysctl) -> [(String, String)] {
        var members: [(String, String)] = []
        if let minFree = sysctl.minFreeKbytes { members.append(("minFreeKbytes", "\(minFree)")) }
        members.append(("watermarkScaleFactor", "\(sysctl.watermarkScaleFactor)"))
        members.append(("lowmemReserveRatio", inline(sysctl.lowmemReserveRatio.map(String.init))))
        members.append(("watermarkBoostFactor", "\(sysctl.watermarkBoostFactor)"))
        members.append(("percpuPagelistHighFraction", "\(sysctl.percpuPagelistHighFraction)"))
        return members
    }

    static func node(_ node: Profile.Node) -> [(String, String)] {
        var members: [(String, String)] = []
        if let cpus = node.cpus { members.append(("cpus", "\(cpus)")) }
        if let distances = node.distances { members.append(("distances", inline(distances.map(String.init)))) }
        members.append(("zones", array(node.zones.map { object(zone($0), indent: 4) }, indent: 3)))
        return members
    }

    static func zone(_ zone: Profile.Zone) -> [(String, String)] {
        var members: [(String, String)] = [
            ("name", quoted(zone.type.name)),
            ("startPfn", "\(zone.startPfn)"),
            ("spannedPages", "\(zone.spannedPages)"),
            ("presentPages", "\(zone.presentPages)"),
            ("managedPages", "\(zone.managedPages)"),
        ]
        if let holes = zone.holes { members.append(("holes", inline(holes.map(range)))) }
        if let reserved = zone.reserved { members.append(("reserved", inline(reserved.map(range)))) }
        return members
    }

    static func range(_ range: Profile.PFNRange) -> String {
        "{ \"start\": \(range.start), \"count\": \(range.count) }"
    }

    // MARK: - JSON text

    static func indentation(_ level: Int) -> String { String(repeating: "  ", count: level) }

    /// An object whose members sit one level deeper than `indent`.
    static func object(_ members: [(String, String)], indent: Int) -> String {
        let inner = indentation(indent + 1)
        let lines = members.map { "\(inner)\(quoted($0.0)): \($0.1)" }
        return "{\n" + lines.joined(separator: ",\n") + "\n" + indentation(indent) + "}"
    }

    /// An array of already rendered elements, one per line.
    static func array(_ elements: [String], indent: Int) -> String {
        guard !elements.isEmpty else { return "[]" }
        let inner = indentation(indent + 1)
        return "[\n" + elements.map { inner + $0 }.joined(separator: ",\n") + "\n" + indentation(indent) + "]"
    }

    static func inline(_ elements: [String]) -> String { "[" + elements.joined(separator: ", ") + "]" }

    /// A JSON string literal.
    static func quoted(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\t": result += "\\t"
            case "\r": result += "\\r"
            default:
                if scalar.value < 0x20 {
                    result += "\\u" + KernelText.zeroPadded(String(scalar.value, radix: 16), width: 4)
                } else {
                    result.unicodeScalars.append(scalar)
                }
            }
        }
        return result + "\""
    }
}
