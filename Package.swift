// swift-tools-version:6.0
//
// Trainscape: training metrics -> 3D landscapes -> PNG / window / exports.
//
// Dependencies point downward only (each target's README.md says what it does and does not):
//
//   trainscape (CLI)    -> TrainscapeViewer, TrainscapeHeadless, TrainscapeBatch, TrainscapeIO, TrainscapeCore
//                          (+ swift-argument-parser, swift-log, CGlibcCompat)
//   TrainscapeViewer    -> TrainscapeGL, TrainscapeIO, TrainscapeCore   (+ CGLFW, CGL)
//   TrainscapeHeadless  -> TrainscapeGL, TrainscapeCore                 (+ CEGL, CGL)
//   TrainscapeBatch     -> TrainscapeIO                                 (+ TOMLKit, swift-crypto)
//   TrainscapeGL        -> TrainscapeCore                               (+ CGL)
//   TrainscapeIO        -> TrainscapeCore                               (+ CPNGEncoder, CHDF5, CPlotlyJS, CCRC32C, swift-protobuf, swift-collections, swift-log)
//   CPNGEncoder         -> CLibPNG                                      (+ libdeflate)
//   TrainscapeCore      -> swift-collections only: pure Swift, no OpenGL, no C imports
//   TrainscapeFuzz      -> TrainscapeIO   (the libFuzzer harness; declared only when TRAINSCAPE_FUZZ is set: scripts/fuzz.sh)
//
// CGL (OpenGL) and CHDF5 (HDF5) resolve their libraries at run time; the binary links only
// glibc and libEGL of the system's libraries (docs/install.md).
//
// TrainscapeBenchmarks uses Core, IO, Headless and Viewer; the test targets share
// TrainscapeTestSupport (Tests/README.md).
import Foundation
import PackageDescription

