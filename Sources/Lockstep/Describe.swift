import BuddyFormats
import BuddyVocabulary

/// Readable one-line forms of calls and outcomes for reports.
enum Describe {
    static func call(_ operation: Operation) -> String {
        switch operation {
        case .allocate(let cpu, let order, let gfp): "alloc_pages(cpu \(cpu), order \(order), \(GFPNames.render(gfp)))"
        case .freePages(let cpu, let pfn, let order): "__free_pages(cpu \(cpu), pfn \(pfn), order \(order))"
        case .getPage(let pfn): "get_page(pfn \(pfn))"
        case .putPage(let cpu, let pfn): "put_page(cpu \(cpu), pfn \(pfn))"
        case .splitPage(let pfn, let order): "split_page(pfn \(pfn), order \(order))"
        case .drainCPU(let cpu): "drain_local_pages(cpu \(cpu))"
        case .drainAll: "drain_all_pages()"
        case .vmstatTick(let cpu): "decay_pcp_high(cpu \(cpu))"
        case .kswapdBalanced(let node): "kswapd_balanced(node \(node))"
        case .isolatePageblock(let pfn): "set_migratetype_isolate(pfn \(pfn))"
        case .unisolatePageblock(let pfn): "unset_migratetype_isolate(pfn \(pfn))"
        case .writeSysctl(.minFreeKbytes(let value)): "sysctl min_free_kbytes = \(value)"
        case .writeSysctl(.watermarkScaleFactor(let value)): "sysctl watermark_scale_factor = \(value)"
        case .writeSysctl(.percpuPagelistHighFraction(let value)): "sysctl percpu_pagelist_high_fraction = \(value)"
        }
    }

    static func outcome(_ outcome: Outcome) -> String {
        switch outcome {
        case .allocated(let pfn): "allocated \(pfn)"
        case .allocationFailed: "allocation failed"
        case .completed(let pages): "completed, \(pages) page\(pages == 1 ? "" : "s") freed"
        case .rejected(let rejection): "rejected: \(rejection.reason.rawValue)" + (rejection.pfn.map { " (pfn \($0))" } ?? "")
        }
    }

    static func events(_ events: [TraceEvent], profile: Profile, indent: String) -> String {
        if events.isEmpty { return indent + "(none)" }
        return events.map { indent + Ftrace.body($0, profile: profile) }.joined(separator: "\n")
    }
}
