import BuddyFormats
import BuddyVocabulary
import Lockstep

/// The checked-in seed corpora, generated: `buddyfuzz seed-corpus` writes them and
/// `swift test` checks that the files in `corpus/` are exactly these.
///
/// Lockstep seeds are short scenario programs, each aimed at one path the fuzzer should start
/// from, plus a few swarm-generated programs from fixed seeds. Formats seeds are every
/// built-in profile as JSON, every lockstep seed as an operation file, and GFP masks.
public enum SeedCorpus {
    public struct Seed: Sendable {
        /// The file name inside the target's corpus folder.
        public var name: String
        /// What the seed is for.
        public var purpose: String
        public var bytes: [UInt8]
    }

    /// Generated swarm programs: seeds and length (records; 4 KiB holds about 1,000).
    static let generatedSeeds: [UInt64] = [1, 2, 3, 4]
    static let generatedOperations = 400

    public static var lockstep: [Seed] {
        let scenarios = SeedScenarios.all.map { scenario in
            Seed(name: scenario.name + ".bin", purpose: scenario.purpose, bytes: ProgramCodec.encode(scenario.program))
        }
        let generated = generatedSeeds.map { seed in
            Seed(
                name: "swarm-\(seed).bin", purpose: "swarm-generated program, seed \(seed)",
                bytes: ProgramCodec.encode(ProgramGenerator.program(seed: seed, operations: generatedOperations)))
        }
        return scenarios + generated
    }

    public static var formats: [Seed] {
        let profiles = BuiltInProfiles.all.map { profile in
            Seed(name: "profile-\(profile.name).json", purpose: "built-in profile \(profile.name)", bytes: Array(ProfileJSON.render(profile).utf8))
        }
        let programs = SeedScenarios.all.map { scenario in
            Seed(name: "ops-\(scenario.name).ops", purpose: scenario.purpose, bytes: Array(ProgramText.render(scenario.program).utf8))
        }
        let masks = ["GFP_KERNEL", "GFP_ATOMIC|__GFP_NOWARN", "GFP_HIGHUSER_MOVABLE | __GFP_COMP", "none", "0x400cc0", "__GFP_DMA32|__GFP_RECLAIMABLE"]
        let gfp = masks.enumerated().map { index, mask in
            Seed(name: "gfp-\(index).txt", purpose: "GFP mask \(mask)", bytes: Array(mask.utf8))
        }
        return profiles + programs + gfp
    }

    /// The seeds of a fuzz target by name.
    public static func seeds(for target: String) -> [Seed] {
        switch target {
        case "lockstep": lockstep
        case "formats": formats
        default: []
        }
    }
}

/// Hand-written programs, each reaching one path of the allocator.
enum SeedScenarios {
    struct Scenario {
        var name: String
        var purpose: String
        var program: Program
    }

    /// Appends operations, `count` times each.
    struct Builder {
        var operations: [ProgramOperation] = []
        mutating func add(_ count: Int, _ operation: ProgramOperation) {
            operations.append(contentsOf: repeatElement(operation, count: count))
        }
        mutating func add(_ list: [ProgramOperation]) { operations.append(contentsOf: list) }
    }

    static let tiny = BuiltInProfiles.tiny
    static let movable = GFPChoice(base: 3)
    static let movableCompound = GFPChoice(base: 3, modifiers: GFPChoice.compBit)
    static let kernel = GFPChoice.kernel
    static let kernelCompound = GFPChoice(base: 0, modifiers: GFPChoice.compBit)
    static let atomic = GFPChoice(base: 1)
    static let reclaimable = GFPChoice(base: 0, modifiers: 1 << 1)
    static let thisNode = GFPChoice(base: 0, modifiers: 1 << 7)

    static var all: [Scenario] {
        [pcpRefillAndSpill, claimAndSteal, highatomic, isolation, extraReference, badFrees, sysctlAndDecay, numa]
    }

    static func scenario(_ name: String, _ purpose: String, profile: Profile = tiny, _ build: (inout Builder) -> Void) -> Scenario {
        var builder = Builder()
        build(&builder)
        return Scenario(name: name, purpose: purpose, program: Program(profile: profile, seed: 0, operations: builder.operations))
    }

    /// `rmqueue_bulk` refills an empty pcp list; `free_pcppages_bulk` spills it past `high`.
    static var pcpRefillAndSpill: Scenario {
        scenario("pcp-refill-and-spill", "pcp refill (rmqueue_bulk) and spill (free_pcppages_bulk)") { program in
            program.add(64, .allocate(cpu: 0, order: 0, gfp: movable))
            program.add(64, .free(cpu: 0, allocation: 0))
            program.add(8, .allocate(cpu: 1, order: 2, gfp: movable))
            program.add(8, .free(cpu: 1, allocation: 0))
            program.add(8, .allocate(cpu: 1, order: 3, gfp: movableCompound))
            program.add(8, .free(cpu: 0, allocation: 0))
            program.add([.drainCPU(cpu: 1), .drainAll])
        }
    }

