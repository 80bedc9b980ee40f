import Foundation

/// A campaign's results: `summary.md`, `junit.xml` and `stats.json`.
struct CampaignReport: Codable {
    struct TargetResult: Codable {
        var target: String
        var seconds: Int
        var stats: LibFuzzerStats
        var mergedIntoCorpus: Int
        var buckets: [Triage.Bucket]
    }

    var budgetSeconds: Int
    var jobs: Int
    var plantedDivergence: Bool
    var targets: [TargetResult]

    var newFindings: Int { targets.reduce(0) { $0 + $1.stats.newFindings.count } }

    func write(to folder: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        do {
            try Data(markdown.utf8).write(to: URL(fileURLWithPath: folder + "/summary.md"))
            try Data(junitXML.utf8).write(to: URL(fileURLWithPath: folder + "/junit.xml"))
            try encoder.encode(self).write(to: URL(fileURLWithPath: folder + "/stats.json"))
        } catch {
            throw FuzzError.io("cannot write the campaign report into \(folder): \(error)")
        }
    }

    var markdown: String {
        var text = """
            # Fuzzing campaign

            Budget \(budgetSeconds) s, \(jobs) job(s) per target\(plantedDivergence ? ", planted divergence on (canary)" : "").

            | target | seconds | executions | exec/s | corpus | merged | edges | features | findings |
            |---|---:|---:|---:|---:|---:|---:|---:|---:|

            """
        for result in targets {
            let stats = result.stats
            text += "| \(result.target) | \(result.seconds) | \(stats.executions) | \(stats.executionsPerSecond) | \(stats.corpusSize) | \(result.mergedIntoCorpus) | \(stats.coverage) | \(stats.features) | \(stats.newFindings.count) |\n"
        }
        text += "\n"
        let buckets = targets.flatMap(\.buckets)
        guard !buckets.isEmpty else { return text + "No new findings.\n" }
        text += "## Findings by bucket\n\n" + TriageReport(buckets: buckets).markdown
        return text
    }

    /// One test case per target that passes when it found nothing, and one failing test case
    /// per bucket of new findings.
    var junitXML: String {
        let cases = targets.reduce(0) { $0 + 1 + $1.buckets.count }
        var xml = """
            <?xml version="1.0" encoding="UTF-8"?>
            <testsuites name="buddyfuzz campaign" tests="\(cases)" failures="\(targets.reduce(0) { $0 + $1.buckets.count })">
              <testsuite name="fuzz" tests="\(cases)" failures="\(targets.reduce(0) { $0 + $1.buckets.count })">

            """
        for result in targets {
            let stats = result.stats
            xml += "    <testcase classname=\"fuzz.\(result.target)\" name=\"campaign\" time=\"\(result.seconds)\">\n"
            xml += "      <system-out>\(Self.escape("executions \(stats.executions), exec/s \(stats.executionsPerSecond), corpus \(stats.corpusSize), edges \(stats.coverage), features \(stats.features)"))</system-out>\n"
            xml += "    </testcase>\n"
            for bucket in result.buckets {
                xml += "    <testcase classname=\"fuzz.\(result.target)\" name=\"\(Self.escape(bucket.title))\">\n"
                xml += "      <failure message=\"\(Self.escape(bucket.title))\">\(Self.escape("\(bucket.findings.count) finding(s); representative \(bucket.representative); Reproduce with: \(bucket.reproduce)"))</failure>\n"
                xml += "    </testcase>\n"
            }
        }
        return xml + "  </testsuite>\n</testsuites>\n"
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
