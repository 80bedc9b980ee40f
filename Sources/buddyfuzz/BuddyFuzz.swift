import ArgumentParser
import BuddyVocabulary

@main
struct BuddyFuzz: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "buddyfuzz",
        abstract: "Lockstep fuzzing of a model of the Linux 6.18 page allocator.",
        subcommands: [
            ProfilesCommand.self,
            ShowCommand.self,
            BenchCommand.self,
            FuzzCommand.self,
            TriageCommand.self,
            CampaignCommand.self,
            SeedCorpusCommand.self,
        ])
}
