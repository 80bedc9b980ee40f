import BuddyVocabulary

/// The renders of an allocator state, by the name the command line uses (`buddyfuzz show --format`).
public enum StateFormat: String, CaseIterable, Sendable {
    /// `/proc/buddyinfo`
    case buddyinfo
    /// `/proc/pagetypeinfo`
    case pagetypeinfo
    /// `/proc/zoneinfo`
    case zoneinfo
    /// The zone lines of `show_free_areas` (OOM report, SysRq-m).
    case freeAreas = "free-areas"

    public func render(_ snapshot: StateSnapshot, profile: Profile) -> String {
        switch self {
        case .buddyinfo: Buddyinfo.render(snapshot, profile: profile)
        case .pagetypeinfo: Pagetypeinfo.render(snapshot, profile: profile)
        case .zoneinfo: Zoneinfo.render(snapshot, profile: profile)
        case .freeAreas: FreeAreas.render(snapshot, profile: profile)
        }
    }
}
