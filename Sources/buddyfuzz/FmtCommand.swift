import ArgumentParser
import Foundation
import Lockstep

/// `buddyfuzz fmt`: converts a program between the binary and the text form.
struct FmtCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fmt",
        abstract: "Convert a program file between the binary and the text form.")

    enum Form: String, ExpressibleByArgument, CaseIterable {
        case text, binary
    }

    @Argument(help: "A program file (.bin or .ops).")
    var file: String

    @Option(help: "The form to write; default: the other one.")
    var to: Form?

    @Option(name: .short, help: "Output file; default: standard output.")
    var output: String?

    func run() throws {
        let bytes: [UInt8]
        do {
            bytes = try ProgramFile.read(file)
        } catch {
            printError("buddyfuzz: error: \(error)")
            throw ExitCode(ExitStatus.badInput)
        }
        let program = try loadProgram(file)
        let form = to ?? (ProgramText.isText(bytes) ? .binary : .text)
        let converted: [UInt8] = form == .text ? Array(ProgramText.render(program).utf8) : ProgramCodec.encode(program)
        if let output {
            try Data(converted).write(to: URL(fileURLWithPath: output))
        } else {
            FileHandle.standardOutput.write(Data(converted))
        }
    }
}
