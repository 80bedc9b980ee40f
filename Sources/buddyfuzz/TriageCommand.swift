import ArgumentParser
import Foundation
import FuzzSupport

/// `buddyfuzz triage DIR`: buckets findings by failure title and minimizes one per bucket.
struct TriageCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "triage",
        abstract: "Bucket findings by failure title and minimize one representative per bucket.",
        discussion: "Writes triage.md and triage.json into DIR. Exit status 0 with no finding, 1 with any.")

    @Argument(help: "A findings folder, e.g. findings/lockstep.")
    var folder: String

    @Flag(help: "Replay with the runner's planted divergence on (for the canary's findings).")
    var plantedDivergence = false

    @Flag(help: "Bucket only; do not minimize.")
    var noMinimize = false

    func run() throws {
        do {
            let workspace = try FuzzWorkspace()
            let path = workspace.relativeToRoot(folder)
            let artifacts = FindingArtifacts.artifacts(in: workspace.path(path)).map(workspace.relative)
            let buckets = TriageRun(workspace: workspace, plantedDivergence: plantedDivergence, minimize: !noMinimize).run(artifacts)
            let report = TriageReport(buckets: buckets)
            try report.write(markdownTo: workspace.path(path + "/triage.md"), jsonTo: workspace.path(path + "/triage.json"))
            print(report.markdown, terminator: "")
            if !buckets.isEmpty { throw ExitCode(1) }
        } catch let error as FuzzError {
            log("error: \(error)")
            throw ExitCode(error.exitStatus)
        }
    }
}

/// Bucketing plus minimization of each bucket's representative.
struct TriageRun {
    let workspace: FuzzWorkspace
    let plantedDivergence: Bool
    let minimize: Bool

    func run(_ artifacts: [String]) -> [Triage.Bucket] {
        var buckets = Triage(workspace: workspace).buckets(artifacts)
        guard minimize else { return buckets }
        let minimizer = FindingMinimizer(workspace: workspace, plantedDivergence: plantedDivergence)
        for index in buckets.indices { buckets[index].minimized = minimizer.minimize(buckets[index]) }
        return buckets
    }
}

/// The triage result as Markdown (for people) and JSON (for tools).
struct TriageReport: Codable {
    var buckets: [Triage.Bucket]

    var markdown: String {
        guard !buckets.isEmpty else { return "No findings.\n" }
        var text = "| bucket | findings | representative | minimized |\n|---|---|---|---|\n"
        for bucket in buckets {
            text += "| \(bucket.title) | \(bucket.findings.count) | `\(bucket.representative)` | \(bucket.minimized.map { "`\($0)`" } ?? "–") |\n"
        }
        text += "\n"
        for bucket in buckets { text += "- \(bucket.title)\n  Reproduce with: `\(bucket.reproduce)`\n" }
        return text
    }

    func write(markdownTo markdownPath: String, jsonTo jsonPath: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        do {
            try FileManager.default.createDirectory(atPath: (markdownPath as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try Data(markdown.utf8).write(to: URL(fileURLWithPath: markdownPath))
            try encoder.encode(self).write(to: URL(fileURLWithPath: jsonPath))
        } catch {
            throw FuzzError.io("cannot write the triage report: \(error)")
        }
    }
}
