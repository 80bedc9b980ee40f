import BuddyVocabulary

/// The binary form of a program: what libFuzzer mutates and what `.bin` corpus files hold.
///
/// ```
/// offset 0     1 ............ 8   9      13     17
///        [pro] [seed, LE 64 bit]  [rec 0][rec 1][rec 2] ...
///
/// record: [kind] [a] [b] [c]        b, c: one 16-bit little-endian field where used
///         kind:  ProgramOperationKind by share of the 256 byte values
///         a:     low nibble CPU, high nibble order / page / invalid kind (per operation)
/// ```
///
/// Every byte string decodes (nothing is rejected): a missing header byte reads as 0, a field
/// out of range is taken modulo its range, a trailing partial record is ignored. Records have a
/// fixed size, so a mutated byte changes exactly one operation.
public enum ProgramCodec {
    public static let headerSize = 9
    public static let recordSize = 4

    /// Any bytes → a canonical program.
    public static func decode(_ bytes: [UInt8]) -> Program {
        let profileIndex = Int(byte(bytes, 0)) % FuzzingProfiles.all.count
        let profile = FuzzingProfiles.all[profileIndex]
        var seed: UInt64 = 0
        for offset in 0..<8 { seed |= UInt64(byte(bytes, 1 + offset)) << (8 * offset) }
        let recordCount = max(0, bytes.count - headerSize) / recordSize
        var operations: [ProgramOperation] = []
        operations.reserveCapacity(recordCount)
        let geometry = Geometry(profile)
        for index in 0..<recordCount {
            let start = headerSize + index * recordSize
            operations.append(decodeRecord(bytes[start], bytes[start + 1], bytes[start + 2], bytes[start + 3], geometry))
        }
        return Program(profile: profile, seed: seed, operations: operations)
    }

    /// A canonical program → bytes with `decode(encode(p)) == p`.
    ///
    /// Precondition: the program is canonical (its profile is a fuzzing profile and every field
    /// is in range), as every program from `decode`, `ProgramText.parse` and the generator is.
    public static func encode(_ program: Program) -> [UInt8] {
        guard let profileIndex = FuzzingProfiles.index(of: program.profile) else {
            preconditionFailure("profile \(program.profile.name) is not a fuzzing profile")
        }
        var bytes: [UInt8] = [UInt8(profileIndex)]
        bytes.reserveCapacity(headerSize + program.operations.count * recordSize)
        for offset in 0..<8 { bytes.append(UInt8(truncatingIfNeeded: program.seed >> (8 * offset))) }
        for operation in program.operations { bytes.append(contentsOf: encodeRecord(operation)) }
        return bytes
    }

    // MARK: - Records

    /// The profile facts the decoder reduces fields by.
    struct Geometry {
        var cpuCount: Int
        var orderCount: Int
        var nodeCount: Int
        init(_ profile: Profile) {
            cpuCount = ProgramLimits.cpuCount(profile)
            orderCount = min(profile.maxPageOrder + 1, 16)
            nodeCount = profile.nodes.count
        }
    }

    /// The kind each value of a record's first byte selects.
    static let kindTable: [ProgramOperationKind] = {
        var table: [ProgramOperationKind] = []
        for kind in ProgramOperationKind.allCases { table += Array(repeating: kind, count: kind.byteShare) }
        precondition(table.count == 256, "kind shares must add up to 256")
        return table
    }()

    /// The first byte value that selects each kind.
    static let kindFirstByte: [UInt8] = {
        var first: [UInt8] = []
        var next = 0
        for kind in ProgramOperationKind.allCases {
            first.append(UInt8(next))
            next += kind.byteShare
        }
        return first
    }()

    static func byte(_ bytes: [UInt8], _ index: Int) -> UInt8 { index < bytes.count ? bytes[index] : 0 }

