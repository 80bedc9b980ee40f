import ArgumentParser
import Foundation
import FuzzSupport

/// `buddyfuzz seed-corpus [--check]`: writes the generated seed corpora into `corpus/`.
struct SeedCorpusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "seed-corpus",
        abstract: "Write the generated seed corpora into corpus/lockstep and corpus/formats.",
        discussion: "Only the generated files are written; inputs merged by a campaign stay. With --check, writes nothing and exits 1 when a file differs.")

    @Flag(help: "Compare instead of writing.")
    var check = false

    func run() throws {
        let workspace: FuzzWorkspace
        do { workspace = try FuzzWorkspace() } catch let error as FuzzError { log("error: \(error)"); throw ExitCode(error.exitStatus) }
        var differences: [String] = []
        for target in FuzzWorkspace.targets {
            let folder = workspace.path(workspace.seedCorpus(target))
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            for seed in SeedCorpus.seeds(for: target) {
                let path = (folder as NSString).appendingPathComponent(seed.name)
                let current = FileManager.default.contents(atPath: path).map { [UInt8]($0) }
                guard current != seed.bytes else { continue }
                differences.append("\(workspace.relative(path)): \(current == nil ? "missing" : "differs") (\(seed.purpose))")
                if !check { try Data(seed.bytes).write(to: URL(fileURLWithPath: path)) }
            }
        }
        for line in differences { print((check ? "" : "wrote ") + line) }
        if check && !differences.isEmpty { throw ExitCode(1) }
    }
}
