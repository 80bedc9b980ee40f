import Foundation
import FuzzSupport

/// Minimizes one finding. A lockstep finding shrinks by operations with the harness's
/// minimizer (same failure title), into `<artifact>.min.ops`; any other finding (a crash, a
/// timeout, the formats target) shrinks by bytes with libFuzzer's `-minimize_crash`, into
/// `<artifact>.min`.
struct FindingMinimizer {
    let workspace: FuzzWorkspace
    let plantedDivergence: Bool
    /// libFuzzer's budget for one `-minimize_crash` run, in seconds.
    var byteMinimizationSeconds = 30

    func minimize(_ bucket: Triage.Bucket) -> String? {
        let artifact = bucket.representative
        if bucket.target == "lockstep", FindingArtifacts.report(for: workspace.path(artifact)) != nil {
            return minimizeOperations(artifact)
        }
        return minimizeBytes(artifact, target: bucket.target)
    }

    func minimizeOperations(_ artifact: String) -> String? {
        guard let data = FileManager.default.contents(atPath: workspace.path(artifact)) else { return nil }
        let program = ProgramCodec.decode([UInt8](data))
        let minimizer = ProgramMinimizer(runner: FuzzHarness.runner(plantedDivergence: plantedDivergence))
        guard let (minimized, _) = minimizer.minimize(program) else { return nil }
        let output = artifact + ".min.ops"
        let written = FileManager.default.createFile(atPath: workspace.path(output), contents: Data(ProgramText.render(minimized).utf8))
        log("minimized \(artifact): \(program.operations.count) → \(minimized.operations.count) operations, \(output)")
        return written ? output : nil
    }

    func minimizeBytes(_ artifact: String, target: String) -> String? {
        let binary = FuzzBuilder(workspace: workspace, sanitizer: .address).binary(target)
        guard FileManager.default.isExecutableFile(atPath: binary) else { return nil }
        let output = artifact + ".min"
        let command = [
            binary, "-minimize_crash=1", "-max_total_time=\(byteMinimizationSeconds)", "-runs=100000",
            "-exact_artifact_path=\(output)", "-timeout=\(LibFuzzerSession.inputTimeoutSeconds)", artifact,
        ]
        let environment = [
            "SWIFT_BACKTRACE": "enable=no", "ASAN_OPTIONS": "detect_leaks=0",
            FuzzSettings.findingsVariable: ".fuzz-out/minimize-scratch",
            FuzzSettings.plantedDivergenceVariable: plantedDivergence ? "1" : "0",
        ]
        _ = try? Subprocess.run(command, in: workspace.root, environment: environment, output: .discard)
        guard FileManager.default.fileExists(atPath: workspace.path(output)) else { return nil }
        log("minimized \(artifact) by bytes into \(output)")
        return output
    }
}
