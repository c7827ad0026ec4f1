import Foundation
import TrainscapeCore

/// Reads embedding snapshots: one `.npy` of [T, D] or [T, N, D], several `.npy` files of
/// [N, D] (one per checkpoint), or a directory of them (`epoch_005.npy`, `epoch_010.npy`, ...),
/// with the labels, predictions and train/validation split of every checkpoint.
///
/// Per checkpoint file `X.npy` the companions `X.labels`, `X.predictions` and `X.split`
/// (`.txt`: one value per line; `.npy`: one number per point) are read when present; beside
/// them `labels.*` and `split.*` apply to every checkpoint. For a single [T, N, D] array the
/// companions are `X.labels` ([N]), `X.predictions` ([T, N] or [N]) and `X.split`. Explicit
/// files (`labels`, `predictions`, `split`) win over companions. Splits are `train` or
/// `val`/`validation`/`test`/`eval` (text) or 0 = train, 1 = validation (`.npy`).
public enum EmbeddingReader {
  public struct Files: Sendable {
    public var labels: String?
    public var predictions: String?
    public var split: String?
    public init(labels: String? = nil, predictions: String? = nil, split: String? = nil) {
      self.labels = labels
      self.predictions = predictions
      self.split = split
    }
  }

  public struct ReadError: Error, CustomStringConvertible {
    public var description: String
    init(_ d: String) { description = d }
  }

  /// Companion names that are never checkpoints.
  static let companionKinds = ["labels", "predictions", "split"]

  /// What reading and reducing an embedding holds per value: the doubles read, a centred copy
  /// and its transpose.
  public static let bytesPerValue = 24

  /// Throws `MemoryBudgetError` when `count` values of an embedding (`shape`) are over `budget`.
  static func checkBudget(_ budget: MemoryBudget?, values factors: [Int], shape: String, file: String) throws {
    guard let budget else { return }
    try budget.check(
      MemoryBudget.product(factors + [bytesPerValue]),
      for: "an embedding of shape \(shape) (\(bytesPerValue) bytes a value to read and reduce)", file: file)
  }

  /// The snapshots and one line per file that was used (for stderr). With a `budget`
  /// (`--max-memory`), an embedding whose values would need more is refused before it is read.
  public static func read(_ paths: [String], files: Files = Files(), budget: MemoryBudget? = nil) throws -> (EmbeddingSnapshots, [String]) {
    guard !paths.isEmpty else { throw ReadError("no embedding file given") }
    var used: [String] = []
    var checkpointFiles: [String]
    var directory: String?
    var isDir: ObjCBool = false
    if paths.count == 1, FileManager.default.fileExists(atPath: paths[0], isDirectory: &isDir), isDir.boolValue {
      directory = paths[0]
      let names = try FileManager.default.contentsOfDirectory(atPath: paths[0])
      checkpointFiles = names.filter { n in
        n.lowercased().hasSuffix(".npy") && !isCompanion(n) && number(in: stem(n)) != nil
      }.map { (paths[0] as NSString).appendingPathComponent($0) }
      guard !checkpointFiles.isEmpty else {
        throw ReadError("\(printable(paths[0])): no checkpoint files (NAME_NNN.npy, e.g. epoch_005.npy) in this directory")
      }
    } else {
      checkpointFiles = paths
    }
    if checkpointFiles.count == 1 && directory == nil {
      return try readArray(checkpointFiles[0], files: files, budget: budget)
    }
    // One checkpoint per file, in epoch order when every name has a number.
    var epochs = checkpointFiles.map { number(in: stem($0)) }
    let byEpoch = epochs.allSatisfy { $0 != nil }
    if byEpoch {
      let order = checkpointFiles.indices.sorted { epochs[$0]! < epochs[$1]! || (epochs[$0]! == epochs[$1]! && checkpointFiles[$0] < checkpointFiles[$1]) }
      checkpointFiles = order.map { checkpointFiles[$0] }
      epochs = order.map { epochs[$0] }
      let sorted = epochs.map { $0! }
      if let dup = zip(sorted, sorted.dropFirst()).first(where: { $0.0 == $0.1 }) {
        throw ReadError("two checkpoint files have epoch \(dup.0): \(checkpointFiles.filter { number(in: stem($0)) == dup.0 }.map(printable).joined(separator: ", "))")
      }
    }
    var n = -1, d = -1
    var data: [Double] = []
    var checkpoints: [EmbeddingSnapshots.Checkpoint] = []
    let commonDir = directory ?? commonDirectory(checkpointFiles)
    var commonLabels: [String]?
    if let l = files.labels {
      commonLabels = try readLabels(l)
      used.append("labels: \(printable(l))")
    } else if let f = companion(in: commonDir, base: "labels") {
      commonLabels = try readLabels(f)
      used.append("labels: \(printable(f)) (every checkpoint)")
    }
    var commonSplit: [EmbeddingSnapshots.Split]?
    if let sp = files.split {
      commonSplit = try readSplit(sp)
      used.append("split: \(printable(sp))")
    } else if let f = companion(in: commonDir, base: "split") {
      commonSplit = try readSplit(f)
      used.append("split: \(printable(f)) (every checkpoint)")
    }
    var explicitPredictions: [[String]]?
    if let p = files.predictions {
      explicitPredictions = try readPredictions(p, checkpoints: checkpointFiles.count)
      used.append("predictions: \(printable(p))")
    }
    for (t, path) in checkpointFiles.enumerated() {
      let file = try NPYFile.open(path: path)
      let shape = file.header.shape
      let (rows, cols): (Int, Int)
      switch shape.count {
      case 1: (rows, cols) = (1, shape[0])
      case 2: (rows, cols) = (shape[0], shape[1])
      default:
        throw ReadError("\(printable(path)): a checkpoint file must be [N, D] (or [D]); this one has shape \(shape)")
      }
      if n < 0 {
        try checkBudget(
          budget, values: [checkpointFiles.count, rows, cols],
          shape: "(\(checkpointFiles.count) checkpoints x \(rows), \(cols))", file: path)
        (n, d) = (rows, cols)
        data.reserveCapacity(checkpointFiles.count * n * d)
      } else if rows != n || cols != d {
        throw ReadError("\(printable(path)): shape [\(rows), \(cols)] differs from the first checkpoint's [\(n), \(d)] (\(printable(checkpointFiles[0])))")
      }
      data += try file.readAll()
      let s = stem(path)
      let dir = (path as NSString).deletingLastPathComponent
      var cp = EmbeddingSnapshots.Checkpoint(name: (s as NSString).lastPathComponent, epoch: byEpoch ? epochs[t]! : nil)
      if files.labels == nil, let f = companion(in: dir, base: "\(s).labels") {
        cp.labels = try readLabels(f)
        used.append("labels: \(printable(f))")
      } else {
        cp.labels = commonLabels
      }
      if let p = explicitPredictions {
        cp.predictions = p[t]
      } else if let f = companion(in: dir, base: "\(s).predictions") {
        cp.predictions = try readLabels(f)
        used.append("predictions: \(printable(f))")
      }
      if files.split == nil, let f = companion(in: dir, base: "\(s).split") {
        cp.split = try readSplit(f)
        used.append("split: \(printable(f))")
      } else {
        cp.split = commonSplit
      }
      try check(cp, points: n, file: path)
      checkpoints.append(cp)
    }
    let name = directory.map { ($0 as NSString).lastPathComponent } ?? stem(checkpointFiles[0])
    return (EmbeddingSnapshots(name: name, checkpoints: checkpoints, points: n, dimensions: d, data: data), used)
  }

