import BuddyFormats
import BuddyVocabulary
import Foundation

/// The formats target's check, shared with the corpus replay in `swift test`: the same bytes go
/// to every parser of text we accept, operation files (`ProgramText.parse`), profiles
/// (`Profile.load(json:)`) and GFP masks (`GFPNames.parse`). Each must return a value or throw
/// its error; what parses must render back to text that parses to the same value. A broken
/// round trip traps: that is the finding.
public enum FormatsCheck {
    /// What the bytes parsed as, for tests and statistics.
    public struct Accepted: OptionSet, Sendable {
        public let rawValue: UInt8
        public init(rawValue: UInt8) { self.rawValue = rawValue }
        public static let program = Accepted(rawValue: 1 << 0)
        public static let profile = Accepted(rawValue: 1 << 1)
        public static let gfp = Accepted(rawValue: 1 << 2)
    }

    @discardableResult
    public static func run(_ bytes: [UInt8]) -> Accepted {
        var accepted: Accepted = []
        let text = String(decoding: bytes, as: UTF8.self)
        if let program = try? ProgramText.parse(text, source: "input") {
            roundTrip(program)
            accepted.insert(.program)
        }
        if let profile = try? Profile.load(json: Data(bytes), source: "input") {
            roundTrip(profile)
            accepted.insert(.profile)
        }
        if let flags = try? GFPNames.parse(text) {
            roundTrip(flags)
            accepted.insert(.gfp)
        }
        return accepted
    }

    /// A parsed program renders to text that parses to the same program.
    static func roundTrip(_ program: Program) {
        let rendered = ProgramText.render(program)
        guard let again = try? ProgramText.parse(rendered, source: "round-trip") else {
            fatalError("ProgramText.render produced text that does not parse:\n\(rendered)")
        }
        precondition(again == program, "ProgramText round trip changed the program:\n\(rendered)")
    }

    /// A loaded profile renders (`ProfileJSON`) to JSON that loads to the same profile.
    static func roundTrip(_ profile: Profile) {
        let rendered = ProfileJSON.render(profile)
        let again: Profile
        do { again = try Profile.load(json: Data(rendered.utf8), source: "round-trip") } catch {
            fatalError("ProfileJSON.render produced JSON that does not load (\(error)):\n\(rendered)")
        }
        precondition(again == profile, "Profile JSON round trip changed the profile:\n\(rendered)")
    }

    /// Parsed GFP flags render to names that parse to the same flags.
    static func roundTrip(_ flags: GFPFlags) {
        let rendered = GFPNames.render(flags)
        guard let again = try? GFPNames.parse(rendered) else { fatalError("GFPNames.render produced '\(rendered)', which does not parse") }
        precondition(again == flags, "GFP round trip changed \(flags.rawValue) into \(again.rawValue) via '\(rendered)'")
    }
}
