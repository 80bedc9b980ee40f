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

    @OptionGroup var lockstep: LockstepOptions

    func run() throws {
        let program = try loadProgram(file)
        let minimizer = ProgramMinimizer(runner: LockstepRunner(configuration: lockstep.configuration))
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
