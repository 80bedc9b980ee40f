import ArgumentParser
import BuddyVocabulary
import Lockstep

/// `buddyfuzz run`: one seeded program through the lockstep runner.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run one seeded program in lockstep; a failure is written to the findings directory.")

    @Option(help: "The seed: decides the profile (unless --profile), the operation mix and every operation.")
    var seed: UInt64

    @Option(help: "Number of operations.")
    var ops: Int = 10_000

    @Option(help: ArgumentHelp("Force a fuzzing profile.", valueName: FuzzingProfiles.names.joined(separator: "|")))
    var profile: String?

    @Option(name: .customLong("out"), help: "Directory for findings.")
    var outputDirectory = "findings"

    @OptionGroup var lockstep: LockstepOptions

    func validate() throws {
        guard ops >= 0 else { throw ValidationError("--ops must not be negative") }
        if let profile, FuzzingProfiles.named(profile) == nil {
            throw ValidationError("--profile must be one of \(FuzzingProfiles.names.joined(separator: ", "))")
        }
    }

    func run() throws {
        let configuration = GeneratorConfiguration.derive(seed: seed, profile: profile.flatMap(FuzzingProfiles.named))
        print(configuration.description)
        print("run \(ops) operations, \(lockstep.configuration.allocatorsDescription), full check every \(lockstep.checkEvery)")
        var generator = ProgramGenerator(configuration: configuration)
        let program = generator.generate(operations: ops)
        let report = LockstepRunner(configuration: lockstep.configuration).run(program)
        var file: String?
        if report.verdict != .passed {
            file = try FindingFiles.write(
                program: program, report: report, directory: outputDirectory, replayFlags: lockstep.replayFlags,
                preamble: configuration.description)
            print("Finding written: \(file!) (with .bin and .txt)")
        }
        printReport(report, file: file, replayFlags: lockstep.replayFlags)
        if report.verdict != .passed { throw ExitCode(report.verdict.exitStatus) }
    }
}
