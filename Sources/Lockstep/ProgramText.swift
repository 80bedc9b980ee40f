import BuddyVocabulary

/// A malformed operation file: which file, which line (1-based; 0 when the file as a whole is
/// wrong), and what is wrong.
public struct ProgramTextError: Error, Hashable, Sendable, CustomStringConvertible {
    public var source: String
    public var line: Int
    public var message: String
    public init(source: String, line: Int, message: String) {
        self.source = source
        self.line = line
        self.message = message
    }
    public var description: String { line > 0 ? "\(source):\(line): \(message)" : "\(source): \(message)" }
}

/// The readable, versioned form of a program (`.ops` files):
///
/// ```
/// buddyfuzz ops v1
/// profile tiny
/// seed 42
/// alloc cpu=1 order=3 gfp=GFP_KERNEL|__GFP_COMP
/// get_page #0 page=2
/// put_page #0 page=2 cpu=0
/// free #4 cpu=0
/// isolate block=7
/// sysctl watermark_scale_factor=200
/// invalid double-free cpu=1 arg=3
/// ```
///
/// Blank lines and comment lines (`#` followed by a space or nothing) are ignored. Live
/// allocations are written `#k`. Every field is range-checked against the profile, so a parsed
/// program is canonical and converts to the binary form and back unchanged.
public enum ProgramText {
    public static let magic = "buddyfuzz ops v1"
    static let magicPrefix = "buddyfuzz ops "

    /// Whether `bytes` look like the text form (as opposed to the binary form).
    public static func isText(_ bytes: [UInt8]) -> Bool { bytes.starts(with: Array(magicPrefix.utf8)) }

    public static func render(_ program: Program) -> String {
        var lines = [magic, "profile \(program.profile.name)", "seed \(program.seed)"]
        lines.reserveCapacity(program.operations.count + 3)
        for operation in program.operations { lines.append(render(operation)) }
        return lines.joined(separator: "\n") + "\n"
    }

    /// One operation in the text syntax.
    public static func render(_ operation: ProgramOperation) -> String {
        switch operation {
        case .allocate(let cpu, let order, let gfp): "alloc cpu=\(cpu) order=\(order) gfp=\(gfp)"
        case .free(let cpu, let allocation): "free #\(allocation) cpu=\(cpu)"
        case .getPage(let allocation, let page): "get_page #\(allocation) page=\(page)"
        case .putPage(let cpu, let allocation, let page): "put_page #\(allocation) page=\(page) cpu=\(cpu)"
        case .freeWithExtraReference(let cpu, let allocation): "free_extra_ref #\(allocation) cpu=\(cpu)"
        case .splitPage(let allocation): "split_page #\(allocation)"
        case .drainCPU(let cpu): "drain cpu=\(cpu)"
        case .drainAll: "drain_all"
        case .vmstatTick(let cpu): "vmstat_tick cpu=\(cpu)"
        case .kswapdBalanced(let node): "kswapd_balanced node=\(node)"
        case .isolate(let block): "isolate block=\(block)"
        case .unisolate(let block): "unisolate block=\(block)"
        case .sysctl(.minFreeKbytes(let value)): "sysctl min_free_kbytes=\(value)"
        case .sysctl(.watermarkScaleFactor(let value)): "sysctl watermark_scale_factor=\(value)"
        case .sysctl(.percpuPagelistHighFraction(let value)): "sysctl percpu_pagelist_high_fraction=\(value)"
        case .invalid(let invalid): "invalid \(invalid.kind.name) cpu=\(invalid.cpu) arg=\(invalid.argument)"
        }
    }

    public static func parse(_ text: String, source: String) throws(ProgramTextError) -> Program {
        var parser = Parser(source: source)
        return try parser.parse(text)
    }
}

/// Line-by-line parser; `lineNumber` is the line being read, for errors.
struct Parser {
    let source: String
    var lineNumber = 0
    var profile: Profile?
    var seed: UInt64?

    init(source: String) { self.source = source }

    func fail(_ message: String) -> ProgramTextError { ProgramTextError(source: source, line: lineNumber, message: message) }

