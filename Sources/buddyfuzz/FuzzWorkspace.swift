import Foundation

/// The fuzz targets, the folders they read and write, and how they are built: one place that
/// owns the instrumented build route, shared by `fuzz`, `triage` and `campaign`.
///
/// ```
/// corpus/TARGET/         checked-in seeds (read)
/// .fuzz-out/corpus/TARGET/  inputs libFuzzer adds while fuzzing (written; `campaign` merges them)
/// findings/TARGET/       crash-<sha1>, .ops, .txt: reproducers and reports
/// .build-fuzz/           the instrumented build (AddressSanitizer), away from `.build/`
/// ```
struct FuzzWorkspace {
    /// The fuzz targets, in the order a campaign runs them.
    static let targets = ["lockstep", "formats"]
    static let defaultTarget = "lockstep"

    /// The package root: the nearest folder at or above the working folder with `Package.swift`
    /// and `FuzzTargets/`.
    let root: URL

    init(searchingFrom start: URL = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)) throws {
        var folder = start.standardizedFileURL
        while true {
            let manifest = folder.appendingPathComponent("Package.swift").path
            let targets = folder.appendingPathComponent("FuzzTargets").path
            if FileManager.default.fileExists(atPath: manifest), FileManager.default.fileExists(atPath: targets) { break }
            let parent = folder.deletingLastPathComponent()
            guard parent.path != folder.path else {
                throw FuzzError.usage("no buddyfuzz package (Package.swift beside FuzzTargets/) at or above \(start.path)")
            }
            folder = parent
        }
        root = folder
    }

    /// An absolute path for a path relative to the root (absolute paths stay as they are).
    func path(_ relative: String) -> String {
        relative.hasPrefix("/") ? relative : root.appendingPathComponent(relative).path
    }

    /// A path relative to the root when it is inside it: how reports and summaries name files.
    func relative(_ path: String) -> String {
        let prefix = root.path + "/"
        return path.hasPrefix(prefix) ? String(path.dropFirst(prefix.count)) : path
    }
    /// A path given on the command line (relative to the working folder), relative to the root.
    func relativeToRoot(_ argument: String) -> String {
        relative(URL(fileURLWithPath: argument).standardizedFileURL.path)
    }

    // Relative to the root, where fuzz targets run, so reports name files the way a user types them.
    func seedCorpus(_ target: String) -> String { "corpus/\(target)" }
    func workCorpus(_ target: String) -> String { ".fuzz-out/corpus/\(target)" }
    func findings(_ target: String) -> String { "findings/\(target)" }
    func dictionary(_ target: String) -> String? {
        let file = path("FuzzTargets/\(target)/\(target).dict")
        let size = (try? FileManager.default.attributesOfItem(atPath: file)[.size] as? Int) ?? 0
        return size > 0 ? file : nil
    }

    static func validate(target: String) throws {
        guard targets.contains(target) else {
            throw FuzzError.usage("unknown fuzz target '\(target)'; the targets are: \(targets.joined(separator: ", "))")
        }
    }
}

/// The sanitizer the instrumented build adds to libFuzzer's coverage instrumentation.
enum FuzzSanitizer: String, CaseIterable {
    case address, none

    var scratchPath: String { self == .address ? ".build-fuzz" : ".build-fuzz-\(rawValue)" }
    var sanitizeFlag: String { self == .address ? "-sanitize=fuzzer,address" : "-sanitize=fuzzer" }
}

/// Builds the instrumented fuzz targets with SwiftPM.
///
/// SwiftPM links an executable with its entry point renamed to `<Module>_main`, and libFuzzer's
/// archive brings its own `main`: lld with `--allow-multiple-definition` keeps the first, the
/// target's, whose `main` hands control to `LLVMFuzzerRunDriver` (`FuzzEntry`). The targets
/// are built `-parse-as-library` as libFuzzer expects, in release mode, in their own scratch path.
///
/// `-sanitize=fuzzer` alone would also instrument every comparison (`trace-cmp`), for
/// libFuzzer's value-guided mutations. The default build asks for edge counters and the PC
/// table only (`-sanitize-coverage=edge,inline-8bit-counters,pc-table`): comparison tracing
/// took half of a lockstep run's time and did not find more (`docs/FUZZING.md`).
/// `traceComparisons` builds the traced variant, in a scratch path of its own (`-cmp`).
struct FuzzBuilder {
    let workspace: FuzzWorkspace
    let sanitizer: FuzzSanitizer
    var traceComparisons = false

    static let edgeCoverageFlag = "-sanitize-coverage=edge,inline-8bit-counters,pc-table"

    var scratchPath: String { sanitizer.scratchPath + (traceComparisons ? "-cmp" : "") }

    var arguments: [String] {
        // In the order of `.clusterfuzzlite/build.sh`, so that each reuses the other's build.
        ["build", "-c", "release", "--scratch-path", scratchPath, "-Xswiftc", sanitizer.sanitizeFlag, "-Xswiftc", "-parse-as-library"]
            + (traceComparisons ? [] : ["-Xswiftc", FuzzBuilder.edgeCoverageFlag])
            + ["-Xswiftc", "-use-ld=lld", "-Xlinker", "--allow-multiple-definition"]
    }

    func binary(_ target: String) -> String { workspace.path("\(scratchPath)/release/fuzz-\(target)") }

    /// Builds each target's product; the build's own output goes to standard error.
    func build(_ targets: [String]) throws {
        try discardBuildWithOtherFlags()
        for target in targets {
            let command = ["swift"] + arguments + ["--product", "fuzz-\(target)"]
            log("building fuzz-\(target): \(command.joined(separator: " "))")
            let status = try Subprocess.run(command, in: workspace.root, environment: [:], output: .standardError)
            guard status == 0 else { throw FuzzError.build("the instrumented build of fuzz-\(target) failed (swift build exited \(status))") }
        }
        try Data(flagsStamp.utf8).write(to: URL(fileURLWithPath: workspace.path(stampPath)))
    }

    /// The flags the scratch path was last built with, written after a successful build.
    var stampPath: String { "\(scratchPath)/buddyfuzz-build-flags" }
    var flagsStamp: String { arguments.joined(separator: " ") + "\n" }

    /// SwiftPM keeps the objects of a scratch path when only `-sanitize-coverage` changes
    /// (seen with Swift 6.3.1: the objects of a traced build survived a build without
    /// `trace-cmp`), so a scratch path built with other flags, or by an older buddyfuzz that
    /// wrote no stamp, is removed before building.
    func discardBuildWithOtherFlags() throws {
        let scratch = workspace.path(scratchPath)
        guard FileManager.default.fileExists(atPath: scratch) else { return }
        let stamp = FileManager.default.contents(atPath: workspace.path(stampPath)).map { String(decoding: $0, as: UTF8.self) }
        guard stamp != flagsStamp else { return }
        log("\(scratchPath) was built with other flags: removing it so that every object is rebuilt")
        do {
            try FileManager.default.removeItem(atPath: scratch)
        } catch {
            throw FuzzError.io("cannot remove \(scratchPath): \(error)")
        }
    }
}

enum FuzzError: Error, CustomStringConvertible {
    case usage(String)
    case build(String)
    case io(String)

    var description: String {
        switch self {
        case let .usage(message), let .build(message), let .io(message): message
        }
    }

    var exitStatus: Int32 {
        switch self {
        case .usage: 64
        case .build: 70
        case .io: 74
        }
    }
}

/// Progress and summaries go to standard error; standard output stays for results.
func log(_ message: String) {
    FileHandle.standardError.write(Data("buddyfuzz: \(message)\n".utf8))
}
