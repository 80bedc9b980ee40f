import BuddyVocabulary

/// GFP masks as text, the way ftrace prints `gfp_flags` (`show_gfp_flags`,
/// include/trace/events/mmflags.h), and back.
///
/// Rendering walks `__def_gfpflag_names` in order: a name whose whole mask is still set is
/// printed and its bits are cleared, so composite names come first ("most bits set go
/// first"), then the leftover single `__GFP_*` bits; names are joined by `|`, a mask of 0 is
/// `none`. Parsing accepts any `|`-separated mix of those names (plus `0x` numbers, which the
/// kernel prints for bits it has no name for), so `GFP_KERNEL|__GFP_COMP` and the render of a
/// mask both parse.
public enum GFPNames {
    /// `__def_gfpflag_names` (6.18, x86_64 without KASAN_HW_TAGS or LOCKDEP), in table order.
    public static let table: [(name: String, flags: GFPFlags)] = [
        ("GFP_TRANSHUGE", .transhuge),
        ("GFP_TRANSHUGE_LIGHT", .transhugeLight),
        ("GFP_HIGHUSER_MOVABLE", .highUserMovable),
        ("GFP_HIGHUSER", .highUser),
        ("GFP_USER", .user),
        ("GFP_KERNEL_ACCOUNT", .kernelAccount),
        ("GFP_KERNEL", .kernel),
        ("GFP_NOFS", .noFS),
        ("GFP_ATOMIC", .atomic),
        ("GFP_NOIO", .noIO),
        ("GFP_NOWAIT", .noWait),
        ("GFP_DMA", .gfpDMA),
        ("GFP_DMA32", .gfpDMA32),
        ("__GFP_RECLAIM", .reclaim),
    ] + bitNames

    /// The single bits (`TRACE_GFP_FLAGS_GENERAL`), lowest first.
    public static let bitNames: [(name: String, flags: GFPFlags)] = [
        ("__GFP_DMA", .dma),
        ("__GFP_HIGHMEM", .highmem),
        ("__GFP_DMA32", .dma32),
        ("__GFP_MOVABLE", .movable),
        ("__GFP_RECLAIMABLE", .reclaimable),
        ("__GFP_HIGH", .high),
        ("__GFP_IO", .io),
        ("__GFP_FS", .fs),
        ("__GFP_ZERO", .zero),
        ("__GFP_DIRECT_RECLAIM", .directReclaim),
        ("__GFP_KSWAPD_RECLAIM", .kswapdReclaim),
        ("__GFP_WRITE", .write),
        ("__GFP_NOWARN", .noWarn),
        ("__GFP_RETRY_MAYFAIL", .retryMayFail),
        ("__GFP_NOFAIL", .noFail),
        ("__GFP_NORETRY", .noRetry),
        ("__GFP_MEMALLOC", .memalloc),
        ("__GFP_COMP", .comp),
        ("__GFP_NOMEMALLOC", .noMemalloc),
        ("__GFP_HARDWALL", .hardwall),
        ("__GFP_THISNODE", .thisNode),
        ("__GFP_ACCOUNT", .account),
        ("__GFP_ZEROTAGS", .zeroTags),
    ]

    /// Every bit that has a name.
    public static let knownBits = GFPFlags(bitNames.map(\.flags))

    /// `show_gfp_flags` (through `trace_print_flags_seq`): names in table order, leftover
    /// unnamed bits as one `0x%lx`, `none` for 0.
    public static func render(_ flags: GFPFlags) -> String {
        guard !flags.isEmpty else { return "none" }
        var remaining = flags
        var names: [String] = []
        for entry in table where !remaining.isEmpty && remaining.isSuperset(of: entry.flags) {
            names.append(entry.name)
            remaining.subtract(entry.flags)
        }
        if !remaining.isEmpty { names.append(KernelText.hex(Int(remaining.rawValue))) }
        return names.joined(separator: "|")
    }

    /// Parses `|`-separated names (spaces around a name are ignored), `none`, or `0x` numbers
    /// made of named bits. The result is the union of the parts.
    public static func parse(_ text: String) throws(GFPNameError) -> GFPFlags {
        let trimmed = text.trimmingSpaces()
        guard !trimmed.isEmpty else { throw GFPNameError(text: text, part: "", reason: "is empty; write none for no flags") }
        if trimmed == "none" { return [] }
        var flags: GFPFlags = []
        for rawPart in trimmed.split(separator: "|", omittingEmptySubsequences: false) {
            let part = String(rawPart).trimmingSpaces()
            flags.formUnion(try parsePart(part, in: text))
        }
        return flags
    }

    static func parsePart(_ part: String, in text: String) throws(GFPNameError) -> GFPFlags {
        guard !part.isEmpty else { throw GFPNameError(text: text, part: part, reason: "empty name between '|' separators") }
        if let entry = table.first(where: { $0.name == part }) { return entry.flags }
        if part.hasPrefix("0x") {
            guard let value = UInt32(part.dropFirst(2), radix: 16) else {
                throw GFPNameError(text: text, part: part, reason: "not a 32-bit hexadecimal mask")
            }
            let unknown = GFPFlags(rawValue: value).subtracting(knownBits)
            guard unknown.isEmpty else {
                throw GFPNameError(text: text, part: part, reason: "has bits the model does not know: \(KernelText.hex(Int(unknown.rawValue)))")
            }
            return GFPFlags(rawValue: value)
        }
        if part == "none" { throw GFPNameError(text: text, part: part, reason: "none cannot be combined with other flags") }
        throw GFPNameError(text: text, part: part, reason: "unknown GFP flag (known: \(table.map(\.name).joined(separator: ", ")))")
    }
}

/// A GFP mask text that does not parse, naming the offending part.
public struct GFPNameError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The whole text given.
    public var text: String
    /// The `|`-separated part that failed.
    public var part: String
    public var reason: String
    public init(text: String, part: String, reason: String) {
        self.text = text
        self.part = part
        self.reason = reason
    }
    public var description: String {
        part.isEmpty ? "GFP flags \"\(text)\": \(reason)" : "GFP flags \"\(text)\": \"\(part)\" \(reason)"
    }
}

extension String {
    /// Without leading and trailing spaces and tabs (Foundation-free).
    func trimmingSpaces() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(self[first...last])
    }
}