  /// One array: [T, D] (one path) or [T, N, D].
  static func readArray(_ path: String, files: Files, budget: MemoryBudget?) throws -> (EmbeddingSnapshots, [String]) {
    let file = try NPYFile.open(path: path)
    let shape = file.header.shape
    let (t, n, d): (Int, Int, Int)
    switch shape.count {
    case 2: (t, n, d) = (shape[0], 1, shape[1])
    case 3: (t, n, d) = (shape[0], shape[1], shape[2])
    default:
      throw ReadError("\(printable(path)): embeddings must be [T, D] or [T, N, D]; this array has shape \(shape)")
    }
    try checkBudget(budget, values: shape, shape: NPYFile.describe(shape), file: path)
    var used: [String] = []
    let s = stem(path), dir = (path as NSString).deletingLastPathComponent
    var labels: [String]?
    if let f = files.labels ?? companion(in: dir, base: "\(s).labels") {
      labels = try readLabels(f)
      used.append("labels: \(printable(f))")
    }
    var predictions: [[String]]?
    if let f = files.predictions ?? companion(in: dir, base: "\(s).predictions") {
      predictions = try readPredictions(f, checkpoints: t)
      used.append("predictions: \(printable(f))")
    }
    var split: [EmbeddingSnapshots.Split]?
    if let f = files.split ?? companion(in: dir, base: "\(s).split") {
      split = try readSplit(f)
      used.append("split: \(printable(f))")
    }
    var checkpoints: [EmbeddingSnapshots.Checkpoint] = []
    for c in 0..<t {
      let cp = EmbeddingSnapshots.Checkpoint(
        name: "checkpoint \(c)", labels: labels, predictions: predictions?[c], split: split)
      try check(cp, points: n, file: path)
      checkpoints.append(cp)
    }
    return (
      EmbeddingSnapshots(name: (s as NSString).lastPathComponent, checkpoints: checkpoints, points: n, dimensions: d, data: try file.readAll()),
      used
    )
  }

  static func check(_ cp: EmbeddingSnapshots.Checkpoint, points n: Int, file: String) throws {
    for (what, count) in [("labels", cp.labels?.count), ("predictions", cp.predictions?.count), ("split entries", cp.split?.count)] {
      if let count, count != n {
        throw ReadError("\(printable(file)): \(count) \(what), but the checkpoint has \(n) point(s) (one per point expected)")
      }
    }
  }

  // MARK: - Companion files

