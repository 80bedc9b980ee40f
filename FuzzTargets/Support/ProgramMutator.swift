/// Structure-aware mutations for the lockstep target (`LLVMFuzzerCustomMutator`): inputs are
/// decoded into programs, mutated as operations, and encoded again, so every mutation keeps
/// the record boundaries that byte mutations break. libFuzzer's byte mutations stay one choice
/// among the others, because they find the values (PFNs, flags) no operation-level rule aims at.
///
/// The mutator knows the codec only through `ProgramCodec.decode` and `encode`: the header and
/// record sizes are measured from the codec itself.
public struct ProgramMutator: Sendable {
    /// A mutation of the operation list, or the byte fallback.
    public enum Mutation: CaseIterable, Sendable {
        case insertOperation, deleteOperations, duplicateOperations, swapOperations, moveOperation
        case changeOrder, changeCPU, changeGFP, changeTarget, changeHeader, bytes
    }

    /// libFuzzer's byte mutator (`LLVMFuzzerMutate`): mutates `bytes[0..<size]` in place within
    /// `bytes.count` capacity and returns the new size.
    public typealias ByteMutator = @Sendable (_ bytes: inout [UInt8], _ size: Int) -> Int

    let byteMutator: ByteMutator
    let headerSize: Int
    let recordSize: Int
    /// The longest run of operations one deletion or duplication touches.
    static let runLengthMax = 8
    /// The share of calls, in percent, that use libFuzzer's byte mutations.
    static let bytePercent = 50

    public init(byteMutator: @escaping ByteMutator) {
        self.byteMutator = byteMutator
        let empty = ProgramCodec.encode(ProgramCodec.decode([]))
        let probe = ProgramCodec.decode([UInt8](repeating: 0, count: 4096))
        let single = ProgramCodec.encode(Program(profile: probe.profile, seed: probe.seed, operations: Array(probe.operations.prefix(1))))
        headerSize = empty.count
        recordSize = max(1, single.count - empty.count)
    }

    /// Mutates `bytes` into a new input of at most `maxSize` bytes.
    public func mutate(_ bytes: [UInt8], maxSize: Int, seed: UInt32) -> [UInt8] {
        var random = SplitMix64(seed: UInt64(seed) | 0x5EED_0000_0000)
        // Half of the calls keep libFuzzer's byte mutations, which are guided by the values the
        // target compared (`-use_cmp`) and find PFNs, indexes and flag bits no rule aims at.
        if Int.random(in: 0..<100, using: &random) < Self.bytePercent { return mutateBytes(bytes, maxSize: maxSize) }
        let mutation = Mutation.allCases.filter { $0 != .bytes }.randomElement(using: &random)!
        var program = ProgramCodec.decode(bytes)
        apply(mutation, to: &program, using: &random)
        return encode(program, maxSize: maxSize)
    }

    /// Splices a prefix of one program onto a suffix of another (`LLVMFuzzerCustomCrossOver`).
    public func crossOver(_ first: [UInt8], _ second: [UInt8], maxSize: Int, seed: UInt32) -> [UInt8] {
        var random = SplitMix64(seed: UInt64(seed) | 0xC105_0000_0000)
        var program = ProgramCodec.decode(first)
        let other = ProgramCodec.decode(second).operations
        let cut = Int.random(in: 0...program.operations.count, using: &random)
        let otherCut = Int.random(in: 0...other.count, using: &random)
        program.operations = Array(program.operations[..<cut] + other[otherCut...])
        return encode(program, maxSize: maxSize)
    }

    func mutateBytes(_ bytes: [UInt8], maxSize: Int) -> [UInt8] {
        var buffer = bytes + [UInt8](repeating: 0, count: max(0, maxSize - bytes.count))
        let size = byteMutator(&buffer, min(bytes.count, maxSize))
        return Array(buffer.prefix(min(size, maxSize)))
    }

    /// Encodes, dropping trailing operations until the input fits in `maxSize`.
    func encode(_ program: Program, maxSize: Int) -> [UInt8] {
        var fitted = program
        let operationsMax = max(0, (maxSize - headerSize) / recordSize)
        if fitted.operations.count > operationsMax { fitted.operations.removeLast(fitted.operations.count - operationsMax) }
        return Array(ProgramCodec.encode(fitted).prefix(maxSize))
    }

    func apply(_ mutation: Mutation, to program: inout Program, using random: inout SplitMix64) {
        var operations = program.operations
        switch mutation {
        case .insertOperation:
            operations.insert(randomOperation(program, using: &random), at: Int.random(in: 0...operations.count, using: &random))
        case .deleteOperations:
            guard let range = randomRun(in: operations.count, using: &random) else { break }
            operations.removeSubrange(range)
        case .duplicateOperations:
            guard let range = randomRun(in: operations.count, using: &random) else { break }
            operations.insert(contentsOf: operations[range], at: Int.random(in: 0...operations.count, using: &random))
        case .swapOperations:
            guard !operations.isEmpty else { break }
            operations.swapAt(Int.random(in: operations.indices, using: &random), Int.random(in: operations.indices, using: &random))
        case .moveOperation:
            guard !operations.isEmpty else { break }
            let moved = operations.remove(at: Int.random(in: operations.indices, using: &random))
            operations.insert(moved, at: Int.random(in: 0...operations.count, using: &random))
        case .changeOrder, .changeCPU, .changeGFP, .changeTarget:
            guard !operations.isEmpty else { break }
            let index = Int.random(in: operations.indices, using: &random)
            operations[index] = OperationMutations.change(mutation, of: operations[index], profile: program.profile, using: &random)
        case .changeHeader:
            let header = (0..<headerSize).map { _ in UInt8.random(in: 0...255, using: &random) }
            let decoded = ProgramCodec.decode(header)
            program.profile = decoded.profile
            program.seed = decoded.seed
        case .bytes:
            break
        }
        program.operations = operations
    }

    /// A run of 1…`runLengthMax` operations inside `0..<count`, or nil when there are none.
    func randomRun(in count: Int, using random: inout SplitMix64) -> Range<Int>? {
        guard count > 0 else { return nil }
        let start = Int.random(in: 0..<count, using: &random)
        let length = Int.random(in: 1...min(Self.runLengthMax, count - start), using: &random)
        return start..<(start + length)
    }

    /// A fresh operation: one random record decoded under the program's own header.
    func randomOperation(_ program: Program, using random: inout SplitMix64) -> ProgramOperation {
        var bytes = ProgramCodec.encode(Program(profile: program.profile, seed: program.seed, operations: []))
        while bytes.count < headerSize + recordSize { bytes.append(UInt8.random(in: 0...255, using: &random)) }
        return ProgramCodec.decode(bytes).operations.first ?? program.operations.first!
    }
}
