import Foundation
import Lockstep
import Testing

/// Every minimized finding in `corpus/regressions/` replays through the lockstep runner with the
/// default configuration (reference against optimized, a full check every 1024 operations and
/// after the last one, the liveness phase) and must pass, unless `NAME.expect` next to it names
/// the failure title it must end with (its first line that is neither blank nor a `#` comment).
@Suite struct RegressionCorpusTests {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("corpus/regressions").path

    static var files: [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.filter { $0.hasSuffix(".ops") }.sorted()
    }

    static func expectedTitle(_ name: String) -> String {
        let path = (directory as NSString).appendingPathComponent((name as NSString).deletingPathExtension + ".expect")
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return "passed" }
        let lines = text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        return lines.first { !$0.isEmpty && !$0.hasPrefix("#") } ?? "passed"
    }

    @Test func theCorpusIsNotEmpty() {
        #expect(!Self.files.isEmpty, "no .ops file in \(Self.directory)")
    }

    @Test("Each regression replays with its expected verdict", arguments: files)
    func replays(_ name: String) throws {
        let program = try ProgramFile.load((Self.directory as NSString).appendingPathComponent(name))
        let report = LockstepRunner(configuration: LockstepConfiguration()).run(program)
        #expect(report.title == Self.expectedTitle(name), "\(report.text)")
    }
}
