import BuddyVocabulary
import Testing

/// `__free_pages`, `put_page`, `get_page`, `split_page` and the bad-free checks
/// (`free_pages_prepare`, `put_page_testzero`, `bad_page`).
///
/// Layout (`LayoutProfiles.oneZone()`): an order-2 block at 0 (not compound) and an order-2
/// compound page at 4, the rest free:
///
/// ```
///   AaaaAaaa3-------4---------------5-------------------------------
/// ```
@Suite("__free_pages, put_page, get_page, split_page")
struct FreePagesTests {
    static func bootWithTwoBlocks(_ implementation: Implementation) -> any PageAllocator {
        let allocator = implementation.boot(LayoutProfiles.oneZone())
        #expect(allocator.allocate(order: 2, gfp: .kernelMovable) == PFN(0))
        #expect(allocator.allocate(order: 2, gfp: [.kernelMovable, .comp]) == PFN(4))
        #expect(allocator.snapshot().layout() == "AaaaAaaa3-------4---------------5-------------------------------")
        return allocator
    }

    /// Every refusal, each leaving the state exactly as it was.
    @Test("every bad free is refused and changes nothing", arguments: implementations)
    func badFrees(_ implementation: Implementation) {
        let allocator = Self.bootWithTwoBlocks(implementation)
        // A page on a pcp list: allocate one page and free it (it stays on CPU 0's pcp).
        let parked = allocator.allocate(order: 0, gfp: .kernelMovable)!
        allocator.free(parked, order: 0)
        let before = allocator.snapshot()
        let cases: [(Operation, RejectionReason)] = [
            (.freePages(cpu: CPUID(0), pfn: PFN(64), order: .zero), .notHead),
            (.freePages(cpu: CPUID(0), pfn: PFN(-1), order: .zero), .notHead),
            (.freePages(cpu: CPUID(0), pfn: PFN(16), order: Order(4)), .doubleFree),
            (.freePages(cpu: CPUID(0), pfn: PFN(17), order: .zero), .doubleFree),
            (.freePages(cpu: CPUID(0), pfn: parked, order: .zero), .doubleFree),
            (.freePages(cpu: CPUID(0), pfn: PFN(5), order: .zero), .tailPage),
            (.freePages(cpu: CPUID(0), pfn: PFN(1), order: .zero), .refcountUnderflow),
            (.freePages(cpu: CPUID(0), pfn: PFN(0), order: Order(1)), .wrongOrder),
            (.freePages(cpu: CPUID(0), pfn: PFN(4), order: Order(3)), .wrongOrder),
            (.putPage(cpu: CPUID(0), pfn: PFN(2)), .refcountUnderflow),
            (.putPage(cpu: CPUID(0), pfn: PFN(40)), .doubleFree),
            (.putPage(cpu: CPUID(0), pfn: PFN(99)), .notHead),
            (.getPage(pfn: PFN(3)), .refcountUnderflow),
            (.getPage(pfn: parked), .doubleFree),
            (.splitPage(pfn: PFN(4), order: Order(2)), .splitCompound),
            (.splitPage(pfn: PFN(6), order: .zero), .splitCompound),
            (.splitPage(pfn: PFN(1), order: .zero), .refcountUnderflow),
            (.splitPage(pfn: PFN(0), order: Order(1)), .wrongOrder),
            (.splitPage(pfn: PFN(20), order: .zero), .doubleFree),
            (.splitPage(pfn: PFN(1000), order: .zero), .notHead),
        ]
        let events = allocator.eventsOf {
            for (operation, reason) in cases {
                let pfn: PFN? = switch operation {
                case .freePages(_, let pfn, _), .putPage(_, let pfn), .getPage(let pfn), .splitPage(let pfn, _): pfn
                default: nil
                }
                #expect(allocator.apply(operation) == .rejected(Rejection(reason, pfn: pfn)), "\(operation)")
            }
            #expect(allocator.apply(.freePages(cpu: CPUID(1), pfn: PFN(0), order: Order(2))) == .rejected(Rejection(.noSuchCPUOrNode, pfn: nil)))
            #expect(allocator.apply(.putPage(cpu: CPUID(-3), pfn: PFN(0))) == .rejected(Rejection(.noSuchCPUOrNode, pfn: nil)))
        }
        #expect(events.isEmpty)
        #expect(allocator.snapshot() == before)
    }

    /// `tiny`: DMA32 spans 64…1599 with its first 36 pages reserved; Normal spans 2048…4095
    /// with a hole at 4032…4095; 1600…2047 is in no zone.
    @Test("reserved pages, holes and pfns outside every zone are not heads", arguments: implementations)
    func notHead(_ implementation: Implementation) {
        let allocator = implementation.boot(BuiltInProfiles.tiny)
        let before = allocator.snapshot()
        for pfn in [0, 64, 99, 1600, 2047, 4032, 4095, 4096] {
            #expect(allocator.apply(.freePages(cpu: CPUID(0), pfn: PFN(pfn), order: .zero)) == .rejected(Rejection(.notHead, pfn: PFN(pfn))), "pfn \(pfn)")
            #expect(allocator.apply(.getPage(pfn: PFN(pfn))) == .rejected(Rejection(.notHead, pfn: PFN(pfn))), "pfn \(pfn)")
        }
        #expect(allocator.apply(.freePages(cpu: CPUID(0), pfn: PFN(100), order: .zero)) == .rejected(Rejection(.doubleFree, pfn: PFN(100))))
        #expect(allocator.snapshot() == before)
    }

