import BuddyFormats
import BuddyVocabulary
import Testing

/// Renders of the hand-built fixture snapshot against the text a Linux 6.18 machine printed.
@Suite struct ProcFixtureTests {
    @Test func buddyinfoMatchesTheFixtureByteForByte() throws {
        let expected = try FixtureMachine.text("buddyinfo.txt")
        let rendered = Buddyinfo.render(FixtureMachine.snapshot(), profile: FixtureMachine.profile)
        expectSameLines(rendered, expected)
        #expect(rendered == expected)
    }

    @Test func pagetypeinfoMatchesTheFixtureByteForByte() throws {
        let expected = try FixtureMachine.text("pagetypeinfo.txt")
        let rendered = Pagetypeinfo.render(FixtureMachine.snapshot(), profile: FixtureMachine.profile)
        expectSameLines(rendered, expected)
        #expect(rendered == expected)
    }

    /// Lines the model knows are compared whole; the others (statistics the model prints as 0)
    /// must have the same label, so the layout is the kernel's line for line.
    @Test func zoneinfoMatchesTheFixtureOnEveryModelLine() throws {
        let expected = try FixtureMachine.text("zoneinfo.txt").split(separator: "\n", omittingEmptySubsequences: false)
        let rendered = Zoneinfo.render(FixtureMachine.snapshot(), profile: FixtureMachine.profile)
            .split(separator: "\n", omittingEmptySubsequences: false)
        #expect(rendered.count == expected.count)
        var compared = 0
        for (index, (mine, theirs)) in zip(rendered, expected).enumerated() {
            if ZoneinfoLine.isModelled(theirs) {
                #expect(mine == theirs, "line \(index + 1)")
                compared += 1
            } else {
                #expect(ZoneinfoLine.label(mine) == ZoneinfoLine.label(theirs), "line \(index + 1): \(mine) vs \(theirs)")
            }
        }
        // 5 zones × 12 lines from the header to protection, the "per-node stats" line, then per
        // populated zone 3 free-page stats, "pagesets", 2 CPUs × 7 lines, node_unreclaimable and
        // start_pfn; and the empty text after the last newline.
        #expect(compared == 5 * 12 + 1 + 3 * (3 + 1 + 2 * 7 + 2) + 1)
    }

    @Test func vmStatThresholdFollowsCalculateNormalThreshold() {
        #expect(Zoneinfo.normalStatThreshold(managedPages: 3840, cpus: 2, pageShift: 12) == 4)
        #expect(Zoneinfo.normalStatThreshold(managedPages: 772_808, cpus: 2, pageShift: 12) == 24)
        #expect(Zoneinfo.normalStatThreshold(managedPages: 294_912, cpus: 2, pageShift: 12) == 20)
        // The kernel's own table: 16 CPUs, 900 MiB → 40; 1024 CPUs, 16-32 GiB → capped at 125.
        #expect(Zoneinfo.normalStatThreshold(managedPages: 900 * 256, cpus: 16, pageShift: 12) == 40)
        #expect(Zoneinfo.normalStatThreshold(managedPages: 24 << 18, cpus: 1024, pageShift: 12) == 125)
        // With 64 KiB pages, 128 MiB is 2048 pages.
        #expect(Zoneinfo.normalStatThreshold(managedPages: 2048 * 5, cpus: 8, pageShift: 16) == 2 * 4 * (1 + 3))
    }

