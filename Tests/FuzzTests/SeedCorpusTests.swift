import Foundation
import Testing
@testable import FuzzSupport

@Suite("Seed corpus")
struct SeedCorpusTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func files(_ folder: String) -> [URL] {
        let url = root.appendingPathComponent(folder)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []
        return names.sorted().map { url.appendingPathComponent($0) }
    }

    @Test("The checked-in seed corpora are exactly what `buddyfuzz seed-corpus` generates", arguments: ["lockstep", "formats"])
    func checkedInMatchesGenerator(target: String) throws {
        for seed in SeedCorpus.seeds(for: target) {
            let path = Self.root.appendingPathComponent("corpus/\(target)/\(seed.name)").path
            let bytes = FileManager.default.contents(atPath: path).map { [UInt8]($0) }
            #expect(bytes == seed.bytes, "corpus/\(target)/\(seed.name) is stale: run `swift run buddyfuzz seed-corpus`")
        }
    }

    @Test("Every seed fits libFuzzer's -max_len, so none is cut short when loaded")
    func seedsFit() {
        for seed in SeedCorpus.lockstep { #expect(seed.bytes.count <= 4096, "\(seed.name): \(seed.bytes.count) bytes") }
    }

    @Test("Every lockstep seed passes a lockstep run of the reference against the optimized allocator")
    func lockstepSeedsPass() {
        let runner = FuzzHarness.runner(plantedDivergence: false)
        for seed in SeedCorpus.lockstep {
            let report = runner.run(ProgramCodec.decode(seed.bytes))
            #expect(report.verdict == .passed, "\(seed.name): \(report.title)")
        }
    }

    @Test("Every file of corpus/formats goes through every parser without a trap")
    func formatsCorpusReplays() {
        var accepted: FormatsCheck.Accepted = []
        for file in Self.files("corpus/formats") {
            accepted.formUnion(FormatsCheck.run([UInt8](FileManager.default.contents(atPath: file.path) ?? Data())))
        }
        #expect(accepted == [.program, .profile, .gfp], "the formats seeds reach every parser")
    }
}
