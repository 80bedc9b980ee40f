/// The profiles every command knows by name. JSON copies live in `profiles/`.
public enum BuiltInProfiles {
    /// Every built-in profile, in the order `buddyfuzz profiles` lists them.
    public static let all: [Profile] = [tiny, tinyNUMA, tinyMovable, small, x86_64_4GiB, arm64_64KiB, linux618VM, bench64Ki, bench1Mi, bench16Mi]

    public static func named(_ name: String) -> Profile? { all.first { $0.name == name } }

    /// The fuzzing profile: small enough that every rule fires within a few hundred operations.
    ///
    /// `MAX_PAGE_ORDER` 6 and `pageblock_order` 4 (as a `CONFIG_ARCH_FORCE_MAX_ORDER` build
    /// could have) keep the 4-pageblocks-per-MAX_ORDER-block shape of larger machines at a
    /// fraction of the pages. DMA32 (1,536 pages, 36 reserved at its start so boot frees
    /// unaligned runs) is below the 1% highatomic threshold; Normal (1,984 managed pages, a
    /// 64-page hole at its end) is above it and can reserve two pageblocks.
    public static let tiny = Profile(
        name: "tiny", pageSize: 4096, maxPageOrder: 6, pageblockOrder: 4, cpus: 2,
        nodes: [
            Profile.Node(zones: [
                Profile.Zone(type: .dma32, startPfn: 64, spannedPages: 1536, presentPages: 1536, managedPages: 1500),
                Profile.Zone(type: .normal, startPfn: 2048, spannedPages: 2048, presentPages: 1984, managedPages: 1984),
            ])
        ])

    /// Two nodes of one Normal zone each (plus DMA32 on node 0): zonelists across nodes,
    /// the remote-node NOFRAGMENT rule, per-node CPUs.
    public static let tinyNUMA = Profile(
        name: "tiny-numa", pageSize: 4096, maxPageOrder: 6, pageblockOrder: 4, cpus: 4,
        nodes: [
            Profile.Node(cpus: 2, distances: [10, 21], zones: [
                Profile.Zone(type: .dma32, startPfn: 0, spannedPages: 1024, presentPages: 1024, managedPages: 1000),
                Profile.Zone(type: .normal, startPfn: 1024, spannedPages: 1024),
            ]),
            Profile.Node(cpus: 2, distances: [21, 10], zones: [
                Profile.Zone(type: .normal, startPfn: 4096, spannedPages: 2048, presentPages: 2048, managedPages: 2000),
            ]),
        ])

    /// Two nodes, only the second with a Movable zone (`movablecore=` on a NUMA machine): a
    /// GFP_HIGHUSER_MOVABLE request from node 0 prefers node 0's Normal zone while its highest
    /// zone (`ac->highest_zoneidx`) is Movable, and node 1's Normal zone keeps a larger
    /// `lowmem_reserve` for Movable requests than for Normal ones. The geometry the classzone
    /// rule of `get_page_from_freelist` needs, and the zonelist order Movable → Normal.
    public static let tinyMovable = Profile(
        name: "tiny-movable", pageSize: 4096, maxPageOrder: 6, pageblockOrder: 4, cpus: 4,
        nodes: [
            Profile.Node(cpus: 2, distances: [10, 21], zones: [
                Profile.Zone(type: .dma32, startPfn: 0, spannedPages: 1024, presentPages: 1024, managedPages: 1000),
                Profile.Zone(type: .normal, startPfn: 1024, spannedPages: 1024),
            ]),
            Profile.Node(cpus: 2, distances: [21, 10], zones: [
                Profile.Zone(type: .normal, startPfn: 4096, spannedPages: 1024, presentPages: 1024, managedPages: 1000),
                Profile.Zone(type: .movable, startPfn: 5120, spannedPages: 1024),
            ]),
        ])

    /// x86_64 geometry (orders 10 and 9) at 512 MiB: DMA32 and Normal, 4 CPUs.
    public static let small = Profile(
        name: "small", pageSize: 4096, maxPageOrder: 10, pageblockOrder: 9, cpus: 4,
        nodes: [
            Profile.Node(zones: [
                Profile.Zone(type: .dma32, startPfn: 4096, spannedPages: 65536, presentPages: 65536, managedPages: 64000),
                Profile.Zone(type: .normal, startPfn: 1_048_576, spannedPages: 65536, presentPages: 65536, managedPages: 65536),
            ])
        ])

