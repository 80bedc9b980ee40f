import BuddyVocabulary
import Foundation
import Testing
@testable import FuzzSupport

@Suite("Fuzz support")
struct FuzzSupportTests {
    @Test("SHA-1 matches the FIPS 180 test vectors, so reproducers share libFuzzer's artifact names")
    func sha1Vectors() {
        #expect(SHA1.hex([]) == "da39a3ee5e6b4b0d3255bfef95601890afd80709")
        #expect(SHA1.hex(Array("abc".utf8)) == "a9993e364706816aba3e25717850c26c9cd0d89d")
        #expect(SHA1.hex(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)) == "84983e441c3bd26ebaae4aa1f95129e5e54670f1")
        #expect(SHA1.hex([UInt8](repeating: 0x61, count: 1000)) == "291e9a6c66994949b57ba5e650361e98fc36b1ba")
    }

    @Test("A finding's report names its verdict and title in a header triage reads back")
    func reportHeaderRoundTrip() {
        let program = ProgramCodec.decode([0, 7] + [UInt8](repeating: 0x21, count: 40))
        let report = RunReport(verdict: .divergence, title: "divergence: outcome: alloc_pages", operationsRun: 3, failingOperationIndex: 2, text: "first divergence at operation 3\n")
        let settings = FuzzSettings(findingsDirectory: "findings/lockstep", plantedDivergence: true)
        let recorder = FindingRecorder(target: "lockstep", settings: settings)
        let paths = recorder.paths(for: [1, 2, 3])
        let text = FindingReport(target: "lockstep", paths: paths, program: program, report: report, settings: settings).text
        let header = Dictionary(uniqueKeysWithValues: FindingReport.header(of: text).map { ($0.key, $0.value) })
        #expect(header["title"] == "divergence: outcome: alloc_pages")
        #expect(header["verdict"] == "divergence")
        #expect(header["target"] == "lockstep")
        #expect(header["input"] == "findings/lockstep/crash-7037807198c22a7d2b0807371d763779a84fdfcf")
        #expect(text.contains("Reproduce with: swift run -c release buddyfuzz replay findings/lockstep/crash-7037807198c22a7d2b0807371d763779a84fdfcf --planted-divergence"))
        #expect(text.contains("Minimize with: swift run -c release buddyfuzz minimize findings/lockstep/crash-7037807198c22a7d2b0807371d763779a84fdfcf --planted-divergence"))
        #expect(FindingReport.header(of: "not a report\ntitle: x").isEmpty)
    }

    @Test("The recorder writes the input, the program and the report before anything traps")
    func recorderWritesThreeFiles() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("buddyfuzz-recorder-\(SHA1.hex(Array(#function.utf8)))").path
        try? FileManager.default.removeItem(atPath: folder)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let bytes: [UInt8] = [1, 2] + [UInt8](repeating: 9, count: 24)
        let program = ProgramCodec.decode(bytes)
        let report = RunReport(verdict: .invariantViolation, title: "invariant: free counts", operationsRun: 1, failingOperationIndex: 0, text: "details\n")
        let paths = FindingRecorder(target: "lockstep", settings: FuzzSettings(findingsDirectory: folder)).record(bytes: bytes, program: program, report: report)
        #expect(FileManager.default.contents(atPath: paths.input).map { [UInt8]($0) } == bytes)
        #expect(String(decoding: FileManager.default.contents(atPath: paths.program) ?? Data(), as: UTF8.self) == ProgramText.render(program))
        #expect(String(decoding: FileManager.default.contents(atPath: paths.report) ?? Data(), as: UTF8.self).hasPrefix(FindingReport.firstLine))
    }
}

@Suite("Operation-level mutator")
struct ProgramMutatorTests {
    /// A byte mutator that flips the first byte, so the fallback is visible.
    let mutator = ProgramMutator { bytes, size in
        if size > 0 { bytes[0] ^= 0xFF }
        return size
    }

    func sample(_ count: Int) -> [UInt8] {
        var random = SplitMix64(seed: 11)
        return (0..<count).map { _ in UInt8.random(in: 0...255, using: &random) }
    }

    @Test("Every mutation yields an input within the size limit that decodes to whole records")
    func mutationsKeepRecords() {
        let input = sample(200)
        let header = ProgramCodec.encode(ProgramCodec.decode([])).count
        let record = ProgramCodec.encode(ProgramCodec.decode(input)).count - header
        let recordSize = record / ProgramCodec.decode(input).operations.count
        for seed in UInt32(0)..<500 {
            let output = mutator.mutate(input, maxSize: 120, seed: seed)
            #expect(output.count <= 120, "seed \(seed)")
            let canonical = ProgramCodec.encode(ProgramCodec.decode(output))
            if output == canonical { #expect((output.count - header) % recordSize == 0, "seed \(seed)") }
        }
    }

    @Test("A mutation is a function of the input and the seed")
    func deterministic() {
        let input = sample(120)
        for seed in UInt32(0)..<50 {
            #expect(mutator.mutate(input, maxSize: 4096, seed: seed) == mutator.mutate(input, maxSize: 4096, seed: seed))
        }
    }

    @Test("Insertions, deletions and duplications change the number of operations")
    func operationCountChanges() {
        let input = sample(122)
        let before = ProgramCodec.decode(input).operations.count
        var counts: Set<Int> = []
        for seed in UInt32(0)..<300 { counts.insert(ProgramCodec.decode(mutator.mutate(input, maxSize: 4096, seed: seed)).operations.count) }
        #expect(counts.contains { $0 > before })
        #expect(counts.contains { $0 < before })
        #expect(counts.contains(before))
    }

    @Test("Each operation-level mutation changes some program, and swaps keep the multiset")
    func everyMutationActs() {
        let program = ProgramCodec.decode(sample(202))
        for mutation in ProgramMutator.Mutation.allCases where mutation != .bytes {
            var changed = false
            for seed in UInt64(0)..<200 where !changed {
                var random = SplitMix64(seed: seed)
                var mutated = program
                mutator.apply(mutation, to: &mutated, using: &random)
                changed = mutated != program
                if mutation == .swapOperations {
                    #expect(mutated.operations.count == program.operations.count)
                }
            }
            #expect(changed, "\(mutation) never changed the program")
        }
    }

    @Test("Cross-over splices two programs at operation boundaries")
    func crossOver() {
        let first = ProgramCodec.decode(sample(82)).operations
        let second = ProgramCodec.decode(sample(162)).operations
        for seed in UInt32(0)..<50 {
            let crossed = ProgramCodec.decode(mutator.crossOver(ProgramCodec.encode(ProgramCodec.decode(sample(82))), sample(162), maxSize: 4096, seed: seed)).operations
            let prefix = crossed.prefix { op in first.contains(op) }
            #expect(crossed.count <= first.count + second.count)
            #expect(crossed.dropFirst(prefix.count).allSatisfy { second.contains($0) })
        }
    }
}
