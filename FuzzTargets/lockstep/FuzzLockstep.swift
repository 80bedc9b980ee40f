import CLibFuzzer
import FuzzSupport

// libFuzzer target `lockstep`: bytes → `ProgramCodec.decode` → a lockstep run on the profile the
// input selects. A finding first writes its reproducer and report (`FindingRecorder`), then traps.

let settings = FuzzSettings.fromEnvironment(target: "lockstep")
let recorder = FindingRecorder(target: "lockstep", settings: settings)
/// `BUDDYFUZZ_MUTANT`: the bug hunt's planted faults (`MutantHook`), nil in normal fuzzing.
let mutantHook = MutantHook.fromEnvironment()
let runner = mutantHook?.runner ?? FuzzHarness.runner(plantedDivergence: settings.plantedDivergence)
let mutator = ProgramMutator { bytes, size in
    bytes.withUnsafeMutableBufferPointer { buddyfuzz_libfuzzer_mutate($0.baseAddress, size, $0.count) }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func lockstepTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = FuzzEntry.bytes(data, size)
    let program = ProgramCodec.decode(bytes)
    let report = runner.run(program)
    mutantHook?.count(report)
    guard report.verdict == .passed else {
        if let mutantHook, !mutantHook.confirms(program, report) { return -1 }
        recorder.record(bytes: bytes, program: program, report: report)
        fatalError("buddyfuzz finding: \(report.title)")
    }
    return 0
}

@_cdecl("LLVMFuzzerCustomMutator")
public func lockstepCustomMutator(_ data: UnsafeMutablePointer<UInt8>?, _ size: Int, _ maxSize: Int, _ seed: UInt32) -> Int {
    guard let data else { return 0 }
    var mutatedSize: Int
    if settings.mutator == .bytes {
        mutatedSize = buddyfuzz_libfuzzer_mutate(data, size, maxSize)
    } else {
        let mutated = mutator.mutate(FuzzEntry.bytes(data, size), maxSize: maxSize, seed: seed)
        mutated.withUnsafeBufferPointer { data.update(from: $0.baseAddress!, count: $0.count) }
        mutatedSize = mutated.count
    }
    pinProfile(data, mutatedSize)
    return mutatedSize
}

/// Keeps every generated input on the pinned profile (`BUDDYFUZZ_PROFILE`): the header byte is
/// the profile index, so the bytes libFuzzer saves are exactly the program that ran.
func pinProfile(_ data: UnsafeMutablePointer<UInt8>, _ size: Int) {
    if let byte = settings.pinnedProfileByte, size > 0 { data[0] = byte }
}

@_cdecl("LLVMFuzzerCustomCrossOver")
public func lockstepCustomCrossOver(
    _ first: UnsafePointer<UInt8>?, _ firstSize: Int, _ second: UnsafePointer<UInt8>?, _ secondSize: Int,
    _ output: UnsafeMutablePointer<UInt8>?, _ maxOutputSize: Int, _ seed: UInt32
) -> Int {
    guard let output else { return 0 }
    let crossed = mutator.crossOver(FuzzEntry.bytes(first, firstSize), FuzzEntry.bytes(second, secondSize), maxSize: maxOutputSize, seed: seed)
    crossed.withUnsafeBufferPointer { output.update(from: $0.baseAddress!, count: $0.count) }
    pinProfile(output, crossed.count)
    return crossed.count
}

@main
enum FuzzLockstep {
    static func main() { FuzzEntry.main(target: "lockstep", testOneInput: lockstepTestOneInput) }
}