    /// `__free_pages` on a non-compound block with another reference: the tail halves go back
    /// (order 1 at 2, then order 0 at 1: `while (order-- > 0)`), the head stays as an order-0
    /// page with the remaining reference. A compound page keeps everything until the last
    /// reference; `put_page` on a tail drops the head's reference and frees the folio.
    @Test("references: tail halves, compound folios", arguments: implementations)
    func references(_ implementation: Implementation) {
        let allocator = Self.bootWithTwoBlocks(implementation)
        allocator.run(.getPage(pfn: PFN(0)))
        var outcome = Outcome.allocationFailed
        var events = allocator.eventsOf { outcome = allocator.run(.freePages(cpu: CPUID(0), pfn: PFN(0), order: Order(2))) }
        #expect(outcome == .completed(pagesFreed: 3))
        #expect(events == [.pageFree(pfn: PFN(2), order: Order(1)), .pageFree(pfn: PFN(1), order: .zero)])
        var snapshot = allocator.snapshot()
        #expect(snapshot.allocated.first == AllocatedBlock(pfn: PFN(0), order: .zero, compound: false, refcount: 1))
        #expect(snapshot.layout() == "ApppAaaa3-------4---------------5-------------------------------")

        allocator.run(.getPage(pfn: PFN(5)))
        #expect(allocator.snapshot().allocated.last == AllocatedBlock(pfn: PFN(4), order: Order(2), compound: true, refcount: 2))
        #expect(allocator.run(.freePages(cpu: CPUID(0), pfn: PFN(4), order: Order(2))) == .completed(pagesFreed: 0))
        events = allocator.eventsOf { outcome = allocator.run(.putPage(cpu: CPUID(0), pfn: PFN(7))) }
        #expect(outcome == .completed(pagesFreed: 4))
        // The pcp now holds 7 pages against a high of 6 (two order-2 refills grew it 4 → 5 → 6):
        // a spill of clamp(free_count 7, 1, 6 − 1) = 5 pages from the order-2 list (4/2), then
        // round-robin to the order-0 list (1/0).
        #expect(events == [
            .pageFree(pfn: PFN(4), order: Order(2)),
            .pagePcpuDrain(pfn: PFN(4), order: Order(2), migratetype: .movable),
            .pagePcpuDrain(pfn: PFN(1), order: .zero, migratetype: .movable),
        ])
        #expect(allocator.run(.putPage(cpu: CPUID(0), pfn: PFN(0))) == .completed(pagesFreed: 1))
        snapshot = allocator.snapshot()
        #expect(snapshot.allocated.isEmpty)
        allocator.run(.drainCPU(cpu: CPUID(0)))
        #expect(allocator.snapshot().layout() == "5-------------------------------5-------------------------------")
    }

    /// `put_page` dropping the last reference of a non-compound order-2 block frees the whole
    /// block (the model's decision; the kernel would free only the head page and leak the rest).
    @Test("put_page frees a whole non-compound block", arguments: implementations)
    func putPageWholeBlock(_ implementation: Implementation) {
        let allocator = Self.bootWithTwoBlocks(implementation)
        let events = allocator.eventsOf {
            #expect(allocator.run(.putPage(cpu: CPUID(0), pfn: PFN(0))) == .completed(pagesFreed: 4))
        }
        #expect(events == [.pageFree(pfn: PFN(0), order: Order(2))])
    }

    /// `split_page`: four order-0 pages; the head keeps its two references, the others get one.
    /// Order 0 is a no-op.
    @Test("split_page", arguments: implementations)
    func splitPage(_ implementation: Implementation) {
        let allocator = Self.bootWithTwoBlocks(implementation)
        allocator.run(.getPage(pfn: PFN(0)))
        #expect(allocator.run(.splitPage(pfn: PFN(0), order: Order(2))) == .completed(pagesFreed: 0))
        let blocks = allocator.snapshot().allocated.prefix(4)
        #expect(blocks.map(\.refcount) == [2, 1, 1, 1])
        #expect(blocks.allSatisfy { $0.order == .zero && !$0.compound })
        let before = allocator.snapshot()
        #expect(allocator.run(.splitPage(pfn: PFN(3), order: .zero)) == .completed(pagesFreed: 0))
        #expect(allocator.snapshot() == before)
        #expect(allocator.run(.freePages(cpu: CPUID(0), pfn: PFN(2), order: .zero)) == .completed(pagesFreed: 1))
    }
}
