import BuddyVocabulary
import Foundation
import Lockstep
import Testing

/// The `buddyfuzz` executable, built next to the test bundle.
enum Executable {
    static let url: URL? = {
        let directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for candidate in [directory, directory.deletingLastPathComponent()] {
            let url = candidate.appendingPathComponent("buddyfuzz")
            if FileManager.default.isExecutableFile(atPath: url.path) { return url }
        }
        return nil
    }()

    static var isBuilt: Bool { url != nil }

    struct Result {
        var status: Int32
        var output: String
        var errors: String
    }

    static func run(_ arguments: [String], in directory: String) throws -> Result {
        let process = Process()
        guard let url else { throw CocoaError(.fileNoSuchFile) }
        process.executableURL = url
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        var environment = ProcessInfo.processInfo.environment
        environment["SWIFT_BACKTRACE"] = "enable=no"
        process.environment = environment
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let outputData = output.fileHandleForReading.readDataToEndOfFile()
        let errorData = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, output: String(decoding: outputData, as: UTF8.self), errors: String(decoding: errorData, as: UTF8.self))
    }
}

/// A scratch directory per test.
func scratchDirectory(_ name: String) throws -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("buddyfuzz-\(name)-\(getpid())").path
    try? FileManager.default.removeItem(atPath: path)
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

@Suite(.serialized) struct CommandLineTests {
    static let planted = ["--subject", "reference", "--planted-divergence"]

    @Test(.enabled(if: Executable.isBuilt))
    func sameSeedInTwoProcessesGivesIdenticalOutput() throws {
        let directory = try scratchDirectory("determinism")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let arguments = ["run", "--seed", "6", "--ops", "3000", "--profile", "tiny", "--check-every", "64"] + Self.planted
        let first = try Executable.run(arguments, in: directory)
        let second = try Executable.run(arguments, in: directory)
        #expect(first.output == second.output)
        #expect(first.status == second.status)
        #expect(first.output.hasPrefix("seed 6 (0x6)\nprofile tiny\noperations "))
        #expect(first.status == 1)
        #expect(first.output.contains("FAILED (divergence): divergence: outcome: put_page"))
    }

    @Test(.enabled(if: !Executable.isBuilt))
    func sameSeedTwiceInProcessGivesIdenticalReports() {
        let program = ProgramGenerator.program(seed: 3, operations: 3000, profile: BuiltInProfiles.tiny)
        #expect(lockstep(planted: true).run(program) == lockstep(planted: true).run(program))
    }

    @Test(.enabled(if: Executable.isBuilt))
    func findingIsWrittenReplayedConvertedAndMinimized() throws {
        let directory = try scratchDirectory("finding")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let run = try Executable.run(["run", "--seed", "6", "--ops", "2000", "--profile", "tiny"] + Self.planted, in: directory)
        #expect(run.status == 1, "\(run.output)\(run.errors)")
        let file = "findings/divergence-outcome-put_page-tiny-seed6.ops"
        #expect(run.output.contains("Reproduce with: swift run -c release buddyfuzz replay \(file) --subject reference --planted-divergence"))
        #expect(run.output.contains("Minimize with: swift run -c release buddyfuzz minimize \(file)"))
        for ext in ["ops", "bin", "txt"] {
            #expect(FileManager.default.fileExists(atPath: "\(directory)/findings/divergence-outcome-put_page-tiny-seed6.\(ext)"))
        }

        let replayText = try Executable.run(["replay", file] + Self.planted, in: directory)
        let replayBinary = try Executable.run(["replay", file.replacingOccurrences(of: ".ops", with: ".bin")] + Self.planted, in: directory)
        #expect(replayText.status == 1 && replayBinary.status == 1)
        #expect(replayText.output.contains("verdict: divergence (divergence: outcome: put_page)"))
        #expect(replayText.output.contains("buddyfuzz ops v1\nprofile tiny\nseed 6\n"))

        let toBinary = try Executable.run(["fmt", file, "-o", "copy.bin"], in: directory)
        let backToText = try Executable.run(["fmt", "copy.bin", "--to", "text"], in: directory)
        #expect(toBinary.status == 0 && backToText.status == 0)
        #expect(backToText.output == (try String(contentsOfFile: "\(directory)/\(file)", encoding: .utf8)))

        let minimize = try Executable.run(["minimize", file, "-o", "small"] + Self.planted, in: directory)
        #expect(minimize.status == 1)
        let minimized = try ProgramFile.load("\(directory)/small.ops")
        #expect(minimized.operations.count <= 5, "\(minimize.output)")
        #expect(try ProgramFile.load("\(directory)/small.bin") == minimized)
        #expect(minimize.errors.contains("minimize: "))
    }

    @Test(.enabled(if: Executable.isBuilt))
    func badFilesExit65NamingFileAndLine() throws {
        let directory = try scratchDirectory("bad")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try Data("buddyfuzz ops v1\nprofile tiny\nalloc cpu=0 order=9 gfp=GFP_KERNEL\n".utf8).write(to: URL(fileURLWithPath: "\(directory)/bad.ops"))
        for command in [["replay", "bad.ops"], ["fmt", "bad.ops"], ["minimize", "bad.ops"], ["replay", "missing.bin"]] {
            let result = try Executable.run(command, in: directory)
            #expect(result.status == 65, "\(command)")
            #expect(result.errors.contains(command[1] == "bad.ops" ? "bad.ops:3: order 9 is out of range 0...6" : "missing.bin: no such file"))
        }
    }

    @Test(.enabled(if: Executable.isBuilt))
    func badUsageExits64() throws {
        let directory = try scratchDirectory("usage")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        for command in [["stress", "--ops", "10"], ["run", "--seed", "1", "--check-every", "0"], ["stress", "--seeds", "9..3"], ["run", "--seed", "1", "--profile", "huge"]] {
            #expect(try Executable.run(command, in: directory).status == 64, "\(command)")
        }
    }

    @Test(.enabled(if: Executable.isBuilt))
    func stressListingDependsOnSeedsNotJobs() throws {
        let directory = try scratchDirectory("stress")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let arguments = ["stress", "--seeds", "0..7", "--ops", "300", "--profile", "tiny"] + Self.planted
        let one = try Executable.run(arguments + ["--jobs", "1"], in: directory)
        let two = try Executable.run(arguments + ["--jobs", "2"], in: directory)
        #expect(one.output == two.output)
        #expect(one.output.contains("summary: 8 seeds (0...7)"))
        #expect(one.output.split(separator: "\n").filter { $0.hasPrefix("seed ") }.count == 8)
        #expect(one.status == two.status)
    }
}
