import BuddyVocabulary

/// A free block as a free list holds it.
struct ListedBlock {
    var pfn: PFN
    var order: Order
    /// The list it sits on (`free_list[migratetype]`).
    var list: Migratetype
}

/// A block on a pcp list.
struct PCPBlock {
    var pfn: PFN
    var order: Order
    var cpu: CPUID
    var listIndex: Int
}

/// One zone of a snapshot with the lookups the checkers share.
struct ZoneView {
    let snapshot: ZoneSnapshot
    let profileZone: Profile.Zone?
    let profile: Profile
    /// Allocated blocks whose head lies in this zone's span, by PFN.
    let allocated: [AllocatedBlock]
    /// Every block of every free list, order ascending, then migratetype, then list order.
    let freeBlocks: [ListedBlock]
    let pcpBlocks: [PCPBlock]

    init(snapshot: ZoneSnapshot, profileZone: Profile.Zone?, profile: Profile, allocated: [AllocatedBlock]) {
        self.snapshot = snapshot
        self.profileZone = profileZone
        self.profile = profile
        self.allocated = allocated
        var free: [ListedBlock] = []
        for (order, area) in snapshot.freeAreas.enumerated() {
            for (type, list) in area.lists.enumerated() {
                let migratetype = Migratetype(rawValue: type) ?? .isolate
                for pfn in list { free.append(ListedBlock(pfn: pfn, order: Order(order), list: migratetype)) }
            }
        }
        freeBlocks = free
        var pcp: [PCPBlock] = []
        for pageset in snapshot.pagesets {
            for (listIndex, list) in pageset.lists.enumerated() {
                let order = ZoneView.order(ofPCPList: listIndex, profile: profile)
                for pfn in list { pcp.append(PCPBlock(pfn: pfn, order: order, cpu: pageset.cpu, listIndex: listIndex)) }
            }
        }
        pcpBlocks = pcp
    }

    /// Every zone of the snapshot, with its profile zone and allocated blocks.
    static func views(of snapshot: StateSnapshot, profile: Profile) -> [ZoneView] {
        let profileZones = profile.allZones
        return snapshot.zones.map { zone in
            let profileZone = profileZones.first { $0.id == zone.id }?.zone
            let allocated = snapshot.allocated.filter { $0.pfn >= zone.startPfn && $0.pfn < zone.endPfn }
            return ZoneView(snapshot: zone, profileZone: profileZone, profile: profile, allocated: allocated)
        }
    }

    /// Number of pcp lists holding orders 0...PAGE_ALLOC_COSTLY_ORDER (`MIGRATE_PCPTYPES * (costly + 1)`).
    static let costlyListCount = Migratetype.pcpTypeCount * (Order.costly.rawValue + 1)

    /// `pindex_to_order`: lists below 12 hold order `pindex / 3`, the THP lists `HPAGE_PMD_ORDER`.
    static func order(ofPCPList listIndex: Int, profile: Profile) -> Order {
        listIndex < costlyListCount ? Order(listIndex / Migratetype.pcpTypeCount) : Order(profile.pmdOrder)
    }

    /// The migratetype a pcp list holds (`order_to_pindex`); list 12 holds both UNMOVABLE and
    /// RECLAIMABLE THPs and is reported as UNMOVABLE.
    static func migratetype(ofPCPList listIndex: Int) -> Migratetype {
        if listIndex < costlyListCount { return Migratetype(rawValue: listIndex % Migratetype.pcpTypeCount)! }
        return listIndex == costlyListCount ? .unmovable : .movable
    }

    var id: ZoneID { snapshot.id }
    var startPfn: PFN { snapshot.startPfn }
    var endPfn: PFN { snapshot.endPfn }
    var pageblockOrder: Order { Order(profile.pageblockOrder) }
    var pageblockBase: PFN { startPfn.alignedDown(pageblockOrder) }

    func contains(_ pfn: PFN) -> Bool { pfn >= startPfn && pfn < endPfn }
    func contains(_ pfn: PFN, order: Order) -> Bool { pfn >= startPfn && pfn.advanced(by: order.pageCount) <= endPfn }

    /// The pageblock flags of the pageblock holding `pfn`, nil outside the snapshot's range.
    func pageblock(of pfn: PFN) -> PageblockState? {
        let index = pageblockBase.distance(to: pfn) >> profile.pageblockOrder
        guard pfn >= pageblockBase, index < snapshot.pageblocks.count else { return nil }
        return snapshot.pageblocks[index]
    }

    /// The first PFN of pageblock `index` of this zone.
    func pageblockStart(_ index: Int) -> PFN { pageblockBase.advanced(by: index << profile.pageblockOrder) }

    /// The spanned pages that are holes, from the profile.
    var holes: [Profile.PFNRange] { profileZone?.effectiveHoles ?? [] }
    /// The present pages kept out of the buddy, from the profile.
    var reserved: [Profile.PFNRange] { profileZone?.effectiveReserved ?? [] }

    /// Pages in free blocks of list `type`.
    func freePages(on type: Migratetype) -> Int {
        snapshot.freeAreas.enumerated().reduce(0) { $0 + $1.element.lists[type.rawValue].count << $1.offset }
    }

    /// Pages in all free blocks.
    var freePagesAllLists: Int {
        snapshot.freeAreas.enumerated().reduce(0) { total, area in
            total + area.element.lists.reduce(0) { $0 + $1.count } << area.offset
        }
    }
}
