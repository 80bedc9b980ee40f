import Foundation
import FuzzSupport

/// One run of an instrumented fuzz target under libFuzzer: the flags we always set, the
/// environment, the live output, and the statistics read back from that output.
struct LibFuzzerSession {
    /// libFuzzer's exit status for a crash or a finding (`-error_exitcode`).
    static let errorExitCode: Int32 = 77
    /// libFuzzer's exit status for an input that ran past `-timeout` (`-timeout_exitcode`).
    static let timeoutExitCode: Int32 = 78
    /// Seconds one input may run before it is a timeout finding.
    static let inputTimeoutSeconds = 10
    /// The largest input: 4 KiB holds hundreds of operations.
    static let inputSizeMax = 4096

    let workspace: FuzzWorkspace
    let target: String
    let binary: String
    var settings: FuzzSettings

    /// The flags every run gets, before the caller's own (libFuzzer keeps the last of a flag).
    var defaultFlags: [String] {
        var flags = [
            "-timeout=\(Self.inputTimeoutSeconds)", "-max_len=\(Self.inputSizeMax)",
            "-error_exitcode=\(Self.errorExitCode)", "-timeout_exitcode=\(Self.timeoutExitCode)",
            "-artifact_prefix=\(settings.findingsDirectory)/", "-print_final_stats=1",
            // The Swift runtime keeps metadata caches for the life of the process on purpose.
            "-detect_leaks=0",
        ]
        if let dictionary = workspace.dictionary(target) { flags.append("-dict=\(dictionary)") }
        return flags
    }

    var environment: [String: String] {
        var environment = [
            "SWIFT_BACKTRACE": "enable=no",
            FuzzSettings.findingsVariable: settings.findingsDirectory,
            FuzzSettings.mutatorVariable: settings.mutator.rawValue,
            FuzzSettings.plantedDivergenceVariable: settings.plantedDivergence ? "1" : "0",
            FuzzSettings.profileVariable: settings.profile ?? FuzzSettings.anyProfile,
        ]
        if ProcessInfo.processInfo.environment["ASAN_OPTIONS"] == nil {
            environment["ASAN_OPTIONS"] = "detect_leaks=0:allocator_may_return_null=1"
        }
        return environment
    }

    /// Runs libFuzzer over `corpora` (the first one receives new inputs) with `flags` after the
    /// defaults. Its output goes to standard error as it comes (`echo`) and into `logPath`.
    func run(corpora: [String], flags: [String], echo: Bool, logPath: String?) throws -> LibFuzzerStats {
        for folder in corpora + [settings.findingsDirectory] {
            try FileManager.default.createDirectory(atPath: workspace.path(folder), withIntermediateDirectories: true)
        }
        let findings = workspace.path(settings.findingsDirectory)
        let findingsBefore = FindingArtifacts.artifacts(in: findings)
        var parser = LibFuzzerOutputParser()
        var logData = Data()
        let command = [binary] + defaultFlags + flags + corpora
        if echo { log("running: \(command.joined(separator: " "))") }
        let status = try Subprocess.run(command, in: workspace.root, environment: environment, output: .stream { chunk in
            if echo { FileHandle.standardError.write(chunk) }
            if logPath != nil { logData.append(chunk) }
            parser.consume(chunk)
        })
        parser.finish()
        if let logPath { try? logData.write(to: URL(fileURLWithPath: workspace.path(logPath))) }
        var stats = parser.stats
        stats.exitStatus = status
        // An input found again has the same name as before: libFuzzer still names it.
        let written = parser.writtenArtifacts.map { workspace.relative(workspace.path($0)) }
        let created = FindingArtifacts.artifacts(in: findings).filter { !findingsBefore.contains($0) }.map(workspace.relative)
        stats.newFindings = Array(Set(created + written)).sorted()
        stats.corpusSize = FindingArtifacts.regularFiles(in: workspace.path(corpora[0])).count
        return stats
    }
}

/// What a libFuzzer run reports about itself.
struct LibFuzzerStats: Codable, Equatable {
    var executions = 0
    var executionsPerSecond = 0
    /// `cov:`: covered edges (PCs).
    var coverage = 0
    /// `ft:`: coverage features (edges, counters, comparisons).
    var features = 0
    /// Inputs in the writable corpus after the run.
    var corpusSize = 0
    /// `stat::new_units_added`.
    var newInputs = 0
    var exitStatus: Int32 = 0
    /// Artifacts (`crash-*`, `timeout-*`, `oom-*`, ...) written during the run, sorted.
    var newFindings: [String] = []
}

