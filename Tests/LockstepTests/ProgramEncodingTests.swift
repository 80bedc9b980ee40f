import BuddyVocabulary
import Lockstep
import Testing

@Suite struct ProgramEncodingTests {
    static let seeds: [UInt64] = Array(0..<150) + [0xFFFF_FFFF_FFFF_FFFF, 0xDEAD_BEEF]

    @Test(arguments: seeds)
    func binaryRoundTripOfGeneratedPrograms(seed: UInt64) {
        let program = ProgramGenerator.program(seed: seed, operations: 300)
        #expect(ProgramCodec.decode(ProgramCodec.encode(program)) == program)
    }

    @Test(arguments: seeds)
    func textRoundTripOfGeneratedPrograms(seed: UInt64) throws {
        let program = ProgramGenerator.program(seed: seed, operations: 300)
        let text = ProgramText.render(program)
        #expect(try ProgramText.parse(text, source: "seed-\(seed).ops") == program)
    }

    @Test func anyBytesDecodeToACanonicalProgram() throws {
        var random = Xoshiro256StarStar(seed: 7)
        for length in 0..<300 {
            let bytes = (0..<length).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            let program = ProgramCodec.decode(bytes)
            #expect(program.operations.count == max(0, length - ProgramCodec.headerSize) / ProgramCodec.recordSize)
            #expect(ProgramCodec.decode(ProgramCodec.encode(program)) == program, "length \(length)")
            #expect(try ProgramText.parse(ProgramText.render(program), source: "decoded") == program, "length \(length)")
        }
    }

    @Test func everyKindByteDecodesToItsKind() {
        var seen: [ProgramOperationKind] = []
        for value in 0...255 {
            let bytes: [UInt8] = Array(repeating: 0, count: ProgramCodec.headerSize) + [UInt8(value), 0xFF, 0xFF, 0xFF]
            let kind = ProgramCodec.decode(bytes).operations[0].kind
            if seen.last != kind { seen.append(kind) }
        }
        #expect(seen == ProgramOperationKind.allCases)
    }

    @Test func aMutatedByteChangesOneOperation() {
        let program = ProgramGenerator.program(seed: 11, operations: 64)
        let bytes = ProgramCodec.encode(program)
        var random = Xoshiro256StarStar(seed: 3)
        for _ in 0..<500 {
            var mutated = bytes
            let index = ProgramCodec.headerSize + random.below(bytes.count - ProgramCodec.headerSize)
            mutated[index] = UInt8(truncatingIfNeeded: random.next())
            let changed = zip(ProgramCodec.decode(mutated).operations, program.operations).filter { $0 != $1 }.count
            #expect(changed <= 1)
        }
    }

    @Test func headerSelectsProfileAndSeed() {
        let bytes: [UInt8] = [2, 0x2A, 0, 0, 0, 0, 0, 0, 1]
        let program = ProgramCodec.decode(bytes)
        #expect(program.profile.name == "small")
        #expect(program.seed == 0x0100_0000_0000_002A)
        #expect(program.operations.isEmpty)
        #expect(ProgramCodec.decode([]).profile.name == "tiny")
    }

    @Test func canonicalGFPNeverFormsABadZoneCombination() {
        for base in GFPChoice.bases.indices {
            for modifiers in 0...255 {
                let flags = GFPChoice(base: base, modifiers: UInt8(modifiers)).canonicalized.flags
                let zoneBits = flags.intersection([.dma, .dma32, .highmem])
                #expect(zoneBits.rawValue.nonzeroBitCount <= 1, "base \(GFPChoice.bases[base].name) modifiers \(modifiers)")
                #expect(!flags.isSuperset(of: [.movable, .reclaimable]))
            }
        }
    }

    @Test func readableFormParses() throws {
        let text = """
            buddyfuzz ops v1
            profile tiny
            seed 0x2a
            # a comment
            alloc cpu=1 order=3 gfp=GFP_KERNEL|__GFP_COMP

            get_page #0 page=2
            put_page #0 page=2 cpu=0
            free #4 cpu=0
            free_extra_ref #1 cpu=1
            split_page #2
            drain cpu=1
            drain_all
            vmstat_tick cpu=0
            kswapd_balanced node=0
            isolate block=7
            unisolate block=0
            sysctl min_free_kbytes=1024
            sysctl watermark_scale_factor=200
            sysctl percpu_pagelist_high_fraction=8
            invalid double-free cpu=1 arg=3
            """
        let program = try ProgramText.parse(text, source: "example.ops")
        #expect(program.seed == 42)
        #expect(program.operations.count == 16)
        #expect(program.operations[0] == .allocate(cpu: 1, order: 3, gfp: GFPChoice(base: 0, modifiers: GFPChoice.compBit)))
        #expect(program.operations[15] == .invalid(InvalidOperation(kind: .doubleFree, cpu: 1, argument: 3)))
        #expect(try ProgramText.parse(ProgramText.render(program), source: "again") == program)
    }

