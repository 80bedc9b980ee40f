import Foundation

/// A profile that cannot be used, naming the field and the rule it breaks.
public struct ProfileError: Error, Hashable, Sendable, CustomStringConvertible {
    /// Where the problem is: a file name, if any, and a JSON path such as `nodes[0].zones[1].managedPages`.
    public var source: String
    public var field: String
    public var rule: String
    public init(source: String = "profile", field: String, rule: String) {
        self.source = source
        self.field = field
        self.rule = rule
    }
    public var description: String { "\(source): \(field): \(rule)" }
}

extension Profile {
    /// Parses and validates a profile from JSON. Every error names the field and the rule.
    public static func load(json data: Data, source: String = "profile") throws(ProfileError) -> Profile {
        let root: Any
        do {
            root = try JSONSerialization.jsonObject(with: data, options: [])
        } catch {
            throw ProfileError(source: source, field: "(document)", rule: "not valid JSON: \(error.localizedDescription)")
        }
        var reader = JSONFieldReader(source: source)
        let profile = try reader.profile(root)
        try profile.validate(source: source)
        return profile
    }

    /// Loads a built-in profile by name, or a JSON file by path.
    public static func named(_ nameOrPath: String) throws(ProfileError) -> Profile {
        if let builtIn = BuiltInProfiles.named(nameOrPath) { return builtIn }
        guard let data = FileManager.default.contents(atPath: nameOrPath) else {
            let names = BuiltInProfiles.all.map(\.name).joined(separator: ", ")
            throw ProfileError(source: nameOrPath, field: "(file)", rule: "no built-in profile of that name (\(names)) and no readable file at that path")
        }
        return try load(json: data, source: nameOrPath)
    }
}

/// Reads the profile's JSON tree by hand so that every error can name its field path.
private struct JSONFieldReader {
    let source: String

    func fail(_ field: String, _ rule: String) -> ProfileError { ProfileError(source: source, field: field, rule: rule) }

    func object(_ value: Any, _ path: String) throws(ProfileError) -> [String: Any] {
        guard let object = value as? [String: Any] else { throw fail(path, "must be a JSON object") }
        return object
    }

    func int(_ object: [String: Any], _ key: String, _ path: String, default fallback: Int? = nil) throws(ProfileError) -> Int {
        let field = path.isEmpty ? key : "\(path).\(key)"
        guard let raw = object[key] else {
            if let fallback { return fallback }
            throw fail(field, "is required")
        }
        guard !Self.isJSONBoolean(raw), let number = raw as? NSNumber, let value = Int(exactly: number.doubleValue),
              abs(value) < 1 << 53
        else { throw fail(field, "must be an integer") }
        return value
    }

    /// True for JSON `true`/`false` only. `raw is Bool` is not enough: on Linux the numbers 0
    /// and 1 bridge to `Bool` as well; JSON booleans are the NSNumbers of C type `char`.
    static func isJSONBoolean(_ raw: Any) -> Bool {
        guard let number = raw as? NSNumber else { return raw is Bool }
        return String(cString: number.objCType) == "c"
    }

    func optionalInt(_ object: [String: Any], _ key: String, _ path: String) throws(ProfileError) -> Int? {
        guard object[key] != nil, !(object[key] is NSNull) else { return nil }
        return try int(object, key, path)
    }

    func bool(_ object: [String: Any], _ key: String, _ path: String, default fallback: Bool) throws(ProfileError) -> Bool {
        guard let raw = object[key] else { return fallback }
        guard Self.isJSONBoolean(raw), let value = raw as? Bool else { throw fail(path.isEmpty ? key : "\(path).\(key)", "must be true or false") }
        return value
    }

    func array(_ object: [String: Any], _ key: String, _ path: String) throws(ProfileError) -> [Any]? {
        guard let raw = object[key], !(raw is NSNull) else { return nil }
        guard let value = raw as? [Any] else { throw fail(path.isEmpty ? key : "\(path).\(key)", "must be an array") }
        return value
    }

    func rejectUnknownKeys(_ object: [String: Any], _ known: [String], _ path: String) throws(ProfileError) {
        for key in object.keys.sorted() where !known.contains(key) {
            throw fail(path.isEmpty ? key : "\(path).\(key)", "unknown field (known: \(known.joined(separator: ", ")))")
        }
    }