let package = Package(
  name: "Trainscape",
  platforms: [.macOS(.v13)],
  products: [
    .executable(name: "trainscape", targets: ["trainscape"]),
    .library(name: "TrainscapeCore", targets: ["TrainscapeCore"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
    // Runtime only: the generated code in Sources/TrainscapeIO/Proto is committed
    // (scripts/gen_protos.sh), so no build plugin and no protoc in CI.
    .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
    // `trainscape batch`: TOML plans (toml++ underneath) and SHA-256 input hashes.
    .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
    .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
  ],
  targets: [
    // MARK: - System libraries (found by pkg-config; no stable Swift API)
    .systemLibrary(
      name: "CEGL", path: "Sources/CEGL", pkgConfig: "egl",
      providers: [.apt(["libegl-dev"])]),
    .systemLibrary(
      name: "CLibPNG", path: "Sources/CLibPNG", pkgConfig: "libpng",
      providers: [.apt(["libpng-dev"])]),
    // OpenGL, resolved at run time (scripts/gen_gl_loader.py): from glvnd's libOpenGL.so.0 when
    // installed, else through libEGL's eglGetProcAddress, so the binary links no libOpenGL and
    // renders on a machine with only libegl1 and a driver. glcorearb.h (libgl-dev) to build.
    .target(name: "CGL", path: "Sources/CGL", exclude: ["README.md"], linkerSettings: [.linkedLibrary("dl")]),
    // HDF5, loaded with dlopen on first use of an .h5 file (its soname differs between
    // distributions, and only .h5 input needs it); no HDF5 headers are needed to build.
    .target(name: "CHDF5", path: "Sources/CHDF5", exclude: ["README.md"], linkerSettings: [.linkedLibrary("dl")]),
    // arc4random for glibc 2.35: the release binary (static Swift runtime) then runs on Ubuntu 22.04.
    .target(name: "CGlibcCompat", path: "Sources/CGlibcCompat", exclude: ["README.md"]),
    // CRC-32C with the SSE 4.2 instruction (TFRecord checksums); Swift tables elsewhere.
    .target(name: "CCRC32C", path: "Sources/CCRC32C", exclude: ["README.md"]),
    // libdeflate (Debian: libdeflate-dev) writes the fixed-filter frames; libpng the rest.
    .target(
      name: "CPNGEncoder", dependencies: ["CLibPNG"], path: "Sources/CPNGEncoder", exclude: ["README.md"],
      linkerSettings: [.linkedLibrary("deflate")]),

    // plotly.min.js (Assets/plotly) built into the binary with .incbin, found through the
    // header search path; the HTML export inlines it so pages draw offline.
    .target(
      name: "CPlotlyJS", path: "Sources/CPlotlyJS", exclude: ["README.md"],
      cSettings: [.headerSearchPath("../../Assets/plotly")]),

    // MARK: - Pure Swift core: metrics -> buffers -> geometry -> Scene
    .target(
      name: "TrainscapeCore",
      dependencies: [.product(name: "DequeModule", package: "swift-collections")],
      path: "Sources/TrainscapeCore", exclude: ["README.md"]),

    // MARK: - Readers and writers (files in, files out)
    .target(
      name: "TrainscapeIO",
      dependencies: [
        "TrainscapeCore", "CPNGEncoder", "CHDF5", "CPlotlyJS", "CCRC32C",
        .product(name: "SwiftProtobuf", package: "swift-protobuf"),
        .product(name: "DequeModule", package: "swift-collections"),
        .product(name: "Logging", package: "swift-log"),
      ],
      path: "Sources/TrainscapeIO", exclude: ["README.md"]),

    // MARK: - Batches: plans -> ordered jobs -> shards, input hashes, manifests, merge, gallery
    // No OpenGL: the CLI runs each job through the kinds' own commands.
    .target(
      name: "TrainscapeBatch",
      dependencies: [
        "TrainscapeIO",
        .product(name: "TOMLKit", package: "TOMLKit"),
        .product(name: "Crypto", package: "swift-crypto"),
      ],
      path: "Sources/TrainscapeBatch", exclude: ["README.md"]),

    // MARK: - Thin OpenGL layer: draws a Scene into the current framebuffer
    .target(
      name: "TrainscapeGL",
      dependencies: ["TrainscapeCore", "CGL"],
      path: "Sources/TrainscapeGL", exclude: ["README.md"]),

    // MARK: - Headless backend: EGL context + offscreen framebuffer + readback
    .target(
      name: "TrainscapeHeadless",
      dependencies: ["TrainscapeGL", "TrainscapeCore", "CEGL", "CGL"],
      path: "Sources/TrainscapeHeadless", exclude: ["README.md"]),

    // MARK: - Interactive window (GLFW): the same SceneRenderer and layout as the headless path
    // GLFW for the window backend, loaded with dlopen on first use (scripts/gen_glfw_loader.py),
    // so the binary runs headless without GLFW or X11 installed; the header is needed to build
    // (libglfw3-dev).
    .target(
      name: "CGLFW", path: "Sources/CGLFW", exclude: ["README.md"], linkerSettings: [.linkedLibrary("dl")]),
    .target(
      name: "TrainscapeViewer",
      dependencies: ["TrainscapeGL", "TrainscapeCore", "TrainscapeIO", "CGLFW", "CGL"],
      path: "Sources/TrainscapeViewer", exclude: ["README.md"]),

    // MARK: - Command line
    .executableTarget(
      name: "trainscape",
      dependencies: [
        "TrainscapeCore", "TrainscapeIO", "TrainscapeHeadless", "TrainscapeViewer", "TrainscapeBatch",
        "CGlibcCompat",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
        .product(name: "Logging", package: "swift-log"),
      ],
      path: "Sources/trainscape", exclude: ["README.md"]),

    // MARK: - Benchmarks (speed is measured here, never asserted in tests)
    .executableTarget(
      name: "TrainscapeBenchmarks",
      dependencies: ["TrainscapeCore", "TrainscapeIO", "TrainscapeHeadless", "TrainscapeViewer"],
      path: "Benchmarks/TrainscapeBenchmarks", exclude: ["README.md"]),

    // MARK: - Tests
    // Shared by the test targets: tags, paths, the CLI runner, Xvfb, the venv, image diffs.
    .target(
      name: "TrainscapeTestSupport", dependencies: ["TrainscapeCore", "TrainscapeIO"],
      path: "Tests/TestSupport", exclude: ["README.md"]),
    .testTarget(
      name: "TrainscapeCoreTests", dependencies: ["TrainscapeTestSupport", "TrainscapeCore"],
      path: "Tests/TrainscapeCoreTests"),
    .testTarget(
      name: "TrainscapeIOTests", dependencies: ["TrainscapeTestSupport", "TrainscapeIO", "TrainscapeCore"],
      path: "Tests/TrainscapeIOTests", exclude: ["Fixtures"]),
    .testTarget(
      name: "TrainscapeBatchTests", dependencies: ["TrainscapeTestSupport", "TrainscapeBatch", "TrainscapeIO"],
      path: "Tests/TrainscapeBatchTests"),
    .testTarget(
      name: "TrainscapeGLTests", dependencies: ["TrainscapeTestSupport", "TrainscapeGL", "TrainscapeCore"],
      path: "Tests/TrainscapeGLTests"),
    .testTarget(
      name: "TrainscapeRenderTests",
      dependencies: ["TrainscapeTestSupport", "TrainscapeHeadless", "TrainscapeGL", "TrainscapeIO", "TrainscapeCore"],
      path: "Tests/TrainscapeRenderTests",
      exclude: ["Goldens"]),
    .testTarget(
      name: "TrainscapeCLITests",
      dependencies: ["TrainscapeTestSupport", "trainscape", "TrainscapeIO", "TrainscapeCore", "TrainscapeBatch"],
      path: "Tests/TrainscapeCLITests"),
    .testTarget(
      name: "TrainscapeViewerTests",
      dependencies: ["TrainscapeTestSupport", "trainscape", "TrainscapeViewer", "TrainscapeIO", "TrainscapeCore"],
      path: "Tests/TrainscapeViewerTests",
      exclude: ["Goldens"]),
  ],
  swiftLanguageModes: [.v6]
)

// MARK: - Fuzzing (scripts/fuzz.sh only)
// The libFuzzer harness is declared only when TRAINSCAPE_FUZZ is set: it needs
// `-sanitize=fuzzer` to link, so a plain `swift build` never sees it. scripts/fuzz.sh builds it
// in its own scratch path (.build-fuzz) with AddressSanitizer.
if ProcessInfo.processInfo.environment["TRAINSCAPE_FUZZ"] != nil {
  package.targets.append(
    .executableTarget(name: "TrainscapeFuzz", dependencies: ["TrainscapeIO"], path: "Fuzz/TrainscapeFuzz"))
}
