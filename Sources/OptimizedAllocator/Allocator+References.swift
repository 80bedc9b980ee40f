import BuddyVocabulary

/// Where a caller's PFN lands, for the checks of `__free_pages`, `put_page`, `get_page` and
/// `split_page`.
@usableFromInline
enum PageLookup {
    /// Outside every zone span, a hole or a reserved page.
    case notManaged
    /// Inside a free block or a block on a pcp list.
    case free
    /// Inside a live allocation whose head is `head`.
    case allocated(zone: Zone, head: UInt32, index: UInt32)
}

/// The folio a `put_page`/`get_page` acts on, or why there is none.
@usableFromInline
enum FolioLookup {
    case found(zone: Zone, head: UInt32)
    case rejected(Rejection)
}

extension SeamedPageAllocator {
    /// Finds the block covering `pfn`. An allocated head answers at once (the hot path);
    /// otherwise the heads at each alignment of the PFN are tested, smallest first: only the
    /// first page of a block carries a role, so the first head whose order reaches the PFN is
    /// the covering block.
    @inline(__always)
    func lookUpPage(_ pfn: Int) -> PageLookup {
        guard let zone = zoneSpanning(pfn), let index = zone.pointee.frameIndex(pfn) else { return .notManaged }
        let state = zone.pointee.frames[index].state
        if state == .allocated { return .allocated(zone: zone, head: index, index: index) }
        if state == .unmanaged { return .notManaged }
        return lookUpCoveringBlock(zone, index)
    }

    func lookUpCoveringBlock(_ zone: Zone, _ index: UInt32) -> PageLookup {
        let pfn = zone.pointee.pfn(index)
        for order in 0..<orderCount {
            guard let head = zone.pointee.frameIndex(pfn & ~((1 &<< order) - 1)) else { break }
            let frame = zone.pointee.frames[head]
            guard frame.state != .tail, frame.state != .unmanaged, Int(frame.order) >= order else { continue }
            return frame.state == .allocated ? .allocated(zone: zone, head: head, index: index) : .free
        }
        assertionFailure("managed pfn \(pfn) is covered by no block")
        return .notManaged
    }

    /// The folio (`page_folio`) of a PFN for `put_page`/`get_page`: a compound tail resolves to
    /// its head; a non-compound tail has refcount 0.
    @inline(__always)
    func lookUpFolio(_ pfn: Int) -> FolioLookup {
        switch lookUpPage(pfn) {
        case .notManaged:
            return .rejected(Rejection(.notHead, pfn: PFN(pfn)))
        case .free:
            return .rejected(Rejection(.doubleFree, pfn: PFN(pfn)))
        case let .allocated(zone, head, index):
            if head != index, !zone.pointee.frames[head].isCompound { return .rejected(Rejection(.refcountUnderflow, pfn: PFN(pfn))) }
            return .found(zone: zone, head: head)
        }
    }

    // MARK: - Operations

    /// `__free_pages(page, order)`: drop one reference; the last frees the block; otherwise a
    /// non-compound page frees its tail halves and keeps the head.
    @inline(__always)
    func freePages(cpu: Int, pfn: Int, order: Int) -> Outcome {
        guard isValidCPU(cpu) else { return .rejected(Rejection(.noSuchCPUOrNode, pfn: nil)) }
        let zone: Zone
        let head: UInt32
        switch lookUpPage(pfn) {
        case .notManaged:
            return .rejected(Rejection(.notHead, pfn: PFN(pfn)))
        case .free:
            return .rejected(Rejection(.doubleFree, pfn: PFN(pfn)))
        case let .allocated(foundZone, foundHead, index):
            if foundHead != index {
                let reason: RejectionReason = foundZone.pointee.frames[foundHead].isCompound ? .tailPage : .refcountUnderflow
                return .rejected(Rejection(reason, pfn: PFN(pfn)))
            }
            zone = foundZone
            head = foundHead
        }
        guard Int(zone.pointee.frames[head].order) == order else { return .rejected(Rejection(.wrongOrder, pfn: PFN(pfn))) }
        let references = zone.pointee.frames[head].refcount - 1
        if references == 0 {
            freeFrozenPages(zone, head, order: order, cpu: cpu)
            return .completed(pagesFreed: 1 &<< order)
        }
        zone.pointee.frames[head].refcount = references
        guard !zone.pointee.frames[head].isCompound, order > 0 else { return .completed(pagesFreed: 0) }
        return .completed(pagesFreed: freeTailHalves(zone, head, order: order, cpu: cpu))
    }