    /// Unmovable and reclaimable requests fall back to MOVABLE pageblocks and claim them
    /// whole (`try_to_claim_block`). Once every pageblock is UNMOVABLE and full, a split page
    /// gives back three pages in blocks of order < 2, which a MOVABLE request may not claim
    /// (`should_try_claim_block`): it steals one (`__rmqueue_steal`).
    ///
    /// `free #0` after `split_page #0` frees the head, then the split's last pages, which the
    /// harness's live list swaps into index 0.
    static var claimAndSteal: Scenario {
        scenario("claim-and-steal", "fallback claim (try_to_claim_block) and steal (__rmqueue_steal)") { program in
            program.add([.sysctl(.minFreeKbytes(0)), .sysctl(.watermarkScaleFactor(1)), .allocate(cpu: 0, order: 4, gfp: kernel)])
            program.add(4, .allocate(cpu: 1, order: 0, gfp: reclaimable))
            program.add(60, .allocate(cpu: 0, order: 6, gfp: kernel))
            program.add(8, .allocate(cpu: 0, order: 4, gfp: kernel))
            program.add(8, .allocate(cpu: 0, order: 2, gfp: kernel))
            program.add(16, .allocate(cpu: 0, order: 0, gfp: kernel))
            program.add([.splitPage(allocation: 0)])
            program.add(3, .free(cpu: 0, allocation: 0))
            program.add([.drainAll])
            program.add(4, .allocate(cpu: 1, order: 0, gfp: movable))
        }
    }

    /// High-order atomic allocations under pressure reserve a HIGHATOMIC pageblock
    /// (`reserve_highatomic_pageblock`); failing allocations give it back
    /// (`unreserve_highatomic_pageblock`).
    static var highatomic: Scenario {
        scenario("highatomic-reserve-unreserve", "reserve_highatomic_pageblock and unreserve_highatomic_pageblock") { program in
            program.add(56, .allocate(cpu: 0, order: 6, gfp: movable))
            program.add(24, .allocate(cpu: 0, order: 2, gfp: atomic))
            program.add(8, .free(cpu: 0, allocation: 56))
            program.add(16, .allocate(cpu: 1, order: 1, gfp: atomic))
            program.add(24, .allocate(cpu: 0, order: 3, gfp: movable))
            program.add(16, .allocate(cpu: 0, order: 4, gfp: kernel))
            program.add(8, .free(cpu: 1, allocation: 0))
            program.add(16, .allocate(cpu: 0, order: 2, gfp: atomic))
        }
    }

    /// `set_migratetype_isolate` moves a pageblock's free pages to the ISOLATE list; frees into
    /// it stay there; `unset_migratetype_isolate` gives them back; both refuse a second call.
    static var isolation: Scenario {
        scenario("isolation", "set_migratetype_isolate and unset_migratetype_isolate") { program in
            program.add(4, .allocate(cpu: 0, order: 4, gfp: movable))
            program.add([.isolate(block: 5), .isolate(block: 5), .isolate(block: 40)])
            program.add(4, .free(cpu: 0, allocation: 0))
            program.add(4, .allocate(cpu: 1, order: 0, gfp: movable))
            program.add([.drainAll, .unisolate(block: 0), .unisolate(block: 0), .unisolate(block: 0), .isolate(block: 6)])
        }
    }

    /// `__free_pages` of a non-compound page while another reference is held frees the tail
    /// halves and keeps the head; compound pages go back whole on the last `put_page`.
    static var extraReference: Scenario {
        scenario("free-extra-reference", "__free_pages with an extra reference; get_page/put_page; split_page") { program in
            program.add([.allocate(cpu: 0, order: 3, gfp: kernel), .freeWithExtraReference(cpu: 0, allocation: 0)])
            program.add([.putPage(cpu: 0, allocation: 0, page: 0), .allocate(cpu: 1, order: 2, gfp: kernelCompound)])
            program.add([.getPage(allocation: 0, page: 2), .putPage(cpu: 1, allocation: 0, page: 3), .putPage(cpu: 1, allocation: 0, page: 0)])
            program.add([.allocate(cpu: 0, order: 2, gfp: movable), .splitPage(allocation: 0)])
            program.add([.free(cpu: 0, allocation: 1), .free(cpu: 1, allocation: 0)])
        }
    }

    /// Every refused call: each bad-free reason and the other invalid calls, with the state
    /// left intact.
    static var badFrees: Scenario {
        scenario("bad-frees", "every bad-free reason and invalid call is refused") { program in
            program.add([.allocate(cpu: 0, order: 2, gfp: kernel), .allocate(cpu: 0, order: 3, gfp: kernelCompound)])
            program.add([.allocate(cpu: 1, order: 0, gfp: movable), .free(cpu: 1, allocation: 2)])
            for kind in InvalidOperationKind.allCases {
                program.add(1, .invalid(InvalidOperation(kind: kind, cpu: 0, argument: 1)))
            }
        }
    }

    /// Sysctl writes recompute watermarks and pcp sizes; the vmstat worker decays `pcp->high`.
    static var sysctlAndDecay: Scenario {
        scenario("sysctl-and-decay", "setup_per_zone_wmarks, zone_set_pageset_high_and_batch, decay_pcp_high") { program in
            program.add([.sysctl(.watermarkScaleFactor(1000)), .sysctl(.percpuPagelistHighFraction(8))])
            program.add(32, .allocate(cpu: 0, order: 0, gfp: movable))
            program.add(32, .free(cpu: 0, allocation: 0))
            program.add(6, .vmstatTick(cpu: 0))
            program.add([.sysctl(.percpuPagelistHighFraction(0)), .sysctl(.minFreeKbytes(2048)), .kswapdBalanced(node: 0)])
        }
    }

    /// Two nodes: zonelists across nodes, `__GFP_THISNODE`, per-node CPUs.
    static var numa: Scenario {
        scenario("numa", "zonelist fallback across nodes on tiny-numa", profile: BuiltInProfiles.tinyNUMA) { program in
            for cpu in 0..<4 { program.add(6, .allocate(cpu: cpu, order: 5, gfp: movable)) }
            program.add(4, .allocate(cpu: 3, order: 2, gfp: thisNode))
            program.add(8, .free(cpu: 2, allocation: 0))
            program.add([.kswapdBalanced(node: 1), .drainAll])
        }
    }
}
