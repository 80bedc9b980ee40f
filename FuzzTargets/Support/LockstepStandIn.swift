import BuddyVocabulary

// A stand-in for the lockstep harness's public API (`Program`, `ProgramCodec`, `ProgramText`,
// `LockstepRunner`, `RunReport`), with the same names and shapes, so that the fuzz targets and
// the campaign plumbing build and run before the harness exists. It decodes bytes into
// operations and runs no allocator. Replacing this file by `@_exported import Lockstep` is the
// whole switch.

/// A decoded fuzz input: the profile it runs on, its seed and its operations.
public struct Program: Hashable, Sendable {
    public var profile: Profile
    public var seed: UInt64
    public var operations: [Operation]
    public init(profile: Profile, seed: UInt64, operations: [Operation]) {
        self.profile = profile
        self.seed = seed
        self.operations = operations
    }
}

/// Bytes to program and back: any bytes decode to a valid program of fixed-size records.
public enum ProgramCodec {
    static let profiles = [BuiltInProfiles.tiny, BuiltInProfiles.tinyNUMA]
    static let headerSize = 2
    static let recordSize = 6

    public static func decode(_ bytes: [UInt8]) -> Program {
        let profile = profiles[Int(bytes.first ?? 0) % profiles.count]
        let seed = UInt64(bytes.count > 1 ? bytes[1] : 0)
        var operations: [Operation] = []
        var index = headerSize
        while index + recordSize <= bytes.count {
            operations.append(operation(Array(bytes[index..<(index + recordSize)])))
            index += recordSize
        }
        return Program(profile: profile, seed: seed, operations: operations)
    }

    public static func encode(_ program: Program) -> [UInt8] {
        var bytes: [UInt8] = [UInt8(profiles.firstIndex(of: program.profile) ?? 0), UInt8(truncatingIfNeeded: program.seed)]
        for operation in program.operations { bytes += record(operation) }
        return bytes
    }

    static func operation(_ record: [UInt8]) -> Operation {
        let cpu = CPUID(Int(record[1] & 1))
        let order = Order(Int(record[2] % 7))
        let pfn = PFN(Int(record[3]) << 8 | Int(record[4]))
        switch record[0] % 5 {
        case 0: return .allocate(cpu: cpu, order: order, gfp: GFPFlags(rawValue: UInt32(record[5]) << 2))
        case 1: return .freePages(cpu: cpu, pfn: pfn, order: order)
        case 2: return .splitPage(pfn: pfn, order: order)
        case 3: return .drainCPU(cpu: cpu)
        default: return .isolatePageblock(pfn: pfn)
        }
    }

    static func record(_ operation: Operation) -> [UInt8] {
        func pfnBytes(_ pfn: PFN) -> [UInt8] { [UInt8(truncatingIfNeeded: pfn.rawValue >> 8), UInt8(truncatingIfNeeded: pfn.rawValue)] }
        switch operation {
        case let .allocate(cpu, order, gfp): return [0, UInt8(cpu.rawValue), UInt8(order.rawValue), 0, 0, UInt8(truncatingIfNeeded: gfp.rawValue >> 2)]
        case let .freePages(cpu, pfn, order): return [1, UInt8(cpu.rawValue), UInt8(order.rawValue)] + pfnBytes(pfn) + [0]
        case let .splitPage(pfn, order): return [2, 0, UInt8(order.rawValue)] + pfnBytes(pfn) + [0]
        case let .drainCPU(cpu): return [3, UInt8(cpu.rawValue), 0, 0, 0, 0]
        case let .isolatePageblock(pfn): return [4, 0, 0] + pfnBytes(pfn) + [0]
        default: return [3, 0, 0, 0, 0, 0]
        }
    }
}

public struct ProgramTextError: Error, CustomStringConvertible {
    public var description: String
}

/// The readable program format.
public enum ProgramText {
    public static func parse(_ text: String, source: String) throws -> Program {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard lines.first == "buddyfuzz ops v1" else { throw ProgramTextError(description: "\(source):1: expected 'buddyfuzz ops v1'") }
        return Program(profile: BuiltInProfiles.tiny, seed: 0, operations: [])
    }

    public static func render(_ program: Program) -> String {
        var text = "buddyfuzz ops v1\nprofile \(program.profile.name)\nseed \(program.seed)\n"
        for operation in program.operations { text += "\(operation)\n" }
        return text
    }
}

public enum Verdict: String, Sendable {
    case passed, divergence, invariantViolation, livenessFailure
    public var exitStatus: Int32 {
        switch self {
        case .passed: 0
        case .divergence: 1
        case .invariantViolation: 2
        case .livenessFailure: 3
        }
    }
}

public struct RunReport: Sendable {
    public var verdict: Verdict
    public var title: String
    public var operationsRun: Int
    public var text: String
}

public struct LockstepConfiguration: Sendable {
    public var plantedDivergence = false
    public init(plantedDivergence: Bool = false) { self.plantedDivergence = plantedDivergence }
}

public final class LockstepRunner {
    let configuration: LockstepConfiguration
    public init(configuration: LockstepConfiguration) { self.configuration = configuration }

    /// The planted divergence: a split of an order-5 page right after an order-5 allocation.
    public func run(_ program: Program) -> RunReport {
        var previous: Operation?
        for (index, operation) in program.operations.enumerated() {
            if configuration.plantedDivergence, case .allocate(_, Order(5), _) = previous, case .splitPage(_, Order(5)) = operation {
                let title = "divergence: outcome: split_page"
                return RunReport(verdict: .divergence, title: title, operationsRun: index + 1, text: "\(title)\n\(ProgramText.render(program))")
            }
            previous = operation
        }
        return RunReport(verdict: .passed, title: "passed", operationsRun: program.operations.count, text: "passed\n")
    }
}

/// Shrinks a failing program by operations while it keeps the same failure title.
public enum ProgramMinimizer {
    public static func minimize(_ program: Program, runner: LockstepRunner, progress: (String) -> Void = { _ in }) -> Program {
        let title = runner.run(program).title
        var current = program
        var index = 0
        while index < current.operations.count {
            var candidate = current
            candidate.operations.remove(at: index)
            if runner.run(candidate).title == title {
                current = candidate
                progress("\(current.operations.count) operations")
            } else {
                index += 1
            }
        }
        return current
    }
}
