import Foundation
import Testing
@testable import buddyfuzz

@Suite("Campaign plumbing")
struct CampaignTests {
    @Test("Status lines, fork-mode lines and the final stats block are read")
    func parsesLibFuzzerOutput() {
        var parser = LibFuzzerOutputParser()
        parser.consume(Data("#2\tINITED cov: 10 ft: 20 corp: 1/1b exec/s: 0 rss: 30Mb\n#4096\tpulse  cov: 71 ft: 286 corp: 45/91".utf8))
        parser.consume(Data("85b lim: 4096 exec/s: 2048 rss: 447Mb\n".utf8))
        #expect(parser.stats.executions == 4096)
        #expect(parser.stats.coverage == 71)
        #expect(parser.stats.features == 286)
        #expect(parser.stats.executionsPerSecond == 2048)
        parser.consume(Data("#20000: cov: 80 ft: 300 corp: 52 exec/s: 9000 oom/timeout/crash: 0/0/1 time: 3s job: 2 dft_time: 0\n".utf8))
        #expect(parser.stats.executions == 20000)
        #expect(parser.stats.coverage == 80)
        parser.consume(Data("stat::number_of_executed_units: 30110\nstat::average_exec_per_sec:     15055\nstat::new_units_added:          171".utf8))
        parser.finish()
        #expect(parser.stats.executions == 30110)
        #expect(parser.stats.executionsPerSecond == 15055)
        #expect(parser.stats.newInputs == 171)
        parser.consume(Data("artifact_prefix='findings/lockstep/'; Test unit written to findings/lockstep/crash-01ab\n".utf8))
        #expect(parser.writtenArtifacts == ["findings/lockstep/crash-01ab"])
    }

    @Test("The budget gives the lockstep target three quarters, every target at least a second")
    func budget() {
        let shares = CampaignBudget.shares(of: 600, among: ["lockstep", "formats"])
        #expect(shares.map(\.seconds) == [450, 150])
        #expect(CampaignBudget.shares(of: 1, among: ["lockstep", "formats"]).map(\.seconds) == [1, 1])
    }

    @Test("A verdict in a report maps to the exit status of its class")
    func exitStatuses() {
        #expect(FuzzSummary.exitStatus(verdict: "divergence") == 1)
        #expect(FuzzSummary.exitStatus(verdict: "invariantViolation") == 2)
        #expect(FuzzSummary.exitStatus(verdict: "livenessFailure") == 3)
        #expect(FuzzSummary.exitStatus(verdict: nil) == 4)
    }

    @Test("JUnit XML has a passing case per target and a failing case per bucket, escaped")
    func junit() {
        var stats = LibFuzzerStats()
        stats.executions = 10
        stats.newFindings = ["findings/lockstep/crash-1"]
        let bucket = Triage.Bucket(
            title: "divergence: <outcome> & \"events\"", target: "lockstep", findings: ["findings/lockstep/crash-1"],
            representative: "findings/lockstep/crash-1", minimized: nil, reproduce: "swift run buddyfuzz replay findings/lockstep/crash-1")
        let report = CampaignReport(budgetSeconds: 60, jobs: 1, plantedDivergence: false, targets: [
            .init(target: "lockstep", seconds: 45, stats: stats, mergedIntoCorpus: 0, buckets: [bucket]),
            .init(target: "formats", seconds: 15, stats: LibFuzzerStats(), mergedIntoCorpus: 2, buckets: []),
        ])
        let xml = report.junitXML
        #expect(xml.contains("tests=\"3\" failures=\"1\""))
        #expect(xml.contains("name=\"divergence: &lt;outcome&gt; &amp; &quot;events&quot;\""))
        #expect(report.newFindings == 1)
        #expect(report.markdown.contains("| lockstep | 45 | 10 |"))
    }

    @Test("Triage buckets findings by title and picks the smallest as representative")
    func triageBuckets() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("buddyfuzz-triage-test")
        try? FileManager.default.removeItem(at: root)
        defer { try? FileManager.default.removeItem(at: root) }
        let folder = root.appendingPathComponent("findings/lockstep")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: root.appendingPathComponent("FuzzTargets"), withIntermediateDirectories: true)
        try Data().write(to: root.appendingPathComponent("Package.swift"))
        let findings: [(name: String, size: Int, title: String)] = [
            ("crash-aa", 30, "divergence: outcome: alloc_pages"), ("crash-bb", 10, "divergence: outcome: alloc_pages"),
            ("crash-cc", 20, "invariant: free counts"),
        ]
        for finding in findings {
            try Data(repeating: 1, count: finding.size).write(to: folder.appendingPathComponent(finding.name))
            try Data("buddyfuzz finding\ntarget: lockstep\ntitle: \(finding.title)\n\nbody\n".utf8).write(to: folder.appendingPathComponent(finding.name + ".txt"))
        }
        let workspace = try FuzzWorkspace(searchingFrom: folder)
        let artifacts = FindingArtifacts.artifacts(in: folder.path).map(workspace.relative)
        #expect(artifacts == ["findings/lockstep/crash-aa", "findings/lockstep/crash-bb", "findings/lockstep/crash-cc"])
        let buckets = Triage(workspace: workspace).buckets(artifacts)
        #expect(buckets.map(\.title) == ["divergence: outcome: alloc_pages", "invariant: free counts"])
        #expect(buckets[0].representative == "findings/lockstep/crash-bb")
        #expect(buckets[0].findings.count == 2)
    }

    @Test("Crash lines lose their addresses so one bug keeps one title")
    func addressesDropped() {
        #expect(Triage.withoutAddresses("==123==ERROR: AddressSanitizer: heap-use-after-free on address 0x602000000010") == "AddressSanitizer: heap-use-after-free on address")
    }
}