    static let malformed: [(String, Int, String)] = [
        ("", 0, "empty file"),
        ("hello\n", 1, "expected 'buddyfuzz ops v1'"),
        ("buddyfuzz ops v2\n", 1, "unsupported format version 'v2'"),
        ("buddyfuzz ops v1\nalloc cpu=0 order=0 gfp=GFP_KERNEL\n", 2, "operation before the 'profile NAME' line"),
        ("buddyfuzz ops v1\nprofile huge\n", 2, "unknown profile 'huge'"),
        ("buddyfuzz ops v1\nprofile tiny\nseed -1\n", 3, "seed '-1'"),
        ("buddyfuzz ops v1\nprofile tiny\n\nfrobnicate\n", 4, "unknown operation 'frobnicate'"),
        ("buddyfuzz ops v1\nprofile tiny\nalloc cpu=0 order=7 gfp=GFP_KERNEL\n", 3, "order 7 is out of range 0...6"),
        ("buddyfuzz ops v1\nprofile tiny\nalloc cpu=2 order=0 gfp=GFP_KERNEL\n", 3, "cpu 2 is out of range 0...1"),
        ("buddyfuzz ops v1\nprofile tiny\nalloc cpu=0 order=0\n", 3, "missing 'gfp='"),
        ("buddyfuzz ops v1\nprofile tiny\nalloc cpu=0 order=0 gfp=GFP_KERNEL|__GFP_BOGUS\n", 3, "unknown gfp flag '__GFP_BOGUS'"),
        ("buddyfuzz ops v1\nprofile tiny\nalloc cpu=0 order=0 gfp=GFP_DMA|__GFP_DMA32\n", 3, "not a valid zone/migratetype combination"),
        ("buddyfuzz ops v1\nprofile tiny\nalloc cpu=0 order=0 gfp=__GFP_COMP\n", 3, "names no base mask"),
        ("buddyfuzz ops v1\nprofile tiny\nfree cpu=0\n", 3, "missing live allocation '#k'"),
        ("buddyfuzz ops v1\nprofile tiny\nfree #x cpu=0\n", 3, "live allocation index 'x' is not a number"),
        ("buddyfuzz ops v1\nprofile tiny\nfree #1 #2 cpu=0\n", 3, "two live allocations given"),
        ("buddyfuzz ops v1\nprofile tiny\nfree #1 cpu=0 order=2\n", 3, "unexpected field 'order='"),
        ("buddyfuzz ops v1\nprofile tiny\ndrain_all now\n", 3, "unexpected word 'now'"),
        ("buddyfuzz ops v1\nprofile tiny\nsysctl percpu_pagelist_high_fraction=3\n", 3, "percpu_pagelist_high_fraction 3 is out of range"),
        ("buddyfuzz ops v1\nprofile tiny\nsysctl watermark_scale_factor=0\n", 3, "watermark_scale_factor 0 is out of range 1...3000"),
        ("buddyfuzz ops v1\nprofile tiny\ninvalid sideways cpu=0 arg=1\n", 3, "'invalid' needs a kind"),
        ("buddyfuzz ops v1\nprofile tiny\nkswapd_balanced node=1\n", 3, "node 1 is out of range 0...0"),
        ("buddyfuzz ops v1\nprofile tiny\ndrain_all\nprofile small\n", 4, "second 'profile' line"),
    ]

    @Test(arguments: malformed)
    func malformedTextNamesFileLineAndProblem(text: String, line: Int, message: String) {
        do {
            _ = try ProgramText.parse(text, source: "bad.ops")
            Issue.record("parsed without error: \(text)")
        } catch {
            #expect(error.source == "bad.ops")
            #expect(error.line == line)
            #expect(error.message.contains(message), "message was: \(error.message)")
        }
    }

    @Test func textIsRecognisedByItsFirstLine() {
        #expect(ProgramText.isText(Array("buddyfuzz ops v1\nprofile tiny\n".utf8)))
        #expect(ProgramText.isText(Array("buddyfuzz ops v9\n".utf8)))
        #expect(!ProgramText.isText([0, 1, 2, 3]))
    }
}
