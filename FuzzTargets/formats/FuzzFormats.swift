import BuddyFormats
import BuddyVocabulary
import Foundation
import FuzzSupport

// libFuzzer target `formats`: every parser of text we accept, on the same bytes: operation files
// (`ProgramText.parse`), profiles (`Profile.load(json:)`) and GFP masks (`GFPNames.parse`). Each
// must return a value or throw its error; a crash, a trap or a hang is the finding. What parses
// must also survive a round trip through its renderer.

@_cdecl("LLVMFuzzerTestOneInput")
public func formatsTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = FuzzEntry.bytes(data, size)
    let text = String(decoding: bytes, as: UTF8.self)
    if let program = try? ProgramText.parse(text, source: "input") { roundTrip(program) }
    if let profile = try? Profile.load(json: Data(bytes), source: "input") { roundTrip(profile) }
    if let flags = try? GFPNames.parse(text) { roundTrip(flags) }
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

/// A loaded profile renders (`ProfileJSON`) to JSON that loads to the same profile.
func roundTrip(_ profile: Profile) {
    let rendered = ProfileJSON.render(profile)
    let again: Profile
    do { again = try Profile.load(json: Data(rendered.utf8), source: "round-trip") } catch {
        fatalError("ProfileJSON.render produced JSON that does not load (\(error)):\n\(rendered)")
    }
    precondition(again == profile, "Profile JSON round trip changed the profile:\n\(rendered)")
}

/// Parsed GFP flags render to names that parse to the same flags.
func roundTrip(_ flags: GFPFlags) {
    let rendered = GFPNames.render(flags)
    guard let again = try? GFPNames.parse(rendered) else { fatalError("GFPNames.render produced '\(rendered)', which does not parse") }
    precondition(again == flags, "GFP round trip changed \(flags.rawValue) into \(again.rawValue) via '\(rendered)'")
}

@main
enum FuzzFormats {
    static func main() { FuzzEntry.main(target: "formats", testOneInput: formatsTestOneInput) }
}
