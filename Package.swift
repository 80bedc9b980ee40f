// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "buddyfuzz",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "buddyfuzz", targets: ["buddyfuzz"]),
        .library(name: "BuddyVocabulary", targets: ["BuddyVocabulary"]),
        .library(name: "ReferenceAllocator", targets: ["ReferenceAllocator"]),
        .library(name: "OptimizedAllocator", targets: ["OptimizedAllocator"]),
        .library(name: "Lockstep", targets: ["Lockstep"]),
        .library(name: "BuddyFormats", targets: ["BuddyFormats"]),
        .executable(name: "fuzz-lockstep", targets: ["FuzzLockstep"]),
        .executable(name: "fuzz-formats", targets: ["FuzzFormats"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // Types shared by both allocators and the harness. No allocation policy lives here.
        .target(name: "BuddyVocabulary"),
        // The executable specification: naive data structures, every rule of mm/page_alloc.c.
        .target(name: "ReferenceAllocator", dependencies: ["BuddyVocabulary"]),
        // The system under test: kernel-style data structures, the same decisions.
        .target(name: "OptimizedAllocator", dependencies: ["BuddyVocabulary"]),
        // /proc and ftrace renders of a state snapshot or an event.
        .target(name: "BuddyFormats", dependencies: ["BuddyVocabulary"]),
        // Operation encodings, generator, lockstep runner, invariant checkers, minimizer.
        .target(
            name: "Lockstep",
            dependencies: ["BuddyVocabulary", "ReferenceAllocator", "OptimizedAllocator", "BuddyFormats"]
        ),
        // Seeded benchmark workloads run on both allocators (`buddyfuzz bench`).
        .target(
            name: "Benchmarks",
            dependencies: ["BuddyVocabulary", "ReferenceAllocator", "OptimizedAllocator"]
        ),
        .executableTarget(
            name: "buddyfuzz",
            dependencies: [
                "BuddyVocabulary", "ReferenceAllocator", "OptimizedAllocator", "BuddyFormats", "Lockstep", "Benchmarks", "FuzzSupport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // libFuzzer's driver, declared weak: fuzz targets also link (as replayers) without it.
        .target(name: "CLibFuzzer", path: "FuzzTargets/CLibFuzzer"),
        // libFuzzer targets. `buddyfuzz fuzz` builds them instrumented into `.build-fuzz`.
        // Findings, the operation-level mutator and the replay driver shared by the fuzz targets.
        .target(
            name: "FuzzSupport",
            dependencies: ["BuddyVocabulary", "BuddyFormats", "Lockstep", "CLibFuzzer"],
            path: "FuzzTargets/Support"
        ),
        .executableTarget(
            name: "FuzzLockstep",
            dependencies: ["BuddyVocabulary", "FuzzSupport", "CLibFuzzer"],
            path: "FuzzTargets/lockstep"
        ),
        .executableTarget(
            name: "FuzzFormats",
            dependencies: ["FuzzSupport"],
            path: "FuzzTargets/formats",
            exclude: ["formats.dict"]
        ),
        // Scenario tests per rule family; every body runs against both allocators.
        .testTarget(
            name: "AllocatorTests",
            dependencies: ["BuddyVocabulary", "ReferenceAllocator", "OptimizedAllocator"]
        ),
        // The optimized allocator's own data structures, seam and self-consistency.
        .testTarget(
            name: "OptimizedAllocatorTests",
            dependencies: ["BuddyVocabulary", "OptimizedAllocator"]
        ),
        // Renders compared with text captured from a real Linux 6.18 /proc.
        .testTarget(
            name: "FormatsTests",
            dependencies: ["BuddyVocabulary", "ReferenceAllocator", "BuddyFormats"],
            resources: [.copy("Fixtures")]
        ),
        // The fuzzing plumbing: reproducers, the mutator, libFuzzer output, triage, campaign reports.
        .testTarget(
            name: "FuzzTests",
            dependencies: ["BuddyVocabulary", "ReferenceAllocator", "FuzzSupport", "buddyfuzz"]
        ),
        // Encodings, checkers, lockstep runs, corpus replay, determinism, the CLI end to end.
        .testTarget(
            name: "LockstepTests",
            dependencies: ["BuddyVocabulary", "ReferenceAllocator", "OptimizedAllocator", "Lockstep", "BuddyFormats"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
