import BuddyVocabulary
import Foundation

/// Program files on disk: `.ops` (text, recognised by its first line) or anything else
/// (binary, which always decodes).
public enum ProgramFile {
    /// Reads and decodes a file of either form; errors name the file and, for text, the line.
    public static func load(_ path: String) throws(ProgramTextError) -> Program {
        let bytes = try read(path)
        return try decode(bytes, source: path)
    }

    public static func decode(_ bytes: [UInt8], source: String) throws(ProgramTextError) -> Program {
        guard ProgramText.isText(bytes) else { return ProgramCodec.decode(bytes) }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw ProgramTextError(source: source, line: 0, message: "text operation file is not valid UTF-8")
        }
        return try ProgramText.parse(text, source: source)
    }

    public static func read(_ path: String) throws(ProgramTextError) -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else {
            let exists = FileManager.default.fileExists(atPath: path)
            throw ProgramTextError(source: path, line: 0, message: exists ? "cannot read the file" : "no such file")
        }
        return [UInt8](data)
    }

    /// Writes the program in both forms, `base.bin` and `base.ops`; returns their paths.
    @discardableResult
    public static func writeBoth(_ program: Program, base: String) throws -> (binary: String, text: String) {
        let binary = base + ".bin"
        let text = base + ".ops"
        try Data(ProgramCodec.encode(program)).write(to: URL(fileURLWithPath: binary))
        try Data(ProgramText.render(program).utf8).write(to: URL(fileURLWithPath: text))
        return (binary, text)
    }
}

/// Findings on disk: the program in both forms plus the report, named after the failure's
/// bucket so a directory of findings reads as a list of distinct bugs.
public enum FindingFiles {
    /// `divergence-outcome-put_page-tiny-seed42`.
    public static func baseName(title: String, program: Program) -> String {
        "\(slug(title))-\(program.profile.name)-seed\(program.seed)"
    }

    /// Lower-case letters, digits and `_` kept, every other run of characters one `-`.
    public static func slug(_ title: String) -> String {
        var result = ""
        for character in title.lowercased() {
            if character.isASCII && (character.isLetter || character.isNumber || character == "_") {
                result.append(character)
            } else if !result.hasSuffix("-") && !result.isEmpty {
                result.append("-")
            }
        }
        return result.hasSuffix("-") ? String(result.dropLast()) : result
    }

    /// Writes `NAME.bin`, `NAME.ops` and `NAME.txt` (the preamble, such as the generator's
    /// derived options, the report and the reproduce commands) into `directory`, creating it.
    /// Returns the path of the text program.
    @discardableResult
    public static func write(program: Program, report: RunReport, directory: String, replayFlags: String, preamble: String = "") throws -> String {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let base = (directory as NSString).appendingPathComponent(baseName(title: report.title, program: program))
        let (_, text) = try ProgramFile.writeBoth(program, base: base)
        let reportText = (preamble.isEmpty ? "" : preamble + "\n") + report.text + reproduceLines(file: text, replayFlags: replayFlags) + "\n"
        try Data(reportText.utf8).write(to: URL(fileURLWithPath: base + ".txt"))
        return text
    }

    /// The two commands every failure ends with.
    public static func reproduceLines(file: String, replayFlags: String) -> String {
        """
        Reproduce with: swift run -c release buddyfuzz replay \(file)\(replayFlags)
        Minimize with: swift run -c release buddyfuzz minimize \(file)\(replayFlags)
        """
    }
}
