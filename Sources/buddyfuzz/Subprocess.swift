import Foundation

/// Runs a child process in the foreground.
enum Subprocess {
    enum Output {
        /// The child writes to this process's standard error.
        case standardError
        /// The child's standard output and error go through `handler`, chunk by chunk, as they come.
        case stream((Data) -> Void)
        /// The child's output is dropped.
        case discard
    }

    /// Runs `command` (looked up in `PATH` when it has no slash) in `folder` with extra
    /// `environment` variables and returns its exit status (128 + signal when killed).
    ///
    /// While the child runs, an interrupt (Ctrl-C) reaches the child alone, so libFuzzer can
    /// print its final statistics and this process can still write its summary.
    static func run(_ command: [String], in folder: URL, environment: [String: String], output: Output) throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = command
        process.currentDirectoryURL = folder
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        let pipe = Pipe()
        switch output {
        case .standardError:
            process.standardOutput = FileHandle.standardError
            process.standardError = FileHandle.standardError
        case .stream:
            process.standardOutput = pipe
            process.standardError = pipe
        case .discard:
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
        }
        signal(SIGINT) { _ in }
        defer { signal(SIGINT, SIG_DFL) }
        do { try process.run() } catch { throw FuzzError.io("cannot start \(command.first ?? ""): \(error)") }
        if case let .stream(handler) = output {
            let reader = pipe.fileHandleForReading
            while true {
                let chunk = reader.availableData
                if chunk.isEmpty { break }
                handler(chunk)
            }
        }
        process.waitUntilExit()
        return process.terminationReason == .uncaughtSignal ? 128 + process.terminationStatus : process.terminationStatus
    }
}
