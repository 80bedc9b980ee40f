import BuddyFormats
import BuddyVocabulary
import Foundation
import Testing

/// `profiles/*.json`: one file per built-in profile, exactly what `Profile.load(json:)` reads.
@Suite struct ProfileFileTests {
    static let folder = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("profiles")

    @Test func everyBuiltInProfileHasExactlyOneFile() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.folder.path).filter { $0.hasSuffix(".json") }.sorted()
        #expect(files == BuiltInProfiles.all.map { "\($0.name).json" }.sorted())
    }

    @Test(arguments: BuiltInProfiles.all.map(\.name))
    func fileLoadsToItsBuiltIn(name: String) throws {
        let url = Self.folder.appendingPathComponent("\(name).json")
        let data = try Data(contentsOf: url)
        let loaded = try Profile.load(json: data, source: url.lastPathComponent)
        #expect(loaded == BuiltInProfiles.named(name))
        // The file is the writer's text, so regenerating never produces a diff.
        #expect(String(decoding: data, as: UTF8.self) == ProfileJSON.render(try #require(BuiltInProfiles.named(name))))
    }

    @Test func nameIsEscaped() throws {
        var profile = BuiltInProfiles.tiny
        profile.name = "a \"quoted\" \\ name\twith\u{1}controls"
        let loaded = try Profile.load(json: Data(ProfileJSON.render(profile).utf8))
        #expect(loaded == profile)
    }

    @Test func integersZeroAndOneAreIntegers() throws {
        let text = tinyJSON().replacingOccurrences(of: "\"cpus\": 2,", with: "\"cpus\": 1,")
        #expect(try Profile.load(json: Data(text.utf8)).cpus == 1)
    }

    @Test(arguments: [
        MalformedProfile(name: "missing field", replace: "  \"cpus\": 2,\n", with: "", field: "cpus", rule: "is required"),
        MalformedProfile(name: "wrong type", replace: "\"cpus\": 2,", with: "\"cpus\": \"two\",", field: "cpus", rule: "must be an integer"),
        MalformedProfile(name: "number as a boolean", replace: "\"cmaConfigured\": false", with: "\"cmaConfigured\": 0", field: "cmaConfigured", rule: "must be true or false"),
        MalformedProfile(name: "zone overlap", replace: "\"startPfn\": 2048", with: "\"startPfn\": 1024", field: "nodes[0].zones", rule: "zone Normal starts at 1024, inside DMA32 which ends at 1600"),
        MalformedProfile(name: "managed above present", replace: "\"managedPages\": 1500", with: "\"managedPages\": 1600", field: "nodes[0].zones[0].managedPages", rule: "must be in 0...presentPages (1536), not 1600"),
        MalformedProfile(name: "lowmem_reserve_ratio length", replace: "[256, 256, 32, 0, 0]", with: "[256, 256, 32, 0]", field: "sysctl.lowmemReserveRatio", rule: "must have 5 entries (MAX_NR_ZONES), not 4"),
        MalformedProfile(name: "unknown key", replace: "\"pageSize\": 4096", with: "\"pageSise\": 4096", field: "pageSise", rule: "unknown field"),
        MalformedProfile(name: "zone type by number", replace: "\"name\": \"Normal\"", with: "\"type\": 2", field: "nodes[0].zones[1].type", rule: "unknown field"),
    ])
    func malformedProfileNamesFieldAndRule(_ malformed: MalformedProfile) throws {
        let text = tinyJSON()
        try #require(text.contains(malformed.replace), "\(malformed.name): the edit must apply")
        let broken = text.replacingOccurrences(of: malformed.replace, with: malformed.with)
        let error = #expect(throws: ProfileError.self, "\(malformed.name)") {
            _ = try Profile.load(json: Data(broken.utf8), source: "tiny.json")
        }
        #expect(error?.source == "tiny.json")
        #expect(error?.field == malformed.field, "\(malformed.name)")
        #expect(error?.rule.contains(malformed.rule) == true, "\(malformed.name): \(error?.rule ?? "")")
    }

    func tinyJSON() -> String { ProfileJSON.render(BuiltInProfiles.tiny) }
}

struct MalformedProfile: Sendable, CustomTestStringConvertible {
    var name: String
    var replace: String
    var with: String
    var field: String
    var rule: String
    var testDescription: String { name }
}