    @Test func freeAreasOfTheFixture() {
        let rendered = FreeAreas.render(FixtureMachine.snapshot(), profile: FixtureMachine.profile).split(separator: "\n")
        #expect(rendered.count == 9)
        #expect(rendered[0] == "Node 0 DMA free:15360kB boost:0kB min:240kB low:300kB high:360kB reserved_highatomic:0KB free_highatomic:0KB active_anon:0kB inactive_anon:0kB active_file:0kB inactive_file:0kB unevictable:0kB writepending:0kB zspages:0kB present:15992kB managed:15360kB mlocked:0kB bounce:0kB free_pcp:0kB local_pcp:0kB free_cma:0kB")
        #expect(rendered[1] == "lowmem_reserve[]: 0 3018 4170 4170 4170")
        #expect(rendered[4].hasPrefix("Node 0 Normal free:980236kB boost:0kB min:18600kB low:23248kB high:27896kB "))
        #expect(rendered[4].hasSuffix(" free_pcp:14564kB local_pcp:3944kB free_cma:0kB"))
        #expect(rendered[6] == "Node 0 DMA: 0*4kB 0*8kB 0*16kB 0*32kB 0*64kB 0*128kB 0*256kB 0*512kB 1*1024kB (U) 1*2048kB (M) 3*4096kB (M) = 15360kB")
        #expect(rendered[7] == "Node 0 DMA32: 2*4kB (M) 3*8kB (M) 0*16kB 2*32kB (M) 3*64kB (M) 2*128kB (M) 1*256kB (M) 4*512kB (M) 4*1024kB (M) 2*2048kB (M) 752*4096kB (M) = 3091232kB")
        #expect(rendered[8] == "Node 0 Normal: 1931*4kB (UME) 956*8kB (UME) 548*16kB (UME) 304*32kB (UME) 217*64kB (UME) 125*128kB (UME) 84*256kB (UME) 66*512kB (UME) 31*1024kB (UME) 15*2048kB (ME) 195*4096kB (M) = 980236kB")
    }

    @Test func localPcpIsTheReportingCPUs() {
        let rendered = FreeAreas.render(FixtureMachine.snapshot(), profile: FixtureMachine.profile, cpu: CPUID(1))
        #expect(rendered.contains(" free_pcp:14564kB local_pcp:10620kB "))
    }

    @Test func freeAreasHonourTheZoneFilter() {
        let rendered = FreeAreas.render(FixtureMachine.snapshot(), profile: FixtureMachine.profile, highestZoneIndex: ZoneType.dma32.rawValue)
        #expect(!rendered.contains("Normal"))
        #expect(rendered.split(separator: "\n").count == 6)
    }

    /// Reports the first differing line, so a failure names the spot.
    func expectSameLines(_ rendered: String, _ expected: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let mine = rendered.split(separator: "\n", omittingEmptySubsequences: false)
        let theirs = expected.split(separator: "\n", omittingEmptySubsequences: false)
        for (index, (left, right)) in zip(mine, theirs).enumerated() where left != right {
            Issue.record("line \(index + 1) differs:\n rendered: \"\(left)\"\n expected: \"\(right)\"", sourceLocation: sourceLocation)
            return
        }
        #expect(mine.count == theirs.count, sourceLocation: sourceLocation)
    }
}

/// Which /proc/zoneinfo lines carry numbers the model has.
enum ZoneinfoLine {
    static let modelledLabels: Set<String> = [
        "Node", "pages free", "boost", "min", "low", "high", "promo", "spanned", "present", "managed", "cma",
        "protection:", "pagesets", "cpu:", "count:", "high:", "batch:", "high_min:", "high_max:",
        "vm stats threshold:", "node_unreclaimable:", "start_pfn:", "nr_free_pages", "nr_free_pages_blocks",
        "nr_free_cma", "per-node stats",
    ]

    /// The line without its trailing value: the words before the last number-like field.
    static func label(_ line: Substring) -> String {
        let trimmed = line.trimmingLeadingSpaces()
        if trimmed.hasPrefix("Node ") { return "Node" }
        if trimmed.hasPrefix("protection:") { return "protection:" }
        let words = trimmed.split(separator: " ")
        guard let last = words.last, words.count > 1, last.allSatisfy(\.isNumber) else { return trimmed }
        return words.dropLast().joined(separator: " ")
    }

    static func isModelled(_ line: Substring) -> Bool { modelledLabels.contains(label(line)) || line.isEmpty }
}

extension Substring {
    func trimmingLeadingSpaces() -> String { String(drop { $0 == " " }) }
}
