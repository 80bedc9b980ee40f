import ArgumentParser
import Foundation
import FuzzSupport
import Lockstep

/// `buddyfuzz campaign --time T [--jobs J]`: the nightly run. Builds, restores the corpus,
/// fuzzes every target within its share of the budget, merges new coverage into `corpus/`,
/// triages and minimizes findings, and writes a Markdown summary, JUnit XML and JSON stats.
struct CampaignCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "campaign",
        abstract: "Fuzz every target within a time budget; merge, triage and report.",
        discussion: """
            Writes summary.md, junit.xml, stats.json, each target's libFuzzer log and the new
            findings into --output. Exit status 0 with no new finding, 1 with one, 64 usage,
            70 build failure.
            """)

    @Option(help: "The whole campaign's fuzzing budget in seconds, shared among the targets.")
    var time: Int

    @Option(help: "Parallel fuzzing processes per target (libFuzzer -fork).")
    var jobs: Int = 1

    @Option(help: "The folder for the reports and the new findings.")
    var output: String = ".fuzz-out/campaign"

    @Option(help: "A saved corpus to restore first: a folder with one subfolder per target.")
    var restore: String?

    @Option(help: "address (AddressSanitizer) or none.")
    var sanitizer: String = FuzzSanitizer.address.rawValue

    @Flag(inversion: .prefixedNo, help: "Also instrument comparisons (-sanitize-coverage=trace-cmp, built into .build-fuzz-cmp); off by default, as for fuzz.")
    var traceCmp = false

    @Option(help: "The profile every mutated lockstep input is pinned to, or any (each input's header chooses).")
    var profile: String = FuzzSettings.anyProfile

    @Option(parsing: .upToNextOption, help: "The targets to fuzz (default: all).")
    var targets: [String] = FuzzWorkspace.targets

    @Flag(help: "Do not merge new inputs into corpus/TARGET.")
    var noMerge = false

    @Flag(help: "Turn on the runner's planted divergence (the canary).")
    var plantedDivergence = false

    @Flag(help: "Use the instrumented binaries as built, without rebuilding them.")
    var noBuild = false

    func validate() throws {
        guard time > 0, jobs > 0 else { throw ValidationError("--time and --jobs must be positive") }
        guard FuzzSanitizer(rawValue: sanitizer) != nil else { throw ValidationError("--sanitizer is address or none") }
        guard profile == FuzzSettings.anyProfile || FuzzingProfiles.named(profile) != nil else {
            throw ValidationError("--profile is one of \(FuzzingProfiles.names.joined(separator: ", ")) or any")
        }
        for target in targets where !FuzzWorkspace.targets.contains(target) {
            throw ValidationError("unknown fuzz target '\(target)'; the targets are: \(FuzzWorkspace.targets.joined(separator: ", "))")
        }
    }

    func run() throws {
        do {
            let report = try campaign()
            if report.newFindings > 0 { throw ExitCode(1) }
        } catch let error as FuzzError {
            log("error: \(error)")
            throw ExitCode(error.exitStatus)
        }
    }

    func campaign() throws -> CampaignReport {
        let workspace = try FuzzWorkspace()
        let builder = FuzzBuilder(workspace: workspace, sanitizer: FuzzSanitizer(rawValue: sanitizer)!, traceComparisons: traceCmp)
        if !noBuild { try builder.build(targets) }
        let outputFolder = workspace.relativeToRoot(output)
        try FileManager.default.createDirectory(atPath: workspace.path(outputFolder), withIntermediateDirectories: true)
        var report = CampaignReport(budgetSeconds: time, jobs: jobs, plantedDivergence: plantedDivergence, targets: [])
        for (target, seconds) in CampaignBudget.shares(of: time, among: targets) {
            let runner = CampaignTargetRun(
                workspace: workspace, builder: builder, target: target, seconds: seconds, jobs: jobs,
                outputFolder: outputFolder, plantedDivergence: plantedDivergence, merge: !noMerge,
                profile: profile == FuzzSettings.anyProfile ? nil : profile)
            if let restore { try runner.restoreCorpus(from: workspace.relativeToRoot(restore)) }
            report.targets.append(try runner.run())
        }
        try report.write(to: workspace.path(outputFolder))
        FileHandle.standardError.write(Data(report.markdown.utf8))
        return report
    }
}

/// How the time budget is shared: the lockstep target, where the allocator bugs are, gets three
/// quarters; the parsers share the rest.
enum CampaignBudget {
    static let weights = ["lockstep": 3, "formats": 1]

