import ArgumentParser
import Foundation
import Lockstep

/// `buddyfuzz minimize`: shrinks a failing program, keeping its failure title.
struct MinimizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "minimize",
        abstract: "Minimize a failing program (ddmin over operations, then simpler arguments), keeping the same failure title.",
        discussion: "Writes OUT.ops and OUT.bin (default: the input's name with .min) and exits with the verdict's status.")

    @Argument(help: "A failing program file (.bin or .ops).")
    var file: String

    @Option(name: .short, help: "Output path without extension (an extension given is dropped).")
    var output: String?

    @Option(name: .customLong("max-runs"), help: "Stop the search after this many runs.")
    var maxRuns = 20_000

    @Option(name: .customLong("time"), help: ArgumentHelp("Stop the search after this long and keep the best program so far.", valueName: "90s|5m|1h"))
    var time: String?

    @OptionGroup var lockstep: LockstepOptions

    func validate() throws {
        guard maxRuns > 0 else { throw ValidationError("--max-runs must be positive") }
        if let time, Duration.seconds(parsing: time) == nil { throw ValidationError("--time must look like 90, 90s, 5m or 1h") }
    }

    func run() throws {
        let program = try loadProgram(file)
        let clock = ContinuousClock()
        let deadline = time.flatMap(Duration.seconds(parsing:)).map { clock.now + .seconds($0) }
        let minimizer = ProgramMinimizer(
            runner: LockstepRunner(configuration: lockstep.configuration), runLimit: maxRuns,
            shouldStop: { deadline.map { clock.now >= $0 } ?? false })
        guard let (minimized, report) = minimizer.minimize(program, progress: { printError($0) }) else {
            print("\(file) passes: nothing to minimize")
            return
        }
        let base = outputBase()
        let (binary, text) = try ProgramFile.writeBoth(minimized, base: base)
        print("Minimized \(file): \(program.operations.count) → \(minimized.operations.count) operations, profile \(minimized.profile.name)")
        print("Written: \(text), \(binary)")
        print(ProgramText.render(minimized), terminator: "")
        printReport(report, file: text, replayFlags: lockstep.replayFlags)
        throw ExitCode(report.verdict.exitStatus)
    }

    func outputBase() -> String {
        let path = output ?? file
        let extensionLength = (path as NSString).pathExtension.count
        let stem = extensionLength > 0 ? String(path.dropLast(extensionLength + 1)) : path
        return output == nil ? stem + ".min" : stem
    }
}
