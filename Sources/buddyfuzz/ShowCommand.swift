import ArgumentParser
import BuddyFormats
import BuddyVocabulary
import ReferenceAllocator

extension StateFormat: ExpressibleByArgument {}

/// Boots the reference allocator on a profile and prints its state in a kernel format.
struct ShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Boot a profile and print its state as the kernel would.",
        discussion: "Formats: buddyinfo, pagetypeinfo and zoneinfo as in /proc; free-areas as the zone lines of an OOM report (show_free_areas).")

    @Option(help: ArgumentHelp("A built-in profile (see 'buddyfuzz profiles') or a profile JSON file.", valueName: "name|file"))
    var profile: String

    @Option(help: ArgumentHelp("What to print.", valueName: "format"))
    var format: StateFormat

    func run() throws {
        let allocator = ReferencePageAllocator(profile: try Self.loadProfile(profile))
        print(Self.render(format, of: allocator), terminator: "")
    }

    /// The render of a booted allocator's current state.
    static func render(_ format: StateFormat, of allocator: any PageAllocator) -> String {
        format.render(allocator.snapshot(), profile: allocator.profile)
    }

    /// A built-in profile by name or a JSON file by path; a bad profile is a usage error that
    /// names the file, the field and the rule.
    static func loadProfile(_ nameOrPath: String) throws(ValidationError) -> Profile {
        do {
            return try Profile.named(nameOrPath)
        } catch {
            throw ValidationError(error.description)
        }
    }
}
