import ArgumentParser
import Lockstep

/// `buddyfuzz replay`: runs program files (binary corpus files or text operation files).
struct ReplayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Replay binary or text program files; prints the decoded operations and the verdict.",
        discussion: "Exits with the most severe status: 0 passed, 1 divergence, 2 invariant violation, 3 liveness failure, 65 a bad file.")

    @Argument(help: "Program files (.bin or .ops).")
    var files: [String]

    @Flag(name: .customLong("quiet-operations"), help: "Do not print the decoded operations.")
    var quietOperations = false

    @Flag(help: "List every operation with the calls it became and their outcomes.")
    var trace = false

    @OptionGroup var lockstep: LockstepOptions

    func validate() throws {
        guard !files.isEmpty else { throw ValidationError("give at least one file") }
    }

    func run() throws {
        var status: Int32 = 0
        var configuration = lockstep.configuration
        configuration.traceCalls = trace
        let runner = LockstepRunner(configuration: configuration)
        for file in files {
            let program: Program
            do {
                program = try ProgramFile.load(file)
            } catch {
                printError("buddyfuzz: error: \(error)")
                status = max(status, ExitStatus.badInput)
                continue
            }
            print("== \(file): \(program.operations.count) operations, profile \(program.profile.name), seed \(program.seed)")
            if !quietOperations { print(ProgramText.render(program), terminator: "") }
            let report = runner.run(program)
            printReport(report, file: file, replayFlags: lockstep.replayFlags)
            print("verdict: \(report.verdict.name) (\(report.title))")
            status = max(status, report.verdict.exitStatus)
        }
        if status != 0 { throw ExitCode(status) }
    }
}
