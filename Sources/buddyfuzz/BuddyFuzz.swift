import ArgumentParser
import BuddyVocabulary

@main
struct BuddyFuzz: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "buddyfuzz",
        abstract: "Lockstep fuzzing of a model of the Linux 6.18 page allocator.",
        subcommands: [
            FuzzCommand.self,
            HuntCommand.self,
            RunCommand.self,
            StressCommand.self,
            ReplayCommand.self,
            MinimizeCommand.self,
            FmtCommand.self,
            TriageCommand.self,
            CampaignCommand.self,
            SeedCorpusCommand.self,
            ShowCommand.self,
            ProfilesCommand.self,
            BenchCommand.self,
        ])
}
