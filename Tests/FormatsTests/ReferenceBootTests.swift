import BuddyFormats
import BuddyVocabulary
import ReferenceAllocator
import Testing

/// The reference allocator booted on the fixture machine's profile computes the zone setup the
/// real 6.18 kernel printed: watermarks, lowmem reserves and pageset sizing of every zone.
@Suite struct ReferenceBootTests {
    static let comparedLabels: Set<String> = [
        "min", "low", "high", "promo", "spanned", "present", "managed", "protection:",
        "batch:", "high_min:", "high_max:", "start_pfn:",
    ]

    @Test func bootedZoneSetupMatchesTheFixture() throws {
        let allocator = ReferencePageAllocator(profile: FixtureMachine.profile)
        let rendered = ZoneinfoSections(Zoneinfo.render(allocator.snapshot(), profile: allocator.profile), labels: Self.comparedLabels)
        let expected = ZoneinfoSections(try FixtureMachine.text("zoneinfo.txt"), labels: Self.comparedLabels)
        #expect(rendered.zones.map(\.header) == expected.zones.map(\.header))
        for (mine, theirs) in zip(rendered.zones, expected.zones) {
            #expect(mine.lines == theirs.lines, "\(theirs.header)")
        }
        // Every zone: 4 watermarks, spanned, present, managed, protection; each populated zone
        // also: batch, high_min and high_max of both CPUs, and start_pfn.
        #expect(expected.zones.map(\.lines.count) == [15, 15, 15, 8, 8])
    }
}

/// /proc/zoneinfo cut into zones, keeping the lines whose label is asked for, in order.
struct ZoneinfoSections {
    struct Section {
        var header: String
        var lines: [String] = []
    }
    var zones: [Section] = []

    init(_ text: String, labels: Set<String>) {
        for line in text.split(separator: "\n") {
            if line.hasPrefix("Node ") {
                zones.append(Section(header: String(line)))
            } else if labels.contains(ZoneinfoLine.label(line)), !zones.isEmpty {
                zones[zones.count - 1].lines.append(line.trimmingLeadingSpaces())
            }
        }
    }
}