    mutating func profile(_ value: Any) throws(ProfileError) -> Profile {
        let root = try object(value, "(document)")
        try rejectUnknownKeys(root, ["name", "pageSize", "maxPageOrder", "pageblockOrder", "pmdOrder", "cpus", "cmaConfigured", "dataCacheSliceBytes", "sysctl", "nodes"], "")
        guard let name = root["name"] as? String else { throw fail("name", "is required and must be a string") }
        let pageblockOrder = try int(root, "pageblockOrder", "", default: 9)
        var sysctl = Profile.Sysctl()
        if let raw = root["sysctl"] {
            let object = try object(raw, "sysctl")
            try rejectUnknownKeys(object, ["minFreeKbytes", "watermarkScaleFactor", "lowmemReserveRatio", "watermarkBoostFactor", "percpuPagelistHighFraction"], "sysctl")
            sysctl.minFreeKbytes = try optionalInt(object, "minFreeKbytes", "sysctl")
            sysctl.watermarkScaleFactor = try int(object, "watermarkScaleFactor", "sysctl", default: sysctl.watermarkScaleFactor)
            sysctl.watermarkBoostFactor = try int(object, "watermarkBoostFactor", "sysctl", default: sysctl.watermarkBoostFactor)
            sysctl.percpuPagelistHighFraction = try int(object, "percpuPagelistHighFraction", "sysctl", default: sysctl.percpuPagelistHighFraction)
            if let ratios = try array(object, "lowmemReserveRatio", "sysctl") {
                var values: [Int] = []
                for (index, entry) in ratios.enumerated() {
                    values.append(try int(["value": entry], "value", "", default: nil, at: "sysctl.lowmemReserveRatio[\(index)]"))
                }
                sysctl.lowmemReserveRatio = values
            }
        }
        guard let rawNodes = try array(root, "nodes", "") else { throw fail("nodes", "is required") }
        var nodes: [Profile.Node] = []
        for (nodeIndex, rawNode) in rawNodes.enumerated() {
            let path = "nodes[\(nodeIndex)]"
            let nodeObject = try object(rawNode, path)
            try rejectUnknownKeys(nodeObject, ["cpus", "distances", "zones"], path)
            var distances: [Int]?
            if let raw = try array(nodeObject, "distances", path) {
                var values: [Int] = []
                for (index, entry) in raw.enumerated() { values.append(try int(["value": entry], "value", "", default: nil, at: "\(path).distances[\(index)]")) }
                distances = values
            }
            guard let rawZones = try array(nodeObject, "zones", path) else { throw fail("\(path).zones", "is required") }
            var zones: [Profile.Zone] = []
            for (zoneIndex, rawZone) in rawZones.enumerated() {
                zones.append(try zone(rawZone, "\(path).zones[\(zoneIndex)]"))
            }
            nodes.append(Profile.Node(cpus: try optionalInt(nodeObject, "cpus", path), distances: distances, zones: zones))
        }
        return Profile(
            name: name,
            pageSize: try int(root, "pageSize", "", default: 4096),
            maxPageOrder: try int(root, "maxPageOrder", "", default: 10),
            pageblockOrder: pageblockOrder,
            pmdOrder: try optionalInt(root, "pmdOrder", ""),
            cpus: try int(root, "cpus", ""),
            cmaConfigured: try bool(root, "cmaConfigured", "", default: false),
            dataCacheSliceBytes: try int(root, "dataCacheSliceBytes", "", default: Profile.defaultDataCacheSliceBytes),
            sysctl: sysctl,
            nodes: nodes)
    }

    func int(_ object: [String: Any], _ key: String, _ unused: String, default fallback: Int?, at field: String) throws(ProfileError) -> Int {
        do {
            return try int(object, key, "", default: fallback)
        } catch {
            throw fail(field, error.rule)
        }
    }

    func ranges(_ object: [String: Any], _ key: String, _ path: String) throws(ProfileError) -> [Profile.PFNRange]? {
        guard let raw = try array(object, key, path) else { return nil }
        var result: [Profile.PFNRange] = []
        for (index, entry) in raw.enumerated() {
            let field = "\(path).\(key)[\(index)]"
            let range = try self.object(entry, field)
            try rejectUnknownKeys(range, ["start", "count"], field)
            result.append(Profile.PFNRange(start: try int(range, "start", field), count: try int(range, "count", field)))
        }
        return result
    }

