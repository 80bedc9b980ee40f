import BuddyVocabulary
import Testing
@_spi(Testing) @testable import OptimizedAllocator

/// Thousands of seeded operations of every kind; the allocator's cached counters, bitmasks and
/// lists are recounted along the way, and its allocated blocks are compared with a model kept
/// from the outcomes alone.
@Suite struct SelfConsistencyTests {
    @Test(arguments: [("tiny", UInt64(1)), ("tiny", 2), ("tiny-numa", 3), ("small", 4)])
    func randomOperationsStayConsistent(profileName: String, seed: UInt64) {
        let profile = BuiltInProfiles.named(profileName)!
        let allocator = OptimizedPageAllocator(profile: profile)
        var random = SplitMix64(seed: seed)
        var live: [OperationGenerator.Live] = []
        let steps = profileName == "small" ? 3000 : 4000
        var tally: [String: Int] = [:]
        for step in 0..<steps {
            let operation = OperationGenerator.next(&random, profile: profile, live: live)
            let outcome = allocator.apply(operation)
            let key: String
            switch outcome {
            case .allocated: key = "allocated"
            case .allocationFailed: key = "failed"
            case let .completed(pages): key = "completed\(pages > 0 ? "+" : "0")"
            case let .rejected(rejection): key = rejection.reason.rawValue
            }
            tally[operation.kindName + " " + key, default: 0] += 1
            OperationGenerator.update(&live, operation: operation, outcome: outcome)
            if step % 200 == 199 || step == steps - 1 {
                let problems = allocator.consistencyProblems()
                #expect(problems.isEmpty, "seed \(seed) step \(step) after \(operation): \(problems.prefix(5))")
                let allocated = allocator.snapshot().allocated.map { OperationGenerator.Live(pfn: $0.pfn.rawValue, order: $0.order.rawValue, compound: $0.compound, refcount: $0.refcount) }
                #expect(allocated == live.sorted { $0.pfn < $1.pfn }, "seed \(seed) step \(step)")
                if !problems.isEmpty { return }
            }
        }
        // The run must have reached the interesting paths, or it proves little.
        for kind in ["alloc_pages allocated", "alloc_pages failed", "__free_pages completed+", "__free_pages wrong-order",
                     "put_page completed+", "split_page completed0", "set_migratetype_isolate completed0", "unset_migratetype_isolate completed0"] {
            #expect(tally[kind, default: 0] > 0, "seed \(seed): no \(kind)")
        }
    }

}
