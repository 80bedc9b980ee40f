/// The role a page frame plays right now. Only the first page of a block (its head) carries a
/// role other than `.tail`; the other pages of the block carry nothing, as in the kernel, where
/// the tail pages of a free buddy block have no PageBuddy bit and no order.
@usableFromInline
enum PageState: UInt8 {
    /// Not the head of a block: a tail page of a free, pcp or allocated block.
    case tail = 0
    /// Never managed by the buddy allocator: a hole, a reserved page, or outside the zone span.
    case unmanaged = 1
    /// `PageBuddy`: the head of a free block on a zone free list.
    case buddy = 2
    /// The head of a block on a per-CPU list (not PageBuddy, not counted in `NR_FREE_PAGES`).
    case perCPU = 3
    /// The head of a block that belongs to a caller; the frame's links hold the refcount.
    case allocated = 4
}

/// Per-page metadata (`struct page`, reduced to what the allocator reads), packed in 12 bytes:
///
/// ```
///  0        4        8       9       10         11      12
///  +--------+--------+-------+-------+----------+-------+
///  |  next  |  prev  | state | order | listType | flags |
///  +--------+--------+-------+-------+----------+-------+
/// ```
///
/// - `next`/`prev`: the intrusive list links (`page->buddy_list` / `page->pcp_list`) as 32-bit
///   indexes into the zone's frame table. For an allocated head the same 8 bytes hold the 64-bit
///   refcount instead (`page->_refcount` shares nothing with the list links in the kernel, but
///   an allocated page is never on a list, so the union costs nothing and keeps a frame small).
/// - `order`: `buddy_order` of a free head, the pcp order of a pcp head, the allocation order
///   of an allocated head (`compound_order` for a compound page).
/// - `listType`: the free list the block sits on (free heads), or the pcp list index (pcp
///   heads). The kernel's list operations act on whichever list the page is linked into while
///   accounting uses the migratetype the caller passes; remembering the list keeps the
///   per-list bitmasks exact even when the two differ.
/// - `flags`: bit 0 is `PageHead` of a compound allocation.
///
/// Invariant: `state != .tail` only on the first page of a current block, so the block covering
/// any page is found by testing the heads at each alignment of its PFN.
@usableFromInline
struct PageFrame {
    @usableFromInline var next: UInt32
    @usableFromInline var prev: UInt32
    @usableFromInline var state: PageState
    @usableFromInline var order: UInt8
    @usableFromInline var listType: UInt8
    @usableFromInline var flags: UInt8

    @usableFromInline static let compoundFlag: UInt8 = 1 &<< 0

    @inlinable
    init(state: PageState) {
        next = 0
        prev = 0
        self.state = state
        order = 0
        listType = 0
        flags = 0
    }

    /// `page_ref_count(head)` of an allocated head.
    @inlinable
    var refcount: UInt64 {
        get { UInt64(next) | UInt64(prev) << 32 }
        set {
            next = UInt32(truncatingIfNeeded: newValue)
            prev = UInt32(truncatingIfNeeded: newValue >> 32)
        }
    }

    @inlinable
    var isCompound: Bool { flags & PageFrame.compoundFlag != 0 }
}

/// A zone's frame table: one `PageFrame` per page of the zone's covered range, followed by the
/// sentinel frames that head the zone's lists (free lists, then pcp lists).
///
/// Lists are circular and doubly linked through sentinels, as `struct list_head` is: adding at
/// head or tail, deleting and moving are each a handful of stores with no branch on emptiness,
/// and deleting needs no knowledge of which list holds the page.
@usableFromInline
struct FrameTable {
    @usableFromInline let base: UnsafeMutablePointer<PageFrame>

    @inlinable
    init(base: UnsafeMutablePointer<PageFrame>) { self.base = base }

    @inlinable
    subscript(index: UInt32) -> PageFrame {
        unsafeAddress { UnsafePointer(base + Int(index)) }
        nonmutating unsafeMutableAddress { base + Int(index) }
    }

    /// `INIT_LIST_HEAD`.
    @inline(__always)
    func initializeList(_ sentinel: UInt32) {
        self[sentinel].next = sentinel
        self[sentinel].prev = sentinel
    }

    /// `list_empty`.
    @inline(__always)
    func isEmpty(_ sentinel: UInt32) -> Bool { self[sentinel].next == sentinel }

    /// `list_first_entry`: only meaningful when the list is not empty.
    @inline(__always)
    func first(_ sentinel: UInt32) -> UInt32 { self[sentinel].next }

    /// `list_last_entry`: only meaningful when the list is not empty.
    @inline(__always)
    func last(_ sentinel: UInt32) -> UInt32 { self[sentinel].prev }

    /// `list_add`: insert right after the sentinel.
    @inline(__always)
    func addHead(_ index: UInt32, _ sentinel: UInt32) {
        let next = self[sentinel].next
        self[index].next = next
        self[index].prev = sentinel
        self[next].prev = index
        self[sentinel].next = index
    }

    /// `list_add_tail`: insert right before the sentinel.
    @inline(__always)
    func addTail(_ index: UInt32, _ sentinel: UInt32) {
        let prev = self[sentinel].prev
        self[index].prev = prev
        self[index].next = sentinel
        self[prev].next = index
        self[sentinel].prev = index
    }

    /// `list_del`.
    @inline(__always)
    func remove(_ index: UInt32) {
        let next = self[index].next
        let prev = self[index].prev
        self[prev].next = next
        self[next].prev = prev
    }

    /// Walks a list head first, for snapshots and recounts (never on a hot path). `limit` bounds
    /// the walk so that a corrupted (cyclic) list cannot hang a check.
    func indexes(of sentinel: UInt32, limit: Int) -> [UInt32] {
        var result: [UInt32] = []
        var cursor = self[sentinel].next
        while cursor != sentinel, result.count < limit {
            result.append(cursor)
            cursor = self[cursor].next
        }
        return result
    }
}
