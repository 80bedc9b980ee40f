import CLibFuzzer
import Foundation

/// The `main` of every fuzz target. Built with `-sanitize=fuzzer` it hands control to libFuzzer
/// (`LLVMFuzzerRunDriver`), so every libFuzzer flag works. Built without (a plain `swift build`),
/// it runs each input file, or each file of each folder, once: a replayer with no instrumentation.
public enum FuzzEntry {
    public typealias TestOneInput = @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt

    public static var libFuzzerIsLinked: Bool { buddyfuzz_libfuzzer_is_linked() != 0 }

    public static func main(target: String, testOneInput: TestOneInput) -> Never {
        var argumentCount = CommandLine.argc
        var arguments: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
        if libFuzzerIsLinked { exit(buddyfuzz_run_libfuzzer(&argumentCount, &arguments, testOneInput)) }
        exit(replay(target: target, paths: Array(CommandLine.arguments.dropFirst()), testOneInput: testOneInput))
    }

    /// Runs every input once; a finding traps inside `testOneInput` after writing its reproducer.
    static func replay(target: String, paths: [String], testOneInput: TestOneInput) -> Int32 {
        let inputs = paths.filter { !$0.hasPrefix("-") }
        guard !inputs.isEmpty else {
            print("usage: fuzz-\(target) FILE|FOLDER...  (built without libFuzzer: runs each input once)")
            return 64
        }
        var count = 0
        for path in inputs {
            for file in files(at: path) {
                guard let data = FileManager.default.contents(atPath: file) else {
                    print("fuzz-\(target): cannot read \(file)")
                    return 65
                }
                let bytes = [UInt8](data)
                _ = bytes.withUnsafeBufferPointer { testOneInput($0.baseAddress, $0.count) }
                count += 1
            }
        }
        print("fuzz-\(target): \(count) inputs run, no finding")
        return 0
    }

    /// The file itself, or the regular files of a folder sorted by name.
    static func files(at path: String) -> [String] {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), isFolder.boolValue else { return [path] }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        return names.sorted().map { (path as NSString).appendingPathComponent($0) }.filter { file in
            var isSubfolder: ObjCBool = false
            return FileManager.default.fileExists(atPath: file, isDirectory: &isSubfolder) && !isSubfolder.boolValue
        }
    }

    /// Copies libFuzzer's input into an array.
    @inline(__always)
    public static func bytes(_ data: UnsafePointer<UInt8>?, _ size: Int) -> [UInt8] {
        guard let data, size > 0 else { return [] }
        return Array(UnsafeBufferPointer(start: data, count: size))
    }
}
