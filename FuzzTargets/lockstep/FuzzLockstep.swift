import BuddyVocabulary
import CLibFuzzer
import Foundation

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzLockstepTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    if bytes.count > 3, bytes[0] == 0x42, bytes[1] == 0x55, bytes[2] == 0x44, bytes[3] == 0x59 {
        fatalError("planted")
    }
    return 0
}

@main
struct FuzzLockstep {
    static func main() {
        var count = CommandLine.argc
        var arguments: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
        if buddyfuzz_libfuzzer_is_linked() != 0 {
            exit(buddyfuzz_run_libfuzzer(&count, &arguments) { data, size in fuzzLockstepTestOneInput(data, size) })
        }
        print("standalone: \(count) arguments")
    }
}
