import BuddyVocabulary
import Foundation
import OptimizedAllocator
import ReferenceAllocator

/// One line of results.
public struct BenchRow: Sendable {
    public var workload: BenchWorkload
    public var profile: String
    public var pages: Int
    public var referenceNsPerOp: Double?
    public var optimizedNsPerOp: Double
    /// The optimized allocator with planted faults, when asked for (the seam's cost).
    public var mutantNsPerOp: Double?
    public var metadataBytesPerPage: Double
    public var operations: Int
    public var note: String

    public var ratio: Double? { referenceNsPerOp.map { $0 / optimizedNsPerOp } }

    public static let tableHeader =
        "workload             profile         pages  reference ns/op  optimized ns/op     ratio  metadata B/page  unit / note"

    public var tableLine: String {
        func pad(_ text: String, _ width: Int) -> String { text.padding(toLength: max(width, text.count), withPad: " ", startingAt: 0) }
        func right(_ text: String, _ width: Int) -> String { String(repeating: " ", count: max(0, width - text.count)) + text }
        func number(_ value: Double?, _ digits: Int) -> String { value.map { String(format: "%.\(digits)f", $0) } ?? "-" }
        var line = pad(workload.rawValue, 20) + " " + pad(profile, 12) + " " + right(String(pages), 8) + "  "
        line += right(number(referenceNsPerOp, 1), 15) + "  " + right(number(optimizedNsPerOp, 1), 15) + "  "
        line += right(number(ratio, 1), 8) + "  " + right(String(format: "%.2f", metadataBytesPerPage), 15) + "  " + workload.unit
        if let mutantNsPerOp { line += "; with mutants \(String(format: "%.1f", mutantNsPerOp)) ns/op" }
        if !note.isEmpty { line += "; " + note }
        return line
    }

    public var jsonLine: String {
        func number(_ value: Double?) -> String { value.map { String(format: "%.3f", $0) } ?? "null" }
        var fields: [(String, String)] = [
            ("workload", "\"\(workload.rawValue)\""), ("profile", "\"\(profile)\""), ("pages", String(pages)),
            ("unit", "\"\(workload.unit)\""), ("operations", String(operations)),
            ("referenceNsPerOp", number(referenceNsPerOp)), ("optimizedNsPerOp", number(optimizedNsPerOp)),
            ("ratio", number(ratio)), ("metadataBytesPerPage", number(metadataBytesPerPage)),
        ]
        if let mutantNsPerOp { fields.append(("mutantNsPerOp", number(mutantNsPerOp))) }
        fields.append(("note", "\"\(note)\""))
        return "{" + fields.map { "\"\($0.0)\": \($0.1)" }.joined(separator: ", ") + "}"
    }
}

/// Runs one workload on each allocator and turns the timings into a row.
public struct BenchRunner: Sendable {
    public let quick: Bool
    public let includeReference: Bool

    public init(quick: Bool, includeReference: Bool = true) {
        self.quick = quick
        self.includeReference = includeReference
    }

    /// The largest profile the naive reference is asked to run: above it a run would take
    /// minutes and prove nothing new about the ratio.
    public static let referencePageLimit = 1 << 20

    /// Operation counts for the optimized allocator, as a multiple of the reference's.
    var optimizedScale: Int { quick ? 100 : 500 }

    /// Timed runs per allocator; the fastest counts (the others met noise from the machine).
    static let repetitions = 3

    public func run(_ workload: BenchWorkload, on profile: Profile, mutants: MutantSet?) -> BenchRow {
        let pages = BenchWorkloads.managedPages(profile)
        var metadataBytes = 0
        let optimized = fastest {
            let allocator = OptimizedPageAllocator(profile: profile)
            metadataBytes = allocator.metadataBytes
            return BenchWorkloads.measure(workload, allocator, scale: optimizedScale, seed: 1)
        }
        var mutantNs: Double?
        if let mutants {
            mutantNs = fastest {
                BenchWorkloads.measure(workload, PlantedPageAllocator(profile: profile, mutants: mutants), scale: optimizedScale, seed: 1)
            }.nanosecondsPerOperation
        }
        var note = ""
        var referenceNs: Double?
        if !includeReference {
            note = "reference not run"
        } else if pages > BenchRunner.referencePageLimit {
            note = "reference skipped above \(BenchRunner.referencePageLimit) pages"
        } else {
            referenceNs = BenchWorkloads.measure(workload, ReferencePageAllocator(profile: profile), scale: 1, seed: 1).nanosecondsPerOperation
        }
        return BenchRow(
            workload: workload, profile: profile.name, pages: pages, referenceNsPerOp: referenceNs,
            optimizedNsPerOp: optimized.nanosecondsPerOperation, mutantNsPerOp: mutantNs,
            metadataBytesPerPage: Double(metadataBytes) / Double(max(1, pages)),
            operations: optimized.operations, note: note)
    }

    /// The fastest of `repetitions` runs, each on a freshly booted allocator.
    func fastest(_ measure: () -> BenchTiming) -> BenchTiming {
        var best: BenchTiming?
        for _ in 0..<BenchRunner.repetitions {
            let timing = measure()
            if best.map({ timing.nanosecondsPerOperation < $0.nanosecondsPerOperation }) ?? true { best = timing }
        }
        return best ?? BenchTiming()
    }
}
