import FuzzSupport

// libFuzzer target `formats`: every parser of text we accept must return a value or throw its
// error, never trap, crash or hang; what parses must survive a round trip (`FormatsCheck`).

@_cdecl("LLVMFuzzerTestOneInput")
public func formatsTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    FormatsCheck.run(FuzzEntry.bytes(data, size))
    return 0
}

@main
enum FuzzFormats {
    static func main() { FuzzEntry.main(target: "formats", testOneInput: formatsTestOneInput) }
}