/// Reads libFuzzer's status lines (plain and `-fork` forms) and its final `stat::` block.
struct LibFuzzerOutputParser {
    private(set) var stats = LibFuzzerStats()
    /// Paths from libFuzzer's "Test unit written to PATH" lines.
    private(set) var writtenArtifacts: [String] = []
    private var pending = ""

    mutating func consume(_ chunk: Data) {
        pending += String(decoding: chunk, as: UTF8.self)
        while let newline = pending.firstIndex(of: "\n") {
            parse(line: String(pending[..<newline]))
            pending = String(pending[pending.index(after: newline)...])
        }
    }

    mutating func finish() {
        if !pending.isEmpty { parse(line: pending) }
        pending = ""
    }

    mutating func parse(line: String) {
        if line.hasPrefix("#") {
            parseStatus(line)
        } else if line.hasPrefix("stat::") {
            parseFinal(line)
        } else if line.hasPrefix("Done "), let runs = Int(line.split(separator: " ")[1]) {
            stats.executions = max(stats.executions, runs)
        } else if let range = line.range(of: "Test unit written to ") {
            writtenArtifacts.append(String(line[range.upperBound...]).trimmingCharacters(in: .whitespaces))
        }
    }

    /// `#4096\tpulse  cov: 71 ft: 286 corp: 45/9185b lim: 4096 exec/s: 2048 rss: 447Mb`, or in
    /// fork mode `#20000: cov: 71 ft: 290 corp: 52 exec/s: 9000 oom/timeout/crash: 0/0/0 time: 3s`.
    mutating func parseStatus(_ line: String) {
        let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        guard let first = words.first, let executions = Int(first.dropFirst().filter(\.isNumber)) else { return }
        stats.executions = max(stats.executions, executions)
        for (index, word) in words.enumerated() where index + 1 < words.count {
            let value = words[index + 1]
            switch word {
            case "cov:": stats.coverage = Int(value) ?? stats.coverage
            case "ft:": stats.features = Int(value) ?? stats.features
            case "exec/s:": stats.executionsPerSecond = Int(value) ?? stats.executionsPerSecond
            default: break
            }
        }
    }

    mutating func parseFinal(_ line: String) {
        let parts = line.dropFirst("stat::".count).split(separator: ":").map { $0.trimmingCharacters(in: .whitespaces) }
        guard parts.count == 2, let value = Int(parts[1]) else { return }
        switch parts[0] {
        case "number_of_executed_units": stats.executions = value
        case "average_exec_per_sec": stats.executionsPerSecond = value
        case "new_units_added": stats.newInputs = value
        default: break
        }
    }
}

/// The files of a findings folder.
enum FindingArtifacts {
    static let artifactPrefixes = ["crash-", "timeout-", "oom-", "leak-", "slow-unit-"]

    /// libFuzzer artifacts and our reproducers (same names): the input files, not their
    /// `.ops`/`.txt` companions, sorted by name.
    static func artifacts(in folder: String) -> [String] {
        regularFiles(in: folder).filter { path in
            let name = (path as NSString).lastPathComponent
            return artifactPrefixes.contains { name.hasPrefix($0) } && !name.contains(".")
        }
    }

    /// Regular files of a folder, sorted by name; none when it does not exist.
    static func regularFiles(in folder: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        return names.sorted().map { (folder as NSString).appendingPathComponent($0) }.filter { path in
            var isFolder: ObjCBool = false
            return FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) && !isFolder.boolValue
        }
    }

    /// The report our target wrote beside an artifact (a path absolute or relative to the
    /// working folder), if any.
    static func report(for artifact: String) -> String? {
        guard let data = FileManager.default.contents(atPath: artifact + ".txt") else { return nil }
        return String(decoding: data, as: UTF8.self)
    }

    /// A header field of the report beside an artifact.
    static func field(_ key: String, of artifact: String) -> String? {
        guard let report = report(for: artifact) else { return nil }
        return FindingReport.header(of: report).first { $0.key == key }?.value
    }

    /// The report's lines that start with `prefix` ("Reproduce with:", "Minimize with:").
    static func lines(startingWith prefix: String, of artifact: String) -> [String] {
        (report(for: artifact) ?? "").split(separator: "\n").map(String.init).filter { $0.hasPrefix(prefix) }
    }
}
