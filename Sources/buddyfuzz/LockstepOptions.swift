import ArgumentParser
import Foundation
import Lockstep
import OptimizedAllocator

/// Options every lockstep command shares.
struct LockstepOptions: ParsableArguments {
    @Option(name: .customLong("check-every"), help: "Compare full snapshots and run the invariant checkers every K operations.")
    var checkEvery: Int = 1024

    @Option(help: ArgumentHelp("The allocator run in lockstep against the reference.", valueName: "optimized|reference"))
    var subject = "optimized"

    @Option(help: ArgumentHelp("Run one allocator alone with the checkers instead of the lockstep pair.", valueName: "reference|optimized"))
    var audit: String?

    @Option(name: .customLong("mutant"), help: ArgumentHelp("Plant a mutant in the optimized allocator (see `buddyfuzz hunt`); repeatable.", valueName: "NAME"))
    var mutants: [String] = []

    @Flag(name: .customLong("planted-divergence"), help: "Test only: the optimized side misreports the last put_page, on a tail page, of a compound block of order 2 or more that held a second reference.")
    var plantedDivergence = false

    func validate() throws {
        guard checkEvery > 0 else { throw ValidationError("--check-every must be positive") }
        let names = AllocatorFactory.all.map(\.name).joined(separator: ", ")
        guard AllocatorFactory.named(subject) != nil else { throw ValidationError("--subject must be one of \(names)") }
        if let audit, AllocatorFactory.named(audit) == nil {
            throw ValidationError("--audit must be one of \(AllocatorFactory.all.map(\.name).joined(separator: ", "))")
        }
        for name in mutants where Mutant(name: name) == nil {
            throw ValidationError("unknown mutant '\(name)'; the mutants are: \(Mutant.allCases.map(\.name).joined(separator: ", "))")
        }
        if !mutants.isEmpty, subject != AllocatorFactory.optimized.name {
            throw ValidationError("--mutant plants faults in the optimized allocator: it goes with --subject optimized")
        }
        if !mutants.isEmpty, let audit, audit != AllocatorFactory.optimized.name {
            throw ValidationError("--mutant plants faults in the optimized allocator: it goes with --audit optimized or with no --audit")
        }
    }

    /// The subject allocator; the optimized one carries the `--mutant` faults when there are any.
    var subjectFactory: AllocatorFactory {
        guard mutants.isEmpty else { return .optimized(mutants: MutantSet(mutants.compactMap(Mutant.init(name:)))) }
        return AllocatorFactory.named(subject)!
    }

    var configuration: LockstepConfiguration {
        let allocators: LockstepConfiguration.Allocators
        if let audit = audit.flatMap(AllocatorFactory.named) {
            allocators = .audit(audit.name == AllocatorFactory.optimized.name && !mutants.isEmpty ? subjectFactory : audit)
        } else {
            allocators = .lockstep(reference: .reference, subject: subjectFactory)
        }
        return LockstepConfiguration(allocators: allocators, checkEvery: checkEvery, plantedDivergence: plantedDivergence)
    }

    /// The options to repeat in a reproduce command (those that are not the defaults).
    var replayFlags: String {
        var flags = ""
        if checkEvery != 1024 { flags += " --check-every \(checkEvery)" }
        if subject != "optimized" { flags += " --subject \(subject)" }
        if let audit { flags += " --audit \(audit)" }
        for mutant in mutants { flags += " --mutant \(mutant)" }
        if plantedDivergence { flags += " --planted-divergence" }
        return flags
    }
}

/// Exit statuses beyond the verdicts' 0...3 (sysexits.h).
enum ExitStatus {
    /// `EX_USAGE`: ArgumentParser's status for a validation error.
    static let badUsage: Int32 = 64
    /// `EX_DATAERR`: an input file that is not a valid program.
    static let badInput: Int32 = 65
}

/// Writes to standard error.
func printError(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}

/// Loads a program file or exits 65 with the file, the line and the problem.
func loadProgram(_ path: String) throws -> Program {
    do {
        return try ProgramFile.load(path)
    } catch {
        printError("buddyfuzz: error: \(error)")
        throw ExitCode(ExitStatus.badInput)
    }
}

/// Prints a report and, for a failure, the commands that reproduce and minimize it.
func printReport(_ report: RunReport, file: String?, replayFlags: String) {
    print(report.text, terminator: report.text.hasSuffix("\n") ? "" : "\n")
    if report.verdict != .passed, let file {
        print(FindingFiles.reproduceLines(file: file, replayFlags: replayFlags))
    }
}
