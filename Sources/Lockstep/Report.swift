import BuddyVocabulary

/// The text of a run report: a header with everything that defines the run, the verdict, the
/// decoded operations around the failure with the calls they became and their outcomes, then
/// the failure's details (both sides, the snapshot difference, or the violations with dumps).
extension Session {
    var header: String {
        "buddyfuzz lockstep: profile \(profile.name), seed \(program.seed), \(program.operations.count) operations, "
            + "\(configuration.allocatorsDescription), full check every \(configuration.checkEvery) operations"
    }

    func passedReport() -> RunReport {
        let liveness = configuration.livenessPhase ? "liveness passed" : "liveness skipped"
        let text = header + traceText + "\npassed: \(operationsRun) operations, \(fullChecks) full checks, \(liveness)\n"
        return RunReport(verdict: .passed, title: "passed", operationsRun: operationsRun, failingOperationIndex: nil, text: text)
    }

    func report(_ failure: Failure) -> RunReport {
        var lines = [header + traceText, "FAILED (\(failure.verdict.name)): \(failure.title)", locationText(failure.location), ""]
        lines.append("Operations (> marks the failing one):")
        lines += contextLines(failure.location)
        lines += ["", failure.details, ""]
        return RunReport(
            verdict: failure.verdict, title: failure.title, operationsRun: operationsRun,
            failingOperationIndex: failingIndex(failure.location), text: lines.joined(separator: "\n"))
    }

    /// The trace of every step, when `traceCalls` is on.
    var traceText: String {
        trace.isEmpty ? "" : "\nTrace:\n" + trace.joined(separator: "\n")
    }

    func failingIndex(_ location: FailureLocation) -> Int? {
        switch location {
        case .operation(let index), .check(after: let index): index
        case .boot, .liveness: nil
        }
    }

    func locationText(_ location: FailureLocation) -> String {
        let count = program.operations.count
        switch location {
        case .boot: return "at boot, before the first operation"
        case .operation(let index): return "at operation #\(index) of \(count)"
        case .check(after: let index): return "at the full check after operation #\(index) of \(count)"
        case .liveness: return "in the liveness phase, after all \(count) operations"
        }
    }

    func contextLines(_ location: FailureLocation) -> [String] {
        let records = recentInOrder
        var lines: [String] = []
        for (position, record) in records.enumerated() {
            let failing: Bool
            switch location {
            case .operation(let index): failing = record.index == index
            case .liveness: failing = position == records.count - 1
            case .boot, .check: failing = false
            }
            lines += describe(record, failing: failing)
        }
        if case .check(after: let index) = location { lines.append("  > full check after #\(index)") }
        if case .boot = location { lines.append("  > boot (no operation run)") }
        lines += notRun(after: location)
        return lines
    }

    func describe(_ record: StepRecord, failing: Bool) -> [String] {
        let marker = failing ? "  > " : "    "
        var lines: [String]
        if let index = record.index, let operation = record.operation {
            lines = ["\(marker)#\(index)  \(ProgramText.render(operation))"]
        } else {
            lines = ["\(marker)liveness phase"]
        }
        let calls = record.calls
        if calls.isEmpty { lines.append("          (nothing to act on: no call)") }
        for call in calls {
            if let subjectOutcome = call.subjectOutcome, subjectOutcome != call.outcome {
                lines.append("          \(Describe.call(call.call))")
                lines.append("            \(primaryName): \(Describe.outcome(call.outcome))")
                lines.append("            \(subjectName): \(Describe.outcome(subjectOutcome))")
            } else {
                lines.append("          \(Describe.call(call.call)) → \(Describe.outcome(call.outcome))")
            }
        }
        return lines
    }

    func notRun(after location: FailureLocation) -> [String] {
        let last: Int
        switch location {
        case .operation(let index), .check(after: let index): last = index
        case .boot: last = -1
        case .liveness: return []
        }
        let operations = program.operations
        let end = min(operations.count, last + 1 + configuration.contextAfter)
        guard last + 1 < end else { return [] }
        return (last + 1..<end).map { "    #\($0)  \(ProgramText.render(operations[$0]))  (not run)" }
    }
}