    mutating func parse(_ text: String) throws(ProgramTextError) -> Program {
        if text.isEmpty { throw ProgramTextError(source: source, line: 0, message: "empty file: expected '\(ProgramText.magic)' on the first line") }
        var operations: [ProgramOperation] = []
        var sawMagic = false
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            let line = rawLine.trimmingWhitespace()
            if !sawMagic {
                try checkMagic(line)
                sawMagic = true
                continue
            }
            if line.isEmpty || isComment(line) { continue }
            if try parseHeader(line, haveOperations: !operations.isEmpty) { continue }
            guard let profile else { throw fail("operation before the 'profile NAME' line") }
            operations.append(try parseOperation(line, profile: profile))
        }
        guard let profile else { throw ProgramTextError(source: source, line: 0, message: "missing 'profile NAME' line") }
        return Program(profile: profile, seed: seed ?? 0, operations: operations)
    }

    func checkMagic(_ line: Substring) throws(ProgramTextError) {
        if line == ProgramText.magic { return }
        if line.hasPrefix(ProgramText.magicPrefix) {
            throw fail("unsupported format version '\(line.dropFirst(ProgramText.magicPrefix.count))' (this build reads v1)")
        }
        throw fail("expected '\(ProgramText.magic)' on the first line, found '\(line.prefix(40))'")
    }

    func isComment(_ line: Substring) -> Bool {
        guard line.first == "#" else { return false }
        let next = line.dropFirst().first
        return next == nil || next == " " || next == "\t" || next == "#"
    }

    /// Handles `profile` and `seed` lines; false for anything else.
    mutating func parseHeader(_ line: Substring, haveOperations: Bool) throws(ProgramTextError) -> Bool {
        let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
        switch words[0] {
        case "profile":
            guard words.count == 2 else { throw fail("expected 'profile NAME'") }
            guard profile == nil else { throw fail("second 'profile' line") }
            guard !haveOperations else { throw fail("'profile' after the first operation") }
            guard let named = FuzzingProfiles.named(String(words[1])) else {
                throw fail("unknown profile '\(words[1])' (fuzzing profiles: \(FuzzingProfiles.names.joined(separator: ", ")))")
            }
            profile = named
            return true
        case "seed":
            guard words.count == 2 else { throw fail("expected 'seed N'") }
            guard seed == nil else { throw fail("second 'seed' line") }
            guard let value = parseUInt64(words[1]) else { throw fail("seed '\(words[1])' is not an unsigned 64-bit number") }
            seed = value
            return true
        default:
            return false
        }
    }

    func parseUInt64(_ text: Substring) -> UInt64? {
        if text.hasPrefix("0x") { return UInt64(text.dropFirst(2), radix: 16) }
        return UInt64(text)
    }

    func parseOperation(_ line: Substring, profile: Profile) throws(ProgramTextError) -> ProgramOperation {
        let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
        let keyword = String(words[0])
        guard let kind = ProgramOperationKind.allCases.first(where: { $0.keyword == keyword }) else {
            let known = ProgramOperationKind.allCases.map(\.keyword).joined(separator: ", ")
            throw fail("unknown operation '\(keyword)' (known: \(known))")
        }
        var fields = try Fields(words.dropFirst(), parser: self)
        let operation = try parseFields(kind, &fields, profile: profile, words: words)
        try fields.requireAllUsed()
        return operation
    }

    func parseFields(_ kind: ProgramOperationKind, _ fields: inout Fields, profile: Profile, words: [Substring]) throws(ProgramTextError) -> ProgramOperation {
        let cpuLimit = ProgramLimits.cpuCount(profile) - 1
        let indexLimit = ProgramLimits.indexFieldCount - 1
        switch kind {
        case .allocate:
            let cpu = try fields.integer("cpu", in: 0...cpuLimit)
            let order = try fields.integer("order", in: 0...profile.maxPageOrder)
            return .allocate(cpu: cpu, order: order, gfp: try parseGFP(fields.text("gfp")))
        case .free:
            return .free(cpu: try fields.integer("cpu", in: 0...cpuLimit), allocation: try fields.allocation())
        case .getPage:
            return .getPage(allocation: try fields.allocation(), page: try fields.integer("page", in: 0...15))
        case .putPage:
            let page = try fields.integer("page", in: 0...15)
            return .putPage(cpu: try fields.integer("cpu", in: 0...cpuLimit), allocation: try fields.allocation(), page: page)
        case .freeWithExtraReference:
            return .freeWithExtraReference(cpu: try fields.integer("cpu", in: 0...cpuLimit), allocation: try fields.allocation())
        case .splitPage: return .splitPage(allocation: try fields.allocation())
        case .drainCPU: return .drainCPU(cpu: try fields.integer("cpu", in: 0...cpuLimit))
        case .drainAll: return .drainAll
        case .vmstatTick: return .vmstatTick(cpu: try fields.integer("cpu", in: 0...cpuLimit))
        case .kswapdBalanced: return .kswapdBalanced(node: try fields.integer("node", in: 0...(profile.nodes.count - 1)))
        case .isolate: return .isolate(block: try fields.integer("block", in: 0...indexLimit))
        case .unisolate: return .unisolate(block: try fields.integer("block", in: 0...indexLimit))
        case .sysctl: return .sysctl(try parseSysctl(&fields))
        case .invalid:
            guard words.count >= 2, let invalidKind = InvalidOperationKind(name: String(words[1])) else {
                let known = InvalidOperationKind.allCases.map(\.name).joined(separator: ", ")
                throw fail("'invalid' needs a kind (one of: \(known))")
            }
            fields.consumeBareWord(String(words[1]))
            let cpu = try fields.integer("cpu", in: 0...cpuLimit)
            return .invalid(InvalidOperation(kind: invalidKind, cpu: cpu, argument: try fields.integer("arg", in: 0...indexLimit)))
        }
    }

    func parseSysctl(_ fields: inout Fields) throws(ProgramTextError) -> SysctlChoice {
        if fields.has("min_free_kbytes") {
            return .minFreeKbytes(try fields.integer("min_free_kbytes", in: 0...ProgramLimits.minFreeKbytesMax))
        }
        if fields.has("watermark_scale_factor") {
            return .watermarkScaleFactor(try fields.integer("watermark_scale_factor", in: ProgramLimits.watermarkScaleFactorRange))
        }
        if fields.has("percpu_pagelist_high_fraction") {
            let value = try fields.integer("percpu_pagelist_high_fraction", in: 0...ProgramLimits.percpuPagelistHighFractionMax)
            guard value == 0 || value >= ProgramLimits.percpuPagelistHighFractionMin else {
                throw fail("percpu_pagelist_high_fraction \(value) is out of range (0 or \(ProgramLimits.percpuPagelistHighFractionMin)...\(ProgramLimits.percpuPagelistHighFractionMax))")
            }
            return .percpuPagelistHighFraction(value)
        }
        throw fail("'sysctl' needs one of min_free_kbytes=, watermark_scale_factor=, percpu_pagelist_high_fraction=")
    }

    func parseGFP(_ text: String) throws(ProgramTextError) -> GFPChoice {
        var base: Int?
        var modifiers: UInt8 = 0
        for name in text.split(separator: "|", omittingEmptySubsequences: false) {
            if let index = GFPChoice.bases.firstIndex(where: { $0.name == name }) {
                guard base == nil else { throw fail("gfp '\(text)' names two base masks") }
                base = index
            } else if let bit = GFPChoice.modifiers.firstIndex(where: { $0.name == name }) {
                modifiers |= 1 << bit
            } else {
                let known = (GFPChoice.bases.map(\.name) + GFPChoice.modifiers.map(\.name)).joined(separator: ", ")
                throw fail("unknown gfp flag '\(name)' (known: \(known))")
            }
        }
        guard let base else { throw fail("gfp '\(text)' names no base mask (such as GFP_KERNEL)") }
        let choice = GFPChoice(base: base, modifiers: modifiers)
        guard choice.isCanonical else {
            throw fail("gfp '\(text)' is not a valid zone/migratetype combination (GFP_ZONE_BAD or __GFP_MOVABLE|__GFP_RECLAIMABLE)")
        }
        return choice
    }
}