    static func decodeRecord(_ kindByte: UInt8, _ a: UInt8, _ b: UInt8, _ c: UInt8, _ geometry: Geometry) -> ProgramOperation {
        let low = Int(a & 0x0F)
        let high = Int(a >> 4)
        let cpu = low % geometry.cpuCount
        let wide = Int(b) | Int(c) << 8
        switch kindTable[Int(kindByte)] {
        case .allocate:
            let gfp = GFPChoice(base: Int(b) % GFPChoice.bases.count, modifiers: c).canonicalized
            return .allocate(cpu: cpu, order: high % geometry.orderCount, gfp: gfp)
        case .free: return .free(cpu: cpu, allocation: wide)
        case .getPage: return .getPage(allocation: wide, page: high)
        case .putPage: return .putPage(cpu: cpu, allocation: wide, page: high)
        case .freeWithExtraReference: return .freeWithExtraReference(cpu: cpu, allocation: wide)
        case .splitPage: return .splitPage(allocation: wide)
        case .drainCPU: return .drainCPU(cpu: cpu)
        case .drainAll: return .drainAll
        case .vmstatTick: return .vmstatTick(cpu: cpu)
        case .kswapdBalanced: return .kswapdBalanced(node: Int(a) % geometry.nodeCount)
        case .isolate: return .isolate(block: wide)
        case .unisolate: return .unisolate(block: wide)
        case .sysctl: return .sysctl(decodeSysctl(selector: Int(a) % 3, raw: wide))
        case .invalid:
            let kind = InvalidOperationKind.allCases[high % InvalidOperationKind.allCases.count]
            return .invalid(InvalidOperation(kind: kind, cpu: cpu, argument: wide))
        }
    }

    static func decodeSysctl(selector: Int, raw: Int) -> SysctlChoice {
        switch selector {
        case 0: return .minFreeKbytes(raw)
        case 1:
            let value = raw % (ProgramLimits.watermarkScaleFactorRange.upperBound + 1)
            return .watermarkScaleFactor(max(value, ProgramLimits.watermarkScaleFactorRange.lowerBound))
        default:
            let value = raw == 0 ? 0 : max(raw, ProgramLimits.percpuPagelistHighFractionMin)
            return .percpuPagelistHighFraction(value)
        }
    }

    static func encodeRecord(_ operation: ProgramOperation) -> [UInt8] {
        let kindByte = kindFirstByte[operation.kind.rawValue]
        func nibbles(low: Int, high: Int) -> UInt8 { UInt8(low & 0x0F) | UInt8((high & 0x0F) << 4) }
        func record(_ a: UInt8, wide: Int) -> [UInt8] {
            [kindByte, a, UInt8(truncatingIfNeeded: wide), UInt8(truncatingIfNeeded: wide >> 8)]
        }
        switch operation {
        case .allocate(let cpu, let order, let gfp):
            return [kindByte, nibbles(low: cpu, high: order), UInt8(gfp.base), gfp.modifiers]
        case .free(let cpu, let allocation): return record(nibbles(low: cpu, high: 0), wide: allocation)
        case .getPage(let allocation, let page): return record(nibbles(low: 0, high: page), wide: allocation)
        case .putPage(let cpu, let allocation, let page): return record(nibbles(low: cpu, high: page), wide: allocation)
        case .freeWithExtraReference(let cpu, let allocation): return record(nibbles(low: cpu, high: 0), wide: allocation)
        case .splitPage(let allocation): return record(0, wide: allocation)
        case .drainCPU(let cpu): return record(nibbles(low: cpu, high: 0), wide: 0)
        case .drainAll: return record(0, wide: 0)
        case .vmstatTick(let cpu): return record(nibbles(low: cpu, high: 0), wide: 0)
        case .kswapdBalanced(let node): return record(UInt8(node), wide: 0)
        case .isolate(let block): return record(0, wide: block)
        case .unisolate(let block): return record(0, wide: block)
        case .sysctl(.minFreeKbytes(let value)): return record(0, wide: value)
        case .sysctl(.watermarkScaleFactor(let value)): return record(1, wide: value)
        case .sysctl(.percpuPagelistHighFraction(let value)): return record(2, wide: value)
        case .invalid(let invalid):
            return record(nibbles(low: invalid.cpu, high: invalid.kind.rawValue), wide: invalid.argument)
        }
    }
}
