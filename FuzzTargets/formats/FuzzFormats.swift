import BuddyVocabulary
import Foundation
import FuzzSupport

// libFuzzer target `formats`: every parser of text we accept, on the same bytes. Each must return
// a value or throw its error; a crash, a trap or a hang is the finding.

@_cdecl("LLVMFuzzerTestOneInput")
public func formatsTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = FuzzEntry.bytes(data, size)
    let text = String(decoding: bytes, as: UTF8.self)
    if let program = try? ProgramText.parse(text, source: "input") {
        roundTrip(program)
    }
    if let profile = try? Profile.load(json: Data(bytes), source: "input") {
        _ = try? Profile.load(json: profile.jsonData(), source: "round-trip")
    }
    return 0
}

/// A parsed program renders to text that parses to the same program.
func roundTrip(_ program: Program) {
    let rendered = ProgramText.render(program)
    guard let again = try? ProgramText.parse(rendered, source: "round-trip") else {
        fatalError("ProgramText.render produced text that does not parse:\n\(rendered)")
    }
    precondition(again == program, "ProgramText round trip changed the program:\n\(rendered)")
}

@main
enum FuzzFormats {
    static func main() { FuzzEntry.main(target: "formats", testOneInput: formatsTestOneInput) }
}
