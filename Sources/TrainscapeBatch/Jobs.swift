import Foundation
import TrainscapeIO
#if canImport(Glibc)
import Glibc
#endif

/// One run a plan's sources name: its path and a name unique in the plan, used for its
/// output folder (`OUT/<name>/...`).
public struct RunRef: Hashable, Codable, Sendable {
  public var name: String
  public var path: String

  public init(name: String, path: String) {
    self.name = name
    self.path = path
  }
}

/// The frames `[lower, upper)` of an animation of `total` frames: one part of a split
/// animation.
public struct FrameSlice: Hashable, Codable, Sendable {
  public var lower: Int
  public var upper: Int
  public var total: Int

  public init(lower: Int, upper: Int, total: Int) {
    self.lower = lower
    self.upper = upper
    self.total = total
  }

  public var count: Int { upper - lower }
}

/// What running a job does.
public enum JobAction: String, Codable, Sendable {
  /// `render KIND`: one PNG.
  case render
  /// `export KIND`: Plotly JSON, glTF or HTML.
  case export
  /// `turntable KIND` or `animate KIND`: every frame, encoded into one file.
  case animate
  /// A part of a split animation: frames `frames.lower..<frames.upper` as PNGs.
  case frames
  /// Encodes the frames of a split animation's parts into the animated file (`batch --merge`).
  case assemble
}

/// One unit of work: one output of one kind for one run (or for every run, for a sweep kind).
public struct Job: Codable, Sendable, Equatable {
  /// Position in the plan's job list (0-based).
  public var index: Int
  /// Stable identifier: `RUN/KIND.EXT`, `RUN/KIND.EXT#frames=LO-HI` for a part.
  public var id: String
  public var kind: String
  public var format: OutputFormat
  public var action: JobAction
  public var runs: [RunRef]
  /// Sharding keeps a unit's jobs together: a run's name (so a task reads each run once), or
  /// the job's id for sweep jobs and animation parts.
  public var unit: String
  /// The file written, relative to the output folder (for `frames`: the folder of frames).
  public var output: String
  /// The kind's arguments, without the runs and `-o`: `render KIND` options, then export or
  /// frame options.
  public var arguments: [String]
  public var frames: FrameSlice?
  /// For `assemble`: the ids of the parts.
  public var parts: [String]?
  /// Estimated cost in seconds on one llvmpipe core pair (docs/scale.md), for sharding.
  public var cost: Double

  /// The paths of the inputs.
  public var inputPaths: [String] { runs.map(\.path) }
}

/// Relative costs of one job on llvmpipe, measured on the bundled example runs at 1280x720
/// (docs/scale.md): a `render` PNG (4x MSAA, full detail) costs 1; a frame of a `final`
/// quality animation about 0.1; an export about 0.2. Costs scale with the image's pixels.
public enum JobCost {
  public static let render = 1.0
  public static let export = 0.2
  public static let frame = 0.1
  public static let assemble = 0.02

  /// The pixel count relative to 1280x720 from a `--size WxH` in `arguments`.
  public static func pixelScale(_ arguments: [String]) -> Double {
    guard let i = arguments.firstIndex(of: "--size"), i + 1 < arguments.count else { return 1 }
    let p = arguments[i + 1].lowercased().split(separator: "x")
    guard p.count == 2, let w = Double(p[0]), let h = Double(p[1]), w > 0, h > 0 else { return 1 }
    return w * h / (1280 * 720)
  }
}

public enum JobExpansion {
  /// The plan's jobs, in a deterministic order: runs in order, for each run its kinds in name
  /// order and each kind's outputs in the plan's order; then sweep kinds. A split animation
  /// is its parts (frames lower..upper) and then its assembly.
  public static func jobs(plan: Plan, runs: [RunRef]) -> [Job] {
    var jobs: [Job] = []
    func add(_ j: Job) {
      var j = j
      j.index = jobs.count
      jobs.append(j)
    }
    for run in runs {
      for kind in plan.kinds where kind.scope == .run {
        for job in jobsFor(kind: kind, runs: [run], name: run.name, unit: run.name) { add(job) }
      }
    }
    for kind in plan.kinds where kind.scope == .sweep {
      for job in jobsFor(kind: kind, runs: runs, name: "sweep", unit: nil) { add(job) }
    }
    return jobs
  }

