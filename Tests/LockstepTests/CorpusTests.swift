import BuddyVocabulary
import Foundation
import Lockstep
import Testing

@Suite struct CorpusTests {
    static let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("corpus").path

    @Test func everyCorpusFileReplaysAsExpected() {
        let entries = CorpusReplay().replay(directory: Self.corpus)
        #expect(!entries.isEmpty, "no .ops or .bin file under \(Self.corpus)")
        for entry in entries where entry.isUnexpected {
            Issue.record("\(entry.path): expected '\(entry.expected)', found '\(entry.found)'\n\(entry.report?.text ?? "")")
        }
    }

    @Test func expectationFilesNameTheTitle() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("buddyfuzz-corpus-\(getpid())").path
        try? FileManager.default.removeItem(atPath: directory)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let planted = """
            buddyfuzz ops v1
            profile tiny
            seed 1
            alloc cpu=0 order=2 gfp=GFP_KERNEL|__GFP_COMP
            free_extra_ref #0 cpu=0
            put_page #0 page=1 cpu=0

            """
        func write(_ name: String, _ text: String) throws {
            try Data(text.utf8).write(to: URL(fileURLWithPath: (directory as NSString).appendingPathComponent(name)))
        }
        try write("a-expected.ops", planted)
        try write("a-expected.expect", "# known\n\ndivergence: outcome: put_page\n")
        try write("b-unexpected.ops", planted)
        try write("c-bad.ops", "buddyfuzz ops v1\nprofile tiny\nfree #0\n")
        try ProgramFile.writeBoth(try ProgramText.parse(planted, source: "planted"), base: (directory as NSString).appendingPathComponent("d-binary"))
        try write("d-binary.expect", "divergence: outcome: put_page\n")
        try write("e-ignored.txt", "not a program")

        let configuration = LockstepConfiguration(allocators: .lockstep(reference: .reference, subject: .reference), plantedDivergence: true)
        let entries = CorpusReplay(configuration: configuration).replay(directory: directory)
        #expect(entries.map { ($0.path as NSString).lastPathComponent } == ["a-expected.ops", "b-unexpected.ops", "c-bad.ops", "d-binary.bin", "d-binary.ops"])
        #expect(entries.map(\.isUnexpected) == [false, true, true, false, false])
        #expect(entries[1].expected == "passed")
        #expect(entries[2].found.contains("c-bad.ops:3: missing 'cpu='"))
    }
}