    func zone(_ value: Any, _ path: String) throws(ProfileError) -> Profile.Zone {
        let object = try object(value, path)
        try rejectUnknownKeys(object, ["name", "startPfn", "spannedPages", "presentPages", "managedPages", "holes", "reserved"], path)
        guard let name = object["name"] as? String else { throw fail("\(path).name", "is required and must be a string") }
        guard let type = ZoneType(name: name) else {
            throw fail("\(path).name", "must be one of \(ZoneType.allCases.map(\.name).joined(separator: ", ")), not \"\(name)\"")
        }
        let spanned = try int(object, "spannedPages", path)
        let present = try int(object, "presentPages", path, default: spanned)
        let managed = try int(object, "managedPages", path, default: present)
        return Profile.Zone(
            type: type, startPfn: try int(object, "startPfn", path), spannedPages: spanned,
            presentPages: present, managedPages: managed,
            holes: try ranges(object, "holes", path), reserved: try ranges(object, "reserved", path))
    }
}

// MARK: - Validation

extension Profile {
    /// Checks every rule a profile must keep; the first broken rule is thrown.
    public func validate(source: String = "profile") throws(ProfileError) {
        func fail(_ field: String, _ rule: String) -> ProfileError { ProfileError(source: source, field: field, rule: rule) }
        guard [4096, 16384, 65536].contains(pageSize) else { throw fail("pageSize", "must be 4096, 16384 or 65536, not \(pageSize)") }
        guard (1...15).contains(maxPageOrder) else { throw fail("maxPageOrder", "must be in 1...15, not \(maxPageOrder)") }
        guard (1...maxPageOrder).contains(pageblockOrder) else { throw fail("pageblockOrder", "must be in 1...maxPageOrder (\(maxPageOrder)), not \(pageblockOrder)") }
        guard pmdOrder > Order.costly.rawValue, pmdOrder <= maxPageOrder else {
            throw fail("pmdOrder", "must be above PAGE_ALLOC_COSTLY_ORDER (3) and at most maxPageOrder (\(maxPageOrder)), not \(pmdOrder)")
        }
        guard (1...1024).contains(cpus) else { throw fail("cpus", "must be in 1...1024, not \(cpus)") }
        guard dataCacheSliceBytes >= 0 else { throw fail("dataCacheSliceBytes", "must not be negative") }
        if let minFree = sysctl.minFreeKbytes, !(0...(1 << 40)).contains(minFree) { throw fail("sysctl.minFreeKbytes", "must be >= 0") }
        guard (1...3000).contains(sysctl.watermarkScaleFactor) else { throw fail("sysctl.watermarkScaleFactor", "must be in 1...3000 (the sysctl's range), not \(sysctl.watermarkScaleFactor)") }
        guard sysctl.watermarkBoostFactor >= 0 else { throw fail("sysctl.watermarkBoostFactor", "must be >= 0") }
        guard sysctl.percpuPagelistHighFraction == 0 || sysctl.percpuPagelistHighFraction >= 8 else {
            throw fail("sysctl.percpuPagelistHighFraction", "must be 0 or >= 8 (MIN_PERCPU_PAGELIST_HIGH_FRACTION), not \(sysctl.percpuPagelistHighFraction)")
        }
        guard sysctl.lowmemReserveRatio.count == ZoneType.maxNumberOfZones else {
            throw fail("sysctl.lowmemReserveRatio", "must have \(ZoneType.maxNumberOfZones) entries (MAX_NR_ZONES), not \(sysctl.lowmemReserveRatio.count)")
        }
        for (index, ratio) in sysctl.lowmemReserveRatio.enumerated() where ratio < 0 {
            throw fail("sysctl.lowmemReserveRatio[\(index)]", "must be >= 0")
        }
        guard !nodes.isEmpty, nodes.count <= 64 else { throw fail("nodes", "must have 1...64 nodes") }
        var explicitCPUs = 0
        for (nodeIndex, node) in nodes.enumerated() {
            let path = "nodes[\(nodeIndex)]"
            if let count = node.cpus {
                guard count >= 0 else { throw fail("\(path).cpus", "must be >= 0") }
                explicitCPUs += count
            }
            if let distances = node.distances {
                guard distances.count == nodes.count else { throw fail("\(path).distances", "must have one entry per node (\(nodes.count))") }
                guard distances[nodeIndex] == 10 else { throw fail("\(path).distances[\(nodeIndex)]", "must be 10 (LOCAL_DISTANCE)") }
                for (index, distance) in distances.enumerated() where index != nodeIndex && !(11...254).contains(distance) {
                    throw fail("\(path).distances[\(index)]", "must be in 11...254 for a remote node")
                }
            }
            guard !node.zones.isEmpty else { throw fail("\(path).zones", "must list at least one zone") }
            var seen: [ZoneType] = []
            for (zoneIndex, zone) in node.zones.enumerated() {
                try zone.validate(path: "\(path).zones[\(zoneIndex)]", profile: self, fail: fail)
                guard !seen.contains(zone.type) else { throw fail("\(path).zones[\(zoneIndex)].name", "zone \(zone.type.name) listed twice") }
                seen.append(zone.type)
            }
            let ordered = node.zones.sorted { $0.type < $1.type }
            for (lower, upper) in zip(ordered, ordered.dropFirst()) where lower.spannedPages > 0 && upper.spannedPages > 0 {
                guard lower.endPfn <= upper.startPfn else {
                    throw fail("\(path).zones", "zone \(upper.type.name) starts at \(upper.startPfn), inside \(lower.type.name) which ends at \(lower.endPfn): zones of a node must ascend without overlap")
                }
            }
        }
        if nodes.allSatisfy({ $0.cpus != nil }), explicitCPUs != cpus {
            throw fail("nodes[].cpus", "the nodes' CPUs add up to \(explicitCPUs), but cpus is \(cpus)")
        }
        let spans = allZones.filter { $0.zone.spannedPages > 0 }.sorted { $0.zone.startPfn < $1.zone.startPfn }
        for (lower, upper) in zip(spans, spans.dropFirst()) where lower.zone.endPfn > upper.zone.startPfn {
            throw fail("nodes", "\(lower.id) and \(upper.id) overlap")
        }
        guard allZones.contains(where: { $0.zone.managedPages > 0 }) else { throw fail("nodes", "no zone has managed pages") }
    }
}