  static func jobsFor(kind: KindSpec, runs: [RunRef], name: String, unit: String?) -> [Job] {
    var out: [Job] = []
    for format in kind.outputs {
      let file = "\(name)/\(kind.name).\(format.fileExtension)"
      let base = kind.kindArguments
      let scale = JobCost.pixelScale(base)
      func job(_ action: JobAction, id: String, output: String, args: [String], cost: Double, frames: FrameSlice? = nil, parts: [String]? = nil) -> Job {
        Job(
          index: 0, id: id, kind: kind.name, format: format, action: action, runs: runs,
          unit: unit ?? id, output: output, arguments: args, frames: frames, parts: parts, cost: cost)
      }
      if format.isAnimation {
        let anim = kind.animation
        var frameArgs = ["--frames", String(anim.frames)] + anim.options.flatMap { $0.1.arguments(flag: "--" + $0.0) }
        if anim.mode == .step { frameArgs += ["--by", "step"] }
        let args = base + frameArgs
        if let per = anim.framesPerJob, per < anim.frames {
          var parts: [String] = []
          var lower = 0
          while lower < anim.frames {
            let upper = min(anim.frames, lower + per)
            let id = "\(file)#frames=\(lower)-\(upper - 1)"
            parts.append(id)
            // Parts are their own sharding units: that is the point of splitting.
            out.append(
              Job(
                index: 0, id: id, kind: kind.name, format: format, action: .frames, runs: runs, unit: id,
                output: ".batch/frames/\(safeName(file))/\(lower)-\(upper - 1)", arguments: args,
                frames: FrameSlice(lower: lower, upper: upper, total: anim.frames), parts: nil,
                cost: JobCost.frame * Double(upper - lower) * scale + 0.1))
            lower = upper
          }
          out.append(job(.assemble, id: file, output: file, args: args, cost: JobCost.assemble * Double(anim.frames), parts: parts))
        } else {
          out.append(job(.animate, id: file, output: file, args: args, cost: JobCost.frame * Double(anim.frames) * scale + 0.1))
        }
      } else if format.isExport {
        let args = base + kind.exportOptions.flatMap { $0.1.arguments(flag: "--" + $0.0) }
        out.append(job(.export, id: file, output: file, args: args, cost: JobCost.export))
      } else {
        out.append(job(.render, id: file, output: file, args: base, cost: JobCost.render * scale))
      }
    }
    // A sweep job reads every run.
    if unit == nil { for i in out.indices { out[i].cost *= max(1, Double(runs.count) / 4) } }
    return out
  }

  /// A file name made of a job's relative path: `/` -> `__`, anything unusual -> `_`.
  public static func safeName(_ s: String) -> String {
    var out = ""
    for c in s.replacingOccurrences(of: "/", with: "__").unicodeScalars {
      if c.isASCII, c.properties.isAlphabetic || ("0"..."9").contains(c) || "._-=#".unicodeScalars.contains(c) {
        out.unicodeScalars.append(c)
      } else {
        out += "_"
      }
    }
    return out
  }
}

/// Turns a plan's sources into runs.
///
/// - A file is one run.
/// - A directory is a folder of runs: each entry (a metrics file, or a sub-folder such as a
///   TensorBoard or W&B run directory) is one run; hidden entries are skipped, and files that
///   are not metrics or arrays are skipped with a note.
/// - A pattern with `*`, `?` or `[` is expanded by glob(3); each match is one run.
///
/// Runs are named by their path relative to the source's folder (the pattern's fixed
/// prefix), without the extension: `runs/*.jsonl` gives `lr_1e-3`, `runs/*/metrics.jsonl` gives
/// `a/metrics`. Two runs with the same name, or a source that matches nothing, are errors.
public enum SourceResolver {
  public struct Failure: Error, CustomStringConvertible {
    public var description: String
  }

  static let dataExtensions = ["jsonl", "ndjson", "json", "csv", "tsv", "wandb", "npy", "h5", "hdf5", "txt"]