  static func isCompanion(_ name: String) -> Bool {
    let s = stem(name).lowercased()
    return companionKinds.contains { s == $0 || s.hasSuffix(".\($0)") }
  }

  static func stem(_ path: String) -> String {
    let last = (path as NSString).lastPathComponent
    return last.lowercased().hasSuffix(".npy") ? String(last.dropLast(4)) : last
  }

  /// The last run of digits in a name: `epoch_005` -> 5.
  static func number(in name: String) -> Int? {
    var digits = ""
    var found = ""
    for ch in name {
      if ch.isASCII && ch.isNumber {
        digits.append(ch)
      } else {
        if !digits.isEmpty { found = digits }
        digits = ""
      }
    }
    if !digits.isEmpty { found = digits }
    return found.isEmpty ? nil : Int(found.suffix(18))
  }

  static func companion(in dir: String, base: String) -> String? {
    for ext in ["txt", "npy"] {
      let p = (dir as NSString).appendingPathComponent("\(base).\(ext)")
      if FileManager.default.fileExists(atPath: p) { return p }
    }
    return nil
  }

  static func commonDirectory(_ files: [String]) -> String {
    let dirs = Set(files.map { ($0 as NSString).deletingLastPathComponent })
    return dirs.count == 1 ? dirs.first! : ""
  }

  // MARK: - Value files

  /// One value per line (`.txt`, trailing empty lines ignored) or per element (`.npy`).
  public static func readLabels(_ path: String) throws -> [String] {
    if path.lowercased().hasSuffix(".npy") {
      let file = try NPYFile.open(path: path)
      guard file.header.shape.count == 1 else {
        throw ReadError("\(printable(path)): expected a 1-D array of one value per point; shape \(file.header.shape)")
      }
      return try file.readAll().map(format)
    }
    return try lines(path)
  }

  /// [T, N] or [N] (the same for every checkpoint) from `.npy`; from text, N lines (every
  /// checkpoint) or T lines of N values separated by spaces or commas.
  static func readPredictions(_ path: String, checkpoints t: Int) throws -> [[String]] {
    if path.lowercased().hasSuffix(".npy") {
      let file = try NPYFile.open(path: path)
      let shape = file.header.shape
      let values = try file.readAll().map(format)
      switch shape.count {
      case 1: return Array(repeating: values, count: t)
      case 2:
        guard shape[0] == t else {
          throw ReadError("\(printable(path)): predictions for \(shape[0]) checkpoints, but there are \(t)")
        }
        return (0..<t).map { Array(values[($0 * shape[1])..<(($0 + 1) * shape[1])]) }
      default:
        throw ReadError("\(printable(path)): predictions must be [T, N] or [N]; shape \(shape)")
      }
    }
    let rows = try lines(path)
    let split = rows.map { $0.split(whereSeparator: { $0 == " " || $0 == "," || $0 == "\t" }).map(String.init) }
    if t > 1 && rows.count == t && split.allSatisfy({ $0.count > 1 }) { return split }
    if t == 1 || split.allSatisfy({ $0.count == 1 }) { return Array(repeating: rows, count: t) }
    throw ReadError("\(printable(path)): expected one prediction per line (every checkpoint) or \(t) lines of one prediction per point")
  }

  public static func readSplit(_ path: String) throws -> [EmbeddingSnapshots.Split] {
    if path.lowercased().hasSuffix(".npy") {
      return try NPYFile.open(path: path).readAll().enumerated().map { i, v in
        switch v {
        case 0: return .train
        case 1: return .validation
        default: throw ReadError("\(printable(path)): element \(i) is \(format(v)); a split array holds 0 (train) or 1 (validation)")
        }
      }
    }
    return try lines(path).enumerated().map { i, v in
      switch v.lowercased() {
      case "train", "training": return .train
      case "val", "valid", "validation", "test", "eval", "evaluation": return .validation
      default:
        throw ReadError("\(printable(path)):\(i + 1): '\(printable(v))' is not a split (train, or val/validation/test/eval)")
      }
    }
  }

  static func lines(_ path: String) throws -> [String] {
    guard let data = FileManager.default.contents(atPath: path) else {
      throw ReadError("\(printable(path)): cannot read the file")
    }
    guard let text = String(data: data, encoding: .utf8) else {
      throw ReadError("\(printable(path)): not UTF-8 text")
    }
    let all = text.split(separator: "\n", omittingEmptySubsequences: false).map {
      $0.trimmingCharacters(in: .whitespacesAndNewlines)
    }
    return Array(all.reversed().drop { $0.isEmpty }.reversed())
  }

  /// 3 for 3.0, else the shortest decimal.
  static func format(_ v: Double) -> String {
    if v.isFinite && v == v.rounded() && abs(v) < 1e15 { return String(Int(v)) }
    return "\(v)"
  }

  /// Control characters escaped, for messages.
  static func printable(_ s: String) -> String {
    var out = ""
    for u in s.unicodeScalars {
      if u.value < 0x20 || u.value == 0x7f {
        out += String(format: "\\x%02x", u.value)
      } else {
        out.unicodeScalars.append(u)
      }
    }
    return out
  }
}
