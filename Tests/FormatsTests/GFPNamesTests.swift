import BuddyFormats
import BuddyVocabulary
import Testing

@Suite struct GFPNamesTests {
    @Test(arguments: [
        (GFPFlags.kernel, "GFP_KERNEL"),
        (GFPFlags.user, "GFP_USER"),
        (GFPFlags.highUserMovable, "GFP_HIGHUSER_MOVABLE"),
        (GFPFlags([.highUserMovable, .zero]), "GFP_HIGHUSER_MOVABLE|__GFP_ZERO"),
        (GFPFlags.transhuge, "GFP_TRANSHUGE"),
        (GFPFlags.transhugeLight, "GFP_TRANSHUGE_LIGHT"),
        (GFPFlags([.atomic, .comp]), "GFP_ATOMIC|__GFP_COMP"),
        (GFPFlags.noWait, "GFP_NOWAIT"),
        (GFPFlags.noIO, "GFP_NOIO"),
        (GFPFlags.kernelAccount, "GFP_KERNEL_ACCOUNT"),
        (GFPFlags([.kernel, .reclaimable]), "GFP_KERNEL|__GFP_RECLAIMABLE"),
        (GFPFlags([.kernel, .dma32]), "GFP_KERNEL|GFP_DMA32"),
        (GFPFlags([.kernel, .hardwall, .comp, .noWarn]), "GFP_USER|__GFP_NOWARN|__GFP_COMP"),
        (GFPFlags([.kernel, .noRetry, .retryMayFail]), "GFP_KERNEL|__GFP_RETRY_MAYFAIL|__GFP_NORETRY"),
        (GFPFlags([.directReclaim]), "__GFP_DIRECT_RECLAIM"),
        (GFPFlags([.high, .memalloc, .directReclaim]), "__GFP_HIGH|__GFP_DIRECT_RECLAIM|__GFP_MEMALLOC"),
        (GFPFlags([]), "none"),
    ])
    func rendersLikeShowGFPFlags(flags: GFPFlags, text: String) throws {
        #expect(GFPNames.render(flags) == text)
        #expect(try GFPNames.parse(text) == flags)
    }

    @Test func unnamedBitsPrintAsOneHexNumber() {
        #expect(GFPNames.render(GFPFlags(rawValue: 0x200 | 0x1000_0000 | 0x440)) == "__GFP_IO|__GFP_DIRECT_RECLAIM|0x10000200")
    }

    @Test func everyMaskOfNamedBitsRoundTrips() throws {
        // A fixed walk over masks: every single bit, every pair, and a stride through the rest.
        let bits = GFPNames.bitNames.map(\.flags)
        var masks: [GFPFlags] = []
        for first in bits { for second in bits { masks.append([first, second]) } }
        var value: UInt32 = 0
        while value <= GFPNames.knownBits.rawValue {
            masks.append(GFPFlags(rawValue: value).intersection(GFPNames.knownBits))
            value += 7919
        }
        for mask in masks {
            let text = GFPNames.render(mask)
            #expect(try GFPNames.parse(text) == mask, "\(text)")
            #expect(!text.contains("0x"), "\(text)")
        }
    }

    @Test func parseAcceptsSpacesRepeatsAndHex() throws {
        #expect(try GFPNames.parse(" GFP_KERNEL | __GFP_COMP ") == [.kernel, .comp])
        #expect(try GFPNames.parse("__GFP_IO|GFP_NOIO|__GFP_IO") == [.io, .reclaim])
        #expect(try GFPNames.parse("0x40cc0") == [.kernel, .comp])
        #expect(try GFPNames.parse("GFP_DMA|0x8") == [.dma, .movable])
    }

    @Test(arguments: [
        ("GFP_KERNL", "GFP_KERNL", "unknown GFP flag"),
        ("GFP_KERNEL||__GFP_COMP", "", "empty name between '|' separators"),
        ("GFP_KERNEL|", "", "empty name between '|' separators"),
        ("", "", "is empty; write none for no flags"),
        ("0xzz", "0xzz", "not a 32-bit hexadecimal mask"),
        ("0x200", "0x200", "has bits the model does not know: 0x200"),
        ("none|GFP_KERNEL", "none", "none cannot be combined with other flags"),
        ("gfp_kernel", "gfp_kernel", "unknown GFP flag"),
    ])
    func parseErrorsNameThePartAndTheRule(text: String, part: String, reason: String) {
        #expect {
            _ = try GFPNames.parse(text)
        } throws: { error in
            guard let error = error as? GFPNameError else { return false }
            return error.text == text && error.part == part && error.reason.hasPrefix(reason)
                && error.description.hasPrefix("GFP flags \"\(text)\": ")
        }
    }
}