    /// The tail loop of `___free_pages`: `while (order-- > 0) free(page + (1 &<< order), order)`;
    /// the head stays allocated as an order-0 page.
    func freeTailHalves(_ zone: Zone, _ head: UInt32, order: Int, cpu: Int) -> Int {
        zone.pointee.frames[head].order = 0
        var remaining = order
        var freed = 0
        while remaining > (mutant(.freeTailsSkipsOrderZero) ? 1 : 0) {
            remaining -= 1
            freeFrozenPages(zone, head + UInt32(1 &<< remaining), order: remaining, cpu: cpu)
            freed += 1 &<< remaining
        }
        return freed
    }

    /// `put_page(page)`: drop one reference on the folio; the last frees the folio at its order.
    /// A non-compound head of order > 0 is freed whole (the kernel frees order 0 only and leaks
    /// the rest; the model does not model the leak).
    func putPage(cpu: Int, pfn: Int) -> Outcome {
        guard isValidCPU(cpu) else { return .rejected(Rejection(.noSuchCPUOrNode, pfn: nil)) }
        switch lookUpFolio(pfn) {
        case let .rejected(rejection):
            return .rejected(rejection)
        case let .found(zone, head):
            let references = zone.pointee.frames[head].refcount - 1
            guard references == 0 else {
                zone.pointee.frames[head].refcount = references
                return .completed(pagesFreed: 0)
            }
            var order = Int(zone.pointee.frames[head].order)
            if mutant(.putPageFreesOrderZero), !zone.pointee.frames[head].isCompound { order = 0 }
            freeFrozenPages(zone, head, order: order, cpu: cpu)
            return .completed(pagesFreed: 1 &<< order)
        }
    }

    /// `get_page(page)`: one more reference on the folio.
    func getPage(pfn: Int) -> Outcome {
        switch lookUpFolio(pfn) {
        case let .rejected(rejection):
            return .rejected(rejection)
        case let .found(zone, head):
            zone.pointee.frames[head].refcount += 1
            return .completed(pagesFreed: 0)
        }
    }

    /// `split_page(page, order)`: a non-compound block becomes `2^order` order-0 pages; the head
    /// keeps its references, every other page gets one.
    func splitPage(pfn: Int, order: Int) -> Outcome {
        let zone: Zone
        let head: UInt32
        switch lookUpPage(pfn) {
        case .notManaged:
            return .rejected(Rejection(.notHead, pfn: PFN(pfn)))
        case .free:
            return .rejected(Rejection(.doubleFree, pfn: PFN(pfn)))
        case let .allocated(foundZone, foundHead, index):
            if foundZone.pointee.frames[foundHead].isCompound { return .rejected(Rejection(.splitCompound, pfn: PFN(pfn))) }
            if foundHead != index { return .rejected(Rejection(.refcountUnderflow, pfn: PFN(pfn))) }
            zone = foundZone
            head = foundHead
        }
        guard Int(zone.pointee.frames[head].order) == order else { return .rejected(Rejection(.wrongOrder, pfn: PFN(pfn))) }
        guard order > 0 else { return .completed(pagesFreed: 0) }
        zone.pointee.frames[head].order = 0
        for offset in 1..<(1 &<< order) {
            let index = head + UInt32(offset)
            zone.pointee.frames[index].state = .allocated
            zone.pointee.frames[index].order = 0
            zone.pointee.frames[index].flags = 0
            zone.pointee.frames[index].refcount = 1
        }
        return .completed(pagesFreed: 0)
    }
}
