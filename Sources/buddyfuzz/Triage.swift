import Foundation
import FuzzSupport

/// Findings grouped by their stable failure title, one representative per bucket.
struct Triage {
    struct Bucket: Codable, Equatable {
        var title: String
        var target: String
        /// The members' paths, sorted.
        var findings: [String]
        /// The smallest member (ties broken by name): the one minimized.
        var representative: String
        /// The minimized reproducer, when minimization succeeded.
        var minimized: String?
        /// The exact command that replays the representative.
        var reproduce: String
    }

    let workspace: FuzzWorkspace

    /// Buckets `artifacts` (paths relative to the root) by title, in title order.
    func buckets(_ artifacts: [String]) -> [Bucket] {
        var byTitle: [String: [String]] = [:]
        for artifact in artifacts { byTitle[title(of: artifact), default: []].append(artifact) }
        return byTitle.keys.sorted().map { title in
            let members = byTitle[title]!.sorted()
            let representative = members.min { size(of: $0) == size(of: $1) ? $0 < $1 : size(of: $0) < size(of: $1) }!
            return Bucket(
                title: title, target: target(of: representative), findings: members, representative: representative,
                minimized: nil, reproduce: reproduceCommand(representative))
        }
    }

    /// The title our target wrote in the finding's report; for a crash or timeout without one,
    /// the kind of artifact and the first line the crash printed when replayed.
    func title(of artifact: String) -> String {
        if let title = FindingArtifacts.field("title", of: workspace.path(artifact)) { return title }
        let kind = (artifact as NSString).lastPathComponent.split(separator: "-").first.map(String.init) ?? "crash"
        return "\(kind): \(target(of: artifact)): \(crashLine(of: artifact) ?? "no message")"
    }

    /// The fuzz target an artifact belongs to: its report's, else its folder's name.
    func target(of artifact: String) -> String {
        if let target = FindingArtifacts.field("target", of: workspace.path(artifact)) { return target }
        let folder = ((artifact as NSString).deletingLastPathComponent as NSString).lastPathComponent
        return FuzzWorkspace.targets.contains(folder) ? folder : FuzzWorkspace.defaultTarget
    }

    func size(of artifact: String) -> Int {
        (try? FileManager.default.attributesOfItem(atPath: workspace.path(artifact))[.size] as? Int) ?? 0
    }

    func reproduceCommand(_ artifact: String) -> String {
        FindingArtifacts.lines(startingWith: "Reproduce with:", of: workspace.path(artifact)).first?
            .dropFirst("Reproduce with: ".count).description
            ?? "SWIFT_BACKTRACE=enable=no \(FuzzSanitizer.address.scratchPath)/release/fuzz-\(target(of: artifact)) \(artifact)"
    }

    /// Replays a reportless artifact on the instrumented target, once, and keeps the line that
    /// names the failure (a Swift runtime error or a sanitizer's summary), without addresses.
    func crashLine(of artifact: String) -> String? {
        let binary = FuzzBuilder(workspace: workspace, sanitizer: .address).binary(target(of: artifact))
        guard FileManager.default.isExecutableFile(atPath: binary) else { return nil }
        var output = Data()
        let environment = ["SWIFT_BACKTRACE": "enable=no", "ASAN_OPTIONS": "detect_leaks=0", FuzzSettings.findingsVariable: "/dev/null/none"]
        _ = try? Subprocess.run([binary, "-runs=1", artifact], in: workspace.root, environment: environment, output: .stream { output.append($0) })
        let lines = String(decoding: output, as: UTF8.self).split(separator: "\n").map(String.init)
        let line = lines.first { $0.contains("Fatal error") || $0.hasPrefix("SUMMARY:") || $0.contains("ERROR: AddressSanitizer") }
        return line.map(Self.withoutAddresses)
    }

    /// Drops hex addresses and process ids so that one bug gets one title on every run.
    static func withoutAddresses(_ line: String) -> String {
        line.split(separator: " ").filter { word in
            !(word.hasPrefix("0x") || word.hasPrefix("==") || word.hasPrefix("(0x"))
        }.joined(separator: " ")
    }
}