/// The `key=value` and `#k` words of one operation line.
struct Fields {
    var values: [(key: String, value: String)] = []
    var used: [Bool] = []
    var bareWords: [String] = []
    let parser: Parser

    init(_ words: ArraySlice<Substring>, parser: Parser) throws(ProgramTextError) {
        self.parser = parser
        for word in words {
            let entry: (key: String, value: String)
            if word.hasPrefix("#") {
                entry = ("#", String(word.dropFirst()))
            } else if let equals = word.firstIndex(of: "=") {
                entry = (String(word[..<equals]), String(word[word.index(after: equals)...]))
            } else {
                bareWords.append(String(word))
                continue
            }
            guard !values.contains(where: { $0.key == entry.key }) else {
                throw parser.fail(entry.key == "#" ? "two live allocations given" : "'\(entry.key)' given twice")
            }
            values.append(entry)
            used.append(false)
        }
    }

    func has(_ key: String) -> Bool { values.contains { $0.key == key } }

    mutating func consumeBareWord(_ word: String) {
        if let index = bareWords.firstIndex(of: word) { bareWords.remove(at: index) }
    }

    mutating func text(_ key: String) throws(ProgramTextError) -> String {
        guard let index = values.firstIndex(where: { $0.key == key }) else {
            throw parser.fail(key == "#" ? "missing live allocation '#k'" : "missing '\(key)='")
        }
        used[index] = true
        return values[index].value
    }

    mutating func integer(_ key: String, in range: ClosedRange<Int>) throws(ProgramTextError) -> Int {
        let text = try text(key)
        let name = key == "#" ? "live allocation index" : key
        guard let value = Int(text) else { throw parser.fail("\(name) '\(text)' is not a number") }
        guard range.contains(value) else {
            throw parser.fail("\(name) \(value) is out of range \(range.lowerBound)...\(range.upperBound)")
        }
        return value
    }

    mutating func allocation() throws(ProgramTextError) -> Int {
        try integer("#", in: 0...(ProgramLimits.indexFieldCount - 1))
    }

    func requireAllUsed() throws(ProgramTextError) {
        if let word = bareWords.first { throw parser.fail("unexpected word '\(word)'") }
        if let index = used.firstIndex(of: false) {
            let key = values[index].key
            throw parser.fail(key == "#" ? "unexpected live allocation '#\(values[index].value)'" : "unexpected field '\(key)='")
        }
    }
}

extension Substring {
    func trimmingWhitespace() -> Substring {
        var result = self
        while let first = result.first, first == " " || first == "\t" || first == "\r" { result = result.dropFirst() }
        while let last = result.last, last == " " || last == "\t" || last == "\r" { result = result.dropLast() }
        return result
    }
}
