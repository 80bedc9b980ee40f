import Foundation

/// Replays a directory of program files as regression tests.
///
/// Every `.bin` and `.ops` file under the directory (recursively, paths sorted) runs through the
/// lockstep runner. A file `NAME.expect` next to `NAME.ops` or `NAME.bin` holds the expected
/// failure title on its first line that is neither blank nor a `#` comment (`passed` or no
/// file: the program must pass). Anything else is an unexpected finding.
public struct CorpusReplay {
    public var configuration: LockstepConfiguration

    public init(configuration: LockstepConfiguration = LockstepConfiguration()) {
        self.configuration = configuration
    }

    /// One replayed file.
    public struct Entry: Sendable {
        public var path: String
        /// The expected title (`passed` when there is no expectation file).
        public var expected: String
        /// The report, or nil when the file could not be read or parsed.
        public var report: RunReport?
        /// Why the file could not be replayed.
        public var error: String?

        /// The title found: the report's, or the error.
        public var found: String { report?.title ?? "bad file: \(error ?? "")" }
        public var isUnexpected: Bool { report?.title != expected }
    }

    public func replay(directory: String) -> [Entry] {
        let runner = LockstepRunner(configuration: configuration)
        return CorpusReplay.files(in: directory).map { path in
            let expected = CorpusReplay.expectation(for: path)
            do {
                let program = try ProgramFile.load(path)
                return Entry(path: path, expected: expected, report: runner.run(program), error: nil)
            } catch {
                return Entry(path: path, expected: expected, report: nil, error: String(describing: error))
            }
        }
    }

    /// The `.bin` and `.ops` files under `directory`, sorted by path.
    public static func files(in directory: String) -> [String] {
        guard let enumerator = FileManager.default.enumerator(atPath: directory) else { return [] }
        var paths: [String] = []
        while let relative = enumerator.nextObject() as? String {
            if relative.hasSuffix(".bin") || relative.hasSuffix(".ops") {
                paths.append((directory as NSString).appendingPathComponent(relative))
            }
        }
        return paths.sorted()
    }

    /// The expected title for a program file.
    public static func expectation(for path: String) -> String {
        let expectPath = (path as NSString).deletingPathExtension + ".expect"
        guard let data = FileManager.default.contents(atPath: expectPath), let text = String(data: data, encoding: .utf8) else {
            return "passed"
        }
        let line = text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
            .first { !$0.isEmpty && !$0.hasPrefix("#") }
        return line ?? "passed"
    }
}