  /// The runs, in order (sources in order; each source's matches sorted by path), and notes
  /// about skipped entries.
  public static func resolve(_ sources: [String], baseDirectory: String) throws -> (runs: [RunRef], notes: [String]) {
    var runs: [RunRef] = []
    var notes: [String] = []
    var byName: [String: String] = [:]
    var seenPaths = Set<String>()
    for source in sources {
      let absolute = source.hasPrefix("/") ? source : (baseDirectory as NSString).appendingPathComponent(source)
      var found: [(path: String, root: String)] = []
      if source.contains(where: { "*?[".contains($0) }) {
        let root = fixedPrefixDirectory(absolute)
        for p in glob(absolute) where !isHidden(p, under: root) {
          found.append((p, root))
        }
      } else {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: absolute, isDirectory: &isDir) else {
          throw Failure(description: "source \(Escape.controlCharacters(source)): no such file or directory (\(Escape.controlCharacters(absolute)))")
        }
        if isDir.boolValue {
          let entries: [String]
          do {
            entries = try FileManager.default.contentsOfDirectory(atPath: absolute).sorted()
          } catch {
            throw Failure(description: "source \(Escape.controlCharacters(absolute)): cannot list the folder: \(error.localizedDescription)")
          }
          for e in entries where !e.hasPrefix(".") {
            let p = (absolute as NSString).appendingPathComponent(e)
            var sub: ObjCBool = false
            _ = FileManager.default.fileExists(atPath: p, isDirectory: &sub)
            let ext = (e as NSString).pathExtension.lowercased()
            if sub.boolValue || dataExtensions.contains(ext) || e.contains("tfevents") {
              found.append((p, absolute))
            } else {
              notes.append("\(Escape.controlCharacters(p)): skipped, not a metrics file or run folder")
            }
          }
        } else {
          found.append((absolute, (absolute as NSString).deletingLastPathComponent))
        }
      }
      if found.isEmpty {
        throw Failure(description: "source \(Escape.controlCharacters(source)) matches no runs")
      }
      for (path, root) in found {
        let standard = (path as NSString).standardizingPath
        if seenPaths.contains(standard) {
          notes.append("\(Escape.controlCharacters(path)): named by more than one source; used once")
          continue
        }
        seenPaths.insert(standard)
        let name = runName(path: standard, root: (root as NSString).standardizingPath)
        if let other = byName[name] {
          throw Failure(description: "two runs would both be named '\(Escape.controlCharacters(name))': \(Escape.controlCharacters(other)) and \(Escape.controlCharacters(path)); list them from a common folder (e.g. runs/*/metrics.jsonl names them by their folders)")
        }
        byName[name] = path
        runs.append(RunRef(name: name, path: path))
      }
    }
    return (runs, notes)
  }

  /// The path relative to `root`, without the last component's data extension.
  static func runName(path: String, root: String) -> String {
    var rel = path
    if path.hasPrefix(root + "/") { rel = String(path.dropFirst(root.count + 1)) }
    if rel.isEmpty { rel = (path as NSString).lastPathComponent }
    var comps = rel.split(separator: "/").map(String.init)
    if var last = comps.popLast() {
      let ext = (last as NSString).pathExtension.lowercased()
      if dataExtensions.contains(ext) { last = (last as NSString).deletingPathExtension }
      comps.append(last)
    }
    return comps.map { $0 == ".." ? "_" : $0 }.joined(separator: "/")
  }

  /// The directory part of a pattern before its first wildcard.
  static func fixedPrefixDirectory(_ pattern: String) -> String {
    var comps: [String] = []
    for c in pattern.split(separator: "/", omittingEmptySubsequences: false) {
      if c.contains(where: { "*?[".contains($0) }) { break }
      comps.append(String(c))
    }
    let dir = comps.joined(separator: "/")
    return dir.isEmpty ? "/" : dir
  }

  static func isHidden(_ path: String, under root: String) -> Bool {
    let rel = path.hasPrefix(root + "/") ? String(path.dropFirst(root.count + 1)) : path
    return rel.split(separator: "/").contains { $0.hasPrefix(".") }
  }

  static func glob(_ pattern: String) -> [String] {
    var g = glob_t()
    defer { globfree(&g) }
    guard Glibc.glob(pattern, 0, nil, &g) == 0 else { return [] }
    var out: [String] = []
    for i in 0..<Int(g.gl_pathc) {
      if let p = g.gl_pathv[i] { out.append(String(cString: p)) }
    }
    return out.sorted()
  }
}