extension Profile.Zone {
    func validate(path: String, profile: Profile, fail: (String, String) -> ProfileError) throws(ProfileError) {
        guard startPfn >= 0 else { throw fail("\(path).startPfn", "must be >= 0") }
        guard spannedPages >= 0, spannedPages <= 1 << 32 else { throw fail("\(path).spannedPages", "must be in 0...2^32") }
        guard (0...spannedPages).contains(presentPages) else { throw fail("\(path).presentPages", "must be in 0...spannedPages (\(spannedPages)), not \(presentPages)") }
        guard (0...presentPages).contains(managedPages) else { throw fail("\(path).managedPages", "must be in 0...presentPages (\(presentPages)), not \(managedPages)") }
        for (key, ranges) in [("holes", holes), ("reserved", reserved)] {
            guard let ranges else { continue }
            for (index, range) in ranges.enumerated() {
                let field = "\(path).\(key)[\(index)]"
                guard range.count > 0 else { throw fail("\(field).count", "must be > 0") }
                guard range.start >= startPfn, range.end <= endPfn else { throw fail(field, "\(range) lies outside the zone span [\(startPfn), \(endPfn))") }
            }
            let sorted = ranges.sorted { $0.start < $1.start }
            for (lower, upper) in zip(sorted, sorted.dropFirst()) where lower.end > upper.start {
                throw fail("\(path).\(key)", "ranges \(lower) and \(upper) overlap")
            }
        }
        let holeCount = effectiveHoles.reduce(0) { $0 + $1.count }
        guard holeCount == spannedPages - presentPages else {
            throw fail("\(path).holes", "cover \(holeCount) pages, but spannedPages - presentPages is \(spannedPages - presentPages)")
        }
        let reservedRanges = effectiveReserved
        let present = presentRuns
        for range in reservedRanges {
            let covered = present.reduce(0) { $0 + max(0, min($1.end, range.end) - max($1.start, range.start)) }
            guard covered == range.count else { throw fail("\(path).reserved", "\(range) overlaps a hole: reserved pages must be present") }
        }
        let reservedCount = reservedRanges.reduce(0) { $0 + $1.count }
        guard reservedCount == presentPages - managedPages else {
            throw fail("\(path).reserved", "cover \(reservedCount) pages, but presentPages - managedPages is \(presentPages - managedPages)")
        }
    }
}
