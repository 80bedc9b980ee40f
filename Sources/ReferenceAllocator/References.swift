import BuddyVocabulary

/// What a pfn is, as far as a caller's reference is concerned.
enum PageLookup {
    /// No page the caller can own: outside every zone, a hole, or a reserved page.
    case notAPage
    /// Inside a free buddy block or a block on a pcp list (refcount 0).
    case free
    /// Inside an allocated block.
    case allocated(Zone, AllocatedBlockState)
}

/// The result of the checks a reference operation makes first.
enum ReferenceCheck {
    case rejected(Rejection)
    case found(Zone, AllocatedBlockState)
}

/// An allocated block and where the looked-up pfn lies in it.
struct AllocatedBlockState {
    let head: PFN
    let order: Int
    let compound: Bool
    let refcount: Int
    let isHead: Bool
}

extension ReferencePageAllocator {
    /// `pfn_to_page` + `compound_head` / `page_folio`, for every kind of block: the block holding
    /// `pfn` is the first non-tail page met when aligning the pfn down order by order (blocks
    /// are aligned to their order and do not overlap).
    func lookUpPage(_ pfn: PFN) -> PageLookup {
        guard let zone = zone(containing: pfn) else { return .notAPage }
        for order in 0...maxPageOrder {
            let head = pfn.alignedDown(Order(order))
            guard zone.spans(head) else { break }
            switch zone[head] {
            case .tail:
                continue
            case .hole, .reserved:
                return head == pfn ? .notAPage : inconsistentBlock(pfn)
            case .buddy(let blockOrder, _), .onPCPList(let blockOrder):
                return head.advanced(by: 1 << blockOrder) > pfn ? .free : inconsistentBlock(pfn)
            case .allocated(let blockOrder, let compound, let refcount):
                guard head.advanced(by: 1 << blockOrder) > pfn else { return inconsistentBlock(pfn) }
                return .allocated(zone, AllocatedBlockState(
                    head: head, order: blockOrder, compound: compound, refcount: refcount, isHead: head == pfn))
            }
        }
        return inconsistentBlock(pfn)
    }

    private func inconsistentBlock(_ pfn: PFN) -> PageLookup {
        preconditionFailure("pfn \(pfn) is a tail page of no block: the per-page state is corrupt")
    }

    /// The checks every reference operation makes first (`put_page_testzero`'s underflow check,
    /// `free_pages_prepare`'s `PageTail` check, `bad_page`): the block of `pfn`, or the
    /// rejection. A compound tail is refused only when `tailAllowed` is false.
    private func referencedBlock(_ pfn: PFN, tailAllowed: Bool) -> ReferenceCheck {
        switch lookUpPage(pfn) {
        case .notAPage:
            return .rejected(Rejection(.notHead, pfn: pfn))
        case .free:
            return .rejected(Rejection(.doubleFree, pfn: pfn))
        case .allocated(let zone, let block):
            if !block.isHead && block.compound && !tailAllowed { return .rejected(Rejection(.tailPage, pfn: pfn)) }
            if !block.isHead && !block.compound { return .rejected(Rejection(.refcountUnderflow, pfn: pfn)) }
            return .found(zone, block)
        }
    }

    // MARK: - Operations