    static func shares(of seconds: Int, among targets: [String]) -> [(target: String, seconds: Int)] {
        let total = targets.reduce(0) { $0 + weights[$1, default: 1] }
        return targets.map { target in (target, max(1, seconds * weights[target, default: 1] / max(1, total))) }
    }
}

/// One target's part of a campaign.
struct CampaignTargetRun {
    let workspace: FuzzWorkspace
    let builder: FuzzBuilder
    let target: String
    let seconds: Int
    let jobs: Int
    let outputFolder: String
    let plantedDivergence: Bool
    let merge: Bool
    let profile: String?

    var settings: FuzzSettings {
        FuzzSettings(findingsDirectory: workspace.findings(target), plantedDivergence: plantedDivergence, profile: profile)
    }

    func restoreCorpus(from folder: String) throws {
        let source = workspace.path("\(folder)/\(target)")
        let destination = workspace.path(workspace.workCorpus(target))
        try FileManager.default.createDirectory(atPath: destination, withIntermediateDirectories: true)
        let files = FindingArtifacts.regularFiles(in: source)
        for file in files {
            let copy = (destination as NSString).appendingPathComponent((file as NSString).lastPathComponent)
            if !FileManager.default.fileExists(atPath: copy) { try? FileManager.default.copyItem(atPath: file, toPath: copy) }
        }
        log("\(target): restored \(files.count) corpus inputs from \(folder)/\(target)")
    }

    func run() throws -> CampaignReport.TargetResult {
        let session = LibFuzzerSession(workspace: workspace, target: target, binary: builder.binary(target), settings: settings)
        let flags = [
            "-max_total_time=\(seconds)", "-fork=\(jobs)",
            "-ignore_crashes=1", "-ignore_timeouts=1", "-ignore_ooms=1",
        ]
        let corpora = [workspace.workCorpus(target), workspace.seedCorpus(target)]
        log("\(target): fuzzing for \(seconds) s with \(jobs) job(s)")
        let stats = try session.run(corpora: corpora, flags: flags, echo: true, logPath: "\(outputFolder)/\(target).log")
        let merged = merge ? try mergeIntoSeedCorpus() : 0
        let buckets = TriageRun(workspace: workspace, plantedDivergence: plantedDivergence, minimize: true).run(stats.newFindings)
        try keepFindings(stats.newFindings, buckets: buckets)
        return CampaignReport.TargetResult(target: target, seconds: seconds, stats: stats, mergedIntoCorpus: merged, buckets: buckets)
    }

    /// `-merge=1`: adds to `corpus/TARGET` the inputs of the working corpus that bring new
    /// coverage, and returns how many were added.
    func mergeIntoSeedCorpus() throws -> Int {
        let seeds = workspace.seedCorpus(target)
        let before = FindingArtifacts.regularFiles(in: workspace.path(seeds)).count
        let session = LibFuzzerSession(workspace: workspace, target: target, binary: builder.binary(target), settings: settings)
        let mergeControl = "\(outputFolder)/\(target).merge-control"
        _ = try session.run(
            corpora: [seeds, workspace.workCorpus(target)], flags: ["-merge=1", "-merge_control_file=\(mergeControl)"],
            echo: false, logPath: "\(outputFolder)/\(target).merge.log")
        try? FileManager.default.removeItem(atPath: workspace.path(mergeControl))
        let added = FindingArtifacts.regularFiles(in: workspace.path(seeds)).count - before
        log("\(target): merged \(added) new inputs into \(seeds)")
        return added
    }

    /// Copies each new finding and its companions (`.ops`, `.txt`, minimized) into the output.
    func keepFindings(_ artifacts: [String], buckets: [Triage.Bucket]) throws {
        guard !artifacts.isEmpty else { return }
        let folder = workspace.path("\(outputFolder)/findings/\(target)")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let minimized = buckets.compactMap(\.minimized)
        for artifact in artifacts {
            for file in [artifact, artifact + ".ops", artifact + ".txt"] + minimized.filter({ $0.hasPrefix(artifact + ".") }) {
                let copy = (folder as NSString).appendingPathComponent((file as NSString).lastPathComponent)
                guard FileManager.default.fileExists(atPath: workspace.path(file)), !FileManager.default.fileExists(atPath: copy) else { continue }
                try? FileManager.default.copyItem(atPath: workspace.path(file), toPath: copy)
            }
        }
    }
}
