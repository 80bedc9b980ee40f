import BuddyVocabulary

/// A property every allocator state must have, checked on a `StateSnapshot` alone (plus the
/// profile and what the harness knows of the run's history), so the same checker audits the
/// reference allocator, the optimized one, or a snapshot built by hand.
public protocol InvariantChecker: Sendable {
    /// The checker's type name, the middle part of a failure title.
    var name: String { get }
    /// Every violation found, in a deterministic order (zones, then lists or PFNs ascending),
    /// at most `CheckContext.violationLimit` of them.
    func check(_ snapshot: StateSnapshot, context: CheckContext) -> [InvariantViolation]
}

/// What a checker may know besides the snapshot.
public struct CheckContext: Sendable {
    public var profile: Profile
    /// True once the run made an allocation that may have reserved a highatomic pageblock
    /// (order > 0, `__GFP_HIGH`, no `__GFP_DIRECT_RECLAIM`, no `__GFP_NOMEMALLOC`: the
    /// `ALLOC_HIGHATOMIC` condition of `gfp_to_alloc_flags`). `unreserve_highatomic_pageblock`
    /// retypes a free block without merging it, so after such an allocation two free buddies of
    /// pageblock order or more may legitimately stay unmerged.
    public var highatomicReserveSeen: Bool
    /// Violations reported per checker at most; a broken state would otherwise report thousands.
    public var violationLimit: Int

    /// The zone views of the snapshot being checked, built once for all checkers.
    var preparedViews: [ZoneView]?

    public init(profile: Profile, highatomicReserveSeen: Bool = false, violationLimit: Int = 8) {
        self.profile = profile
        self.highatomicReserveSeen = highatomicReserveSeen
        self.violationLimit = violationLimit
    }

    /// This context with the zone views of `snapshot` built, for running several checkers on
    /// that same snapshot.
    func prepared(for snapshot: StateSnapshot) -> CheckContext {
        var context = self
        context.preparedViews = ZoneView.views(of: snapshot, profile: profile)
        return context
    }

    /// The zone views of `snapshot`: the prepared ones (built from this very snapshot by
    /// `prepared(for:)`), or built now.
    func views(of snapshot: StateSnapshot) -> [ZoneView] {
        preparedViews ?? ZoneView.views(of: snapshot, profile: profile)
    }
}

/// One broken property, with the values a kernel developer needs: where, what was expected,
/// what was found, and a dump of the state around it.
public struct InvariantViolation: Hashable, Sendable, CustomStringConvertible {
    public var checker: String
    /// A stable kebab-case name of the property (`not-buddy-head`, `NR_FREE_PAGES`).
    public var rule: String
    public var zone: ZoneID?
    public var pfn: PFN?
    public var order: Order?
    public var migratetype: Migratetype?
    public var expected: String
    public var found: String
    /// The relevant state: the zone's counters and everything in the MAX_ORDER block around `pfn`.
    public var dump: String

    public init(
        checker: String, rule: String, zone: ZoneID? = nil, pfn: PFN? = nil, order: Order? = nil,
        migratetype: Migratetype? = nil, expected: String, found: String, dump: String = ""
    ) {
        self.checker = checker
        self.rule = rule
        self.zone = zone
        self.pfn = pfn
        self.order = order
        self.migratetype = migratetype
        self.expected = expected
        self.found = found
        self.dump = dump
    }

    /// The bucket of the failure: `invariant: PageBuddyChecker: not-buddy-head`.
    public var title: String { "invariant: \(checker): \(rule)" }

    /// One line: where and what.
    public var summary: String {
        var parts = ["\(checker): \(rule)"]
        if let zone { parts.append("zone \(zone)") }
        if let pfn { parts.append("pfn \(pfn)") }
        if let order { parts.append("order \(order)") }
        if let migratetype { parts.append("migratetype \(migratetype)") }
        parts.append("expected \(expected), found \(found)")
        return parts.joined(separator: ", ")
    }

    public var description: String { dump.isEmpty ? summary : summary + "\n" + dump }
}

/// The checkers the runner uses, in the order their findings are reported.
public enum StandardCheckers {
    public static let all: [any InvariantChecker] = [
        PageBuddyChecker(), OrderChecker(), PageblockMigratetypeChecker(), ZoneAccountingChecker(), ReferencesChecker(),
    ]

    /// Every violation of every checker, in checker order.
    public static func check(_ snapshot: StateSnapshot, context: CheckContext) -> [InvariantViolation] {
        let prepared = context.prepared(for: snapshot)
        return all.flatMap { $0.check(snapshot, context: prepared) }
    }
}

/// Collects violations up to the limit.
struct ViolationList {
    let checker: String
    let limit: Int
    var violations: [InvariantViolation] = []

    init(checker: String, context: CheckContext) {
        self.checker = checker
        limit = context.violationLimit
    }

    var isFull: Bool { violations.count >= limit }

    mutating func add(
        _ rule: String, zone: ZoneView?, pfn: PFN? = nil, order: Order? = nil, migratetype: Migratetype? = nil,
        expected: String, found: String
    ) {
        guard !isFull else { return }
        let dump = zone.map { StateDump.zone($0, around: pfn) } ?? ""
        violations.append(InvariantViolation(
            checker: checker, rule: rule, zone: zone?.snapshot.id, pfn: pfn, order: order, migratetype: migratetype,
            expected: expected, found: found, dump: dump))
    }
}
