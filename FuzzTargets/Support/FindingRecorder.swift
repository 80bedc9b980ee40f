import Foundation

/// Writes a finding as the project's own reproducer before the target traps, so a finding never
/// depends on libFuzzer's signal handler: `crash-<sha1>` (the input bytes, the name libFuzzer
/// gives the same artifact), `crash-<sha1>.ops` (the decoded program, readable) and
/// `crash-<sha1>.txt` (the report).
public struct FindingRecorder: Sendable {
    public var target: String
    public var settings: FuzzSettings

    public init(target: String, settings: FuzzSettings) {
        self.target = target
        self.settings = settings
    }

    /// The paths of one finding's files.
    public struct Paths: Equatable, Sendable {
        public var input: String
        public var program: String
        public var report: String
    }

    public func paths(for bytes: [UInt8]) -> Paths {
        let base = (settings.findingsDirectory as NSString).appendingPathComponent("crash-" + SHA1.hex(bytes))
        return Paths(input: base, program: base + ".ops", report: base + ".txt")
    }

    /// Writes the three files and returns their paths. A file that cannot be written is reported
    /// on standard error; the finding itself still traps.
    @discardableResult
    public func record(bytes: [UInt8], program: Program, report: RunReport) -> Paths {
        let paths = paths(for: bytes)
        let reportText = FindingReport(target: target, paths: paths, program: program, report: report, settings: settings).text
        do {
            try FileManager.default.createDirectory(atPath: settings.findingsDirectory, withIntermediateDirectories: true)
            try Data(bytes).write(to: URL(fileURLWithPath: paths.input))
            try Data(ProgramText.render(program).utf8).write(to: URL(fileURLWithPath: paths.program))
            try Data(reportText.utf8).write(to: URL(fileURLWithPath: paths.report))
        } catch {
            FileHandle.standardError.write(Data("buddyfuzz: cannot write finding to \(settings.findingsDirectory): \(error)\n".utf8))
        }
        FileHandle.standardError.write(Data(reportText.utf8))
        return paths
    }
}

/// The readable report of one finding. Its header lines (`key: value`) are read back by
/// `buddyfuzz triage`; the rest is the runner's own report.
public struct FindingReport {
    public var target: String
    public var paths: FindingRecorder.Paths
    public var program: Program
    public var report: RunReport
    public var settings: FuzzSettings

    public static let firstLine = "buddyfuzz finding"

    public var text: String {
        let commands = ReproductionCommands(input: paths.input, plantedDivergence: settings.plantedDivergence)
        return """
            \(Self.firstLine)
            target: \(target)
            verdict: \(report.verdict)
            title: \(report.title)
            input: \(paths.input)
            program: \(paths.program)
            profile: \(program.profile.name)
            seed: \(program.seed)
            operations: \(report.operationsRun) run of \(program.operations.count)

            \(report.text)
            Reproduce with: \(commands.reproduce)
            Minimize with: \(commands.minimize)

            """
    }

    /// Reads the `key: value` header of a report written by `text`.
    public static func header(of text: String) -> [(key: String, value: String)] {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard lines.first.map(String.init) == firstLine else { return [] }
        var fields: [(key: String, value: String)] = []
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":"), !line.isEmpty else { break }
            fields.append((String(line[..<colon]), String(line[line.index(after: colon)...]).trimmingCharacters(in: .whitespaces)))
        }
        return fields
    }
}

/// The exact commands that replay and minimize a finding.
public struct ReproductionCommands: Sendable {
    public var input: String
    public var plantedDivergence: Bool

    public init(input: String, plantedDivergence: Bool) {
        self.input = input
        self.plantedDivergence = plantedDivergence
    }

    /// The flag that turns the runner's planted divergence on, for the canary's findings.
    public static let plantedDivergenceFlag = "--planted-divergence"

    /// The same form as the harness's own reports.
    var flags: String { plantedDivergence ? " \(Self.plantedDivergenceFlag)" : "" }
    public var reproduce: String { "swift run -c release buddyfuzz replay \(input)\(flags)" }
    public var minimize: String { "swift run -c release buddyfuzz minimize \(input)\(flags)" }
}
