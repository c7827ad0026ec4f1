import Foundation
import TrainscapeCore

/// `TrainscapeBenchmarks embedding [--rows N] [--cols D] [--iterations I] [--umap-rows N]
/// [--only pca-tsne|umap] [--no-python]`
///
/// scripts/bench_embedding.py (in .venv) writes the data set (default 2000 x 768: Gaussian
/// clusters on a 32-dimensional latent space plus noise) to a temporary file; this times our
/// PCA (best of 5) and t-SNE (one run, 3D, default options) on it, then the script times
/// sklearn's PCA and TSNE(n_components=3) on the same data and prints seconds, ratios and the
/// trustworthiness of both sides' 3D results. Then the same for UMAP on a second data set of
/// the same kind (default 5000 x 768): ours (3D, seed 42, best of 2) against umap-learn's
/// `UMAP(n_components=3, random_state=42)` (best of 2 runs, so numba's compilation is not
/// counted; seeded umap-learn runs on one thread) and unseeded umap-learn (all cores, one run).
/// With --no-python (or no .venv) the data are random clusters generated here and only our
/// timings are printed.
enum EmbeddingBenchmark {
  static func run(_ args: [String]) throws {
    var rows = 2000, cols = 768, umapRows = 5000
    var options = TSNEOptions()
    var usePython = true
    var only: String?
    var i = 0
    while i < args.count {
      switch args[i] {
      case "--rows": rows = Int(args[i + 1])!; i += 1
      case "--cols": cols = Int(args[i + 1])!; i += 1
      case "--iterations": options.iterations = Int(args[i + 1])!; i += 1
      case "--umap-rows": umapRows = Int(args[i + 1])!; i += 1
      case "--only": only = args[i + 1]; i += 1
      case "--no-python": usePython = false
      default:
        printLine("usage: TrainscapeBenchmarks embedding [--rows N] [--cols D] [--iterations I] [--umap-rows N] [--only pca-tsne|umap] [--no-python]")
        exit(2)
      }
      i += 1
    }
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
      .deletingLastPathComponent().deletingLastPathComponent()
    let python = root.appendingPathComponent(".venv/bin/python").path
    let script = root.appendingPathComponent("scripts/bench_embedding.py").path
    if usePython && !FileManager.default.isExecutableFile(atPath: python) {
      printLine("note: \(python) not found (scripts/setup.sh creates it); timing Swift only")
      usePython = false
    }
    let dir = FileManager.default.temporaryDirectory
      .appendingPathComponent("trainscape-embedding-\(ProcessInfo.processInfo.processIdentifier)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    if only != "umap" {
      try pcaAndTSNE(rows: rows, cols: cols, options: options, usePython: usePython, python: python, script: script, dir: dir)
    }
    if only != "pca-tsne" {
      try umap(rows: umapRows, cols: cols, usePython: usePython, python: python, script: script, dir: dir)
    }
  }

  static func umap(rows: Int, cols: Int, usePython: Bool, python: String, script: String, dir: URL) throws {
    let dataFile = dir.appendingPathComponent("umap-data.bin")
    var data: [Double]
    if usePython {
      try runPython(python, [script, "generate", dataFile.path, "\(rows)", "\(cols)"])
      data = try readDoubles(dataFile)
      precondition(data.count == rows * cols, "data file has \(data.count) values")
    } else {
      data = syntheticClusters(rows: rows, cols: cols)
    }
    var best = Double.infinity
    var embedding: [Double] = []
    var diagnostics = UMAP.Diagnostics()
    for _ in 0..<2 {
      let t = Date()
      let (y, d) = try UMAP.embedWithDiagnostics(data, rows: rows, cols: cols)
      let seconds = Date().timeIntervalSince(t)
      if seconds < best {
        best = seconds
        embedding = y
        diagnostics = d
      }
    }
    let threads = DataParallel.defaultThreads
    printLine(String(
      format: "Swift: UMAP %.3f s (best of 2, %d x %d -> 3D, %d threads): exact kNN %.3f s, fuzzy set %.3f s, spectral init %.3f s (%d components), %d epochs over %d edges %.3f s",
      best, rows, cols, threads, diagnostics.neighbourSeconds, diagnostics.graphSeconds, diagnostics.initSeconds,
      diagnostics.components, diagnostics.epochs, diagnostics.edges, diagnostics.optimizeSeconds))
    guard usePython else { return }
    let umapFile = dir.appendingPathComponent("umap.bin")
    try writeDoubles(embedding, umapFile)
    try runPython(python, [script, "compare-umap", dataFile.path, "\(rows)", "\(cols)", umapFile.path, "\(best)"])
  }