    /// `__free_pages(page, order)` on `cpu`: drops one reference. The last one frees the block
    /// at its order. A non-compound block whose reference was not the last frees its tail
    /// halves (`page + 2^(order-1)` at order − 1 first, down to `page + 1` at order 0) and stays
    /// an order-0 page with the remaining references; a compound one frees nothing.
    ///
    /// Refused (stricter than the kernel, which cannot tell for non-compound pages): an order
    /// other than the block's.
    func freePages(cpu: CPUID, pfn: PFN, order requested: Order) -> Outcome {
        guard isValid(cpu) else { return .rejected(Rejection(.noSuchCPUOrNode, pfn: nil)) }
        let zone: Zone
        let block: AllocatedBlockState
        switch referencedBlock(pfn, tailAllowed: false) {
        case .rejected(let rejection): return .rejected(rejection)
        case .found(let foundZone, let foundBlock): (zone, block) = (foundZone, foundBlock)
        }
        guard requested.rawValue == block.order else { return .rejected(Rejection(.wrongOrder, pfn: pfn)) }
        if block.refcount == 1 {
            freeFrozenPages(cpu: cpu, block.head, order: block.order)
            return .completed(pagesFreed: 1 << block.order)
        }
        if block.compound {
            zone[block.head] = .allocated(order: block.order, compound: true, refcount: block.refcount - 1)
            return .completed(pagesFreed: 0)
        }
        zone[block.head] = .allocated(order: 0, compound: false, refcount: block.refcount - 1)
        var order = block.order
        while order > 0 {
            order -= 1
            freeFrozenPages(cpu: cpu, block.head.advanced(by: 1 << order), order: order)
        }
        return .completed(pagesFreed: (1 << block.order) - 1)
    }

    /// `put_page(page)` on `cpu`: drops one reference on the folio (a compound tail's head);
    /// the last one frees the folio at its order.
    ///
    /// Simplification: for the head of a non-compound block of order > 0 the kernel frees only
    /// order 0 (`folio_order` is 0) and leaks the rest; the model frees the whole block, as
    /// `__free_pages` with the block's order would.
    func putPage(cpu: CPUID, pfn: PFN) -> Outcome {
        guard isValid(cpu) else { return .rejected(Rejection(.noSuchCPUOrNode, pfn: nil)) }
        let zone: Zone
        let block: AllocatedBlockState
        switch referencedBlock(pfn, tailAllowed: true) {
        case .rejected(let rejection): return .rejected(rejection)
        case .found(let foundZone, let foundBlock): (zone, block) = (foundZone, foundBlock)
        }
        if block.refcount == 1 {
            freeFrozenPages(cpu: cpu, block.head, order: block.order)
            return .completed(pagesFreed: 1 << block.order)
        }
        zone[block.head] = .allocated(order: block.order, compound: block.compound, refcount: block.refcount - 1)
        return .completed(pagesFreed: 0)
    }

    /// `get_page(page)`: one more reference on the folio (a compound tail's head).
    func getPage(pfn: PFN) -> Outcome {
        let zone: Zone
        let block: AllocatedBlockState
        switch referencedBlock(pfn, tailAllowed: true) {
        case .rejected(let rejection): return .rejected(rejection)
        case .found(let foundZone, let foundBlock): (zone, block) = (foundZone, foundBlock)
        }
        zone[block.head] = .allocated(order: block.order, compound: block.compound, refcount: block.refcount + 1)
        return .completed(pagesFreed: 0)
    }

    /// `split_page(page, order)`: a non-compound block of exactly `order` becomes `2^order`
    /// order-0 pages; the head keeps its references, every other page gets one
    /// (`set_page_refcounted`). Refused for compound pages (`VM_BUG_ON_PAGE(PageCompound)`).
    func splitPage(pfn: PFN, order requested: Order) -> Outcome {
        let zone: Zone
        let block: AllocatedBlockState
        switch lookUpPage(pfn) {
        case .notAPage: return .rejected(Rejection(.notHead, pfn: pfn))
        case .free: return .rejected(Rejection(.doubleFree, pfn: pfn))
        case .allocated(let found, let foundBlock): (zone, block) = (found, foundBlock)
        }
        if block.compound { return .rejected(Rejection(.splitCompound, pfn: pfn)) }
        if !block.isHead { return .rejected(Rejection(.refcountUnderflow, pfn: pfn)) }
        guard requested.rawValue == block.order else { return .rejected(Rejection(.wrongOrder, pfn: pfn)) }
        zone[block.head] = .allocated(order: 0, compound: false, refcount: block.refcount)
        for index in 1..<(1 << block.order) {
            zone[block.head.advanced(by: index)] = .allocated(order: 0, compound: false, refcount: 1)
        }
        return .completed(pagesFreed: 0)
    }
}