    /// An x86_64 machine with 4 GiB of RAM: DMA, DMA32 and Normal at their real boundaries
    /// (16 MiB, 4 GiB), the 640 KiB–1 MiB hole in DMA, the 3–4 GiB PCI hole in DMA32.
    public static let x86_64_4GiB = Profile(
        name: "x86-64-4g", pageSize: 4096, maxPageOrder: 10, pageblockOrder: 9, cpus: 4,
        nodes: [
            Profile.Node(zones: [
                Profile.Zone(
                    type: .dma, startPfn: 1, spannedPages: 4095, presentPages: 3998, managedPages: 3840,
                    holes: [Profile.PFNRange(start: 159, count: 97)], reserved: [Profile.PFNRange(start: 1, count: 158)]),
                Profile.Zone(type: .dma32, startPfn: 4096, spannedPages: 1_044_480, presentPages: 782_336, managedPages: 772_808),
                Profile.Zone(type: .normal, startPfn: 1_048_576, spannedPages: 262_144, presentPages: 262_144, managedPages: 257_000),
            ])
        ])

    /// An arm64 machine with 64 KiB pages (`MAX_PAGE_ORDER` 13, 512 MiB pageblocks), the
    /// geometry of the allocation-failure report in the project's seed notes.
    public static let arm64_64KiB = Profile(
        name: "arm64-64k", pageSize: 65536, maxPageOrder: 13, pageblockOrder: 13, cpus: 8,
        nodes: [
            Profile.Node(zones: [
                Profile.Zone(type: .dma32, startPfn: 0, spannedPages: 65536, presentPages: 49152, managedPages: 45318),
                Profile.Zone(type: .normal, startPfn: 65536, spannedPages: 81920, presentPages: 81920, managedPages: 81619),
            ])
        ])

    /// The Linux 6.18.44 x86_64 virtual machine whose `/proc` captures are the render fixtures
    /// (2 CPUs, `min_free_kbytes` 67584, a 32 MiB L3 shared by both CPUs).
    public static let linux618VM = Profile(
        name: "linux-6.18-vm", pageSize: 4096, maxPageOrder: 10, pageblockOrder: 9, cpus: 2,
        dataCacheSliceBytes: 16 << 20,
        sysctl: Profile.Sysctl(minFreeKbytes: 67584),
        nodes: [
            Profile.Node(zones: [
                Profile.Zone(
                    type: .dma, startPfn: 1, spannedPages: 4095, presentPages: 3998, managedPages: 3840,
                    holes: [Profile.PFNRange(start: 159, count: 97)], reserved: [Profile.PFNRange(start: 1, count: 158)]),
                Profile.Zone(type: .dma32, startPfn: 4096, spannedPages: 1_044_480, presentPages: 782_336, managedPages: 772_808),
                Profile.Zone(type: .normal, startPfn: 1_048_576, spannedPages: 5_505_024, presentPages: 5_505_024, managedPages: 294_912),
            ])
        ])

    /// Benchmark geometry: x86_64 orders, DMA32 up to its 4 GiB boundary, the rest in Normal.
    public static func bench(name: String, pages: Int) -> Profile {
        let dma32 = min(pages / 2, 1_048_576 - 4096)
        return Profile(
            name: name, pageSize: 4096, maxPageOrder: 10, pageblockOrder: 9, cpus: 4,
            nodes: [
                Profile.Node(zones: [
                    Profile.Zone(type: .dma32, startPfn: 4096, spannedPages: dma32),
                    Profile.Zone(type: .normal, startPfn: 1_048_576, spannedPages: pages - dma32),
                ])
            ])
    }

    /// 64 Ki pages (256 MiB).
    public static let bench64Ki = bench(name: "bench-64ki", pages: 1 << 16)
    /// 1 Mi pages (4 GiB).
    public static let bench1Mi = bench(name: "bench-1mi", pages: 1 << 20)
    /// 16 Mi pages (64 GiB).
    public static let bench16Mi = bench(name: "bench-16mi", pages: 1 << 24)
}
