import ArgumentParser
import BuddyVocabulary

@main
struct BuddyFuzz: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "buddyfuzz",
        abstract: "Lockstep fuzzing of a model of the Linux 6.18 page allocator.",
        subcommands: [
            ProfilesCommand.self,
            FuzzCommand.self,
            TriageCommand.self,
            CampaignCommand.self,
        ])
}

struct ProfilesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "profiles", abstract: "List the built-in profiles.")
    func run() {
        for profile in BuiltInProfiles.all {
            let pages = profile.allZones.reduce(0) { $0 + $1.zone.managedPages }
            print("\(profile.name.padding(toLength: 14, withPad: " ", startingAt: 0)) \(profile.pageSize / 1024) KiB pages, \(profile.cpus) CPUs, \(profile.nodes.count) node(s), \(pages) managed pages")
        }
    }
}
