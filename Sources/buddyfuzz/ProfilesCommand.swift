import ArgumentParser
import BuddyFormats
import BuddyVocabulary

struct ProfilesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "profiles",
        abstract: "List the built-in profiles, or print one as loadable JSON.",
        discussion: "A printed profile is a starting point for a profile file: edit it and pass its path to --profile.")

    @Option(name: .long, help: ArgumentHelp("Print this profile as JSON.", valueName: "name|file"))
    var json: String?

    func run() throws {
        if let json {
            print(ProfileJSON.render(try ShowCommand.loadProfile(json)), terminator: "")
            return
        }
        for profile in BuiltInProfiles.all {
            let pages = profile.allZones.reduce(0) { $0 + $1.zone.managedPages }
            print("\(profile.name.padding(toLength: 14, withPad: " ", startingAt: 0)) \(profile.pageSize / 1024) KiB pages, \(profile.cpus) CPUs, \(profile.nodes.count) node(s), \(pages) managed pages")
        }
    }
}