  static func pcaAndTSNE(
    rows: Int, cols: Int, options: TSNEOptions, usePython: Bool, python: String, script: String, dir: URL
  ) throws {
    let dataFile = dir.appendingPathComponent("data.bin")

    var data: [Double]
    if usePython {
      try runPython(python, [script, "generate", dataFile.path, "\(rows)", "\(cols)"])
      data = try readDoubles(dataFile)
      precondition(data.count == rows * cols, "data file has \(data.count) values")
    } else {
      data = syntheticClusters(rows: rows, cols: cols)
    }

    var pcaSeconds = Double.infinity
    var pca = try PCA.fit(data, rows: rows, cols: cols, components: 3)
    for _ in 0..<5 {
      let t = Date()
      pca = try PCA.fit(data, rows: rows, cols: cols, components: 3)
      pcaSeconds = min(pcaSeconds, Date().timeIntervalSince(t))
    }
    let t = Date()
    let embedding = try TSNE.embed(data, rows: rows, cols: cols, options: options)
    let tsneSeconds = Date().timeIntervalSince(t)
    printLine(String(format: "Swift: PCA %.4f s (best of 5), t-SNE %.3f s (%d iterations)", pcaSeconds, tsneSeconds, options.iterations))

    guard usePython else { return }
    let pcaFile = dir.appendingPathComponent("pca.bin"), tsneFile = dir.appendingPathComponent("tsne.bin")
    try writeDoubles(pca.projected, pcaFile)
    try writeDoubles(embedding, tsneFile)
    try runPython(python, [
      script, "compare", dataFile.path, "\(rows)", "\(cols)", pcaFile.path, tsneFile.path,
      "\(pcaSeconds)", "\(tsneSeconds)",
    ])
  }

  static func runPython(_ python: String, _ args: [String]) throws {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: python)
    p.arguments = args
    try p.run()
    p.waitUntilExit()
    guard p.terminationStatus == 0 else {
      throw EmbeddingError("\(python) \(args.joined(separator: " ")) failed (\(p.terminationStatus))")
    }
  }

  static func readDoubles(_ url: URL) throws -> [Double] {
    let bytes = try Data(contentsOf: url)
    return bytes.withUnsafeBytes { raw in
      (0..<(bytes.count / 8)).map { Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 8, as: UInt64.self))) }
    }
  }

  static func writeDoubles(_ values: [Double], _ url: URL) throws {
    var out = Data(capacity: values.count * 8)
    for v in values { withUnsafeBytes(of: v.bitPattern.littleEndian) { out.append(contentsOf: $0) } }
    try out.write(to: url)
  }

  /// Ten Gaussian clusters (deterministic), for runs without the venv.
  static func syntheticClusters(rows: Int, cols: Int) -> [Double] {
    var state: UInt64 = 12345
    func normal() -> Double {
      func u() -> Double {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return Double((state >> 11) + 1) * 0x1p-53
      }
      return (-2 * log(u())).squareRoot() * cos(2 * .pi * u())
    }
    let centres = (0..<(10 * cols)).map { _ in normal() }
    var data = [Double](repeating: 0, count: rows * cols)
    for r in 0..<rows {
      let c = r % 10
      for j in 0..<cols { data[r * cols + j] = centres[c * cols + j] + 0.5 * normal() }
    }
    return data
  }
}
