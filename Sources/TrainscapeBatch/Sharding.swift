import Foundation
import TrainscapeIO

/// Shard `index` of `count` (0-based), and where that came from.
public struct ShardSpec: Equatable, Sendable, CustomStringConvertible {
  public var index: Int
  public var count: Int
  /// "--shard", "SLURM_ARRAY_TASK_ID", ... : said on stderr and recorded in the manifest.
  public var source: String

  public init(index: Int, count: Int, source: String) {
    self.index = index
    self.count = count
    self.source = source
  }

  public static let whole = ShardSpec(index: 0, count: 1, source: "no shard given: one shard")

  public var description: String { "\(index)/\(count)" }

  /// `i/n` with 0 <= i < n.
  public static func parse(_ text: String) -> ShardSpec? {
    let p = text.split(separator: "/", omittingEmptySubsequences: false)
    guard p.count == 2, let i = Int(p[0]), let n = Int(p[1]), n >= 1, (0..<n).contains(i) else { return nil }
    return ShardSpec(index: i, count: n, source: "--shard")
  }

  /// A file-name tag that sorts: `shard-0003-of-0004`.
  public var tag: String {
    func pad(_ n: Int) -> String { String(repeating: "0", count: max(0, 4 - String(n).count)) + String(n) }
    return "shard-\(pad(index))-of-\(pad(count))"
  }
}

public struct ShardError: Error, CustomStringConvertible, Equatable {
  public var description: String
  public init(_ d: String) { description = d }
}

/// Which shard this process is, from the flags or the scheduler's environment.
///
/// In order: `--shard i/n`; a Slurm job array (`SLURM_ARRAY_TASK_ID`,
/// `SLURM_ARRAY_TASK_COUNT`, and `SLURM_ARRAY_TASK_MIN` / `SLURM_ARRAY_TASK_STEP` so that
/// `--array=1-4` or `--array=0-30:10` number the shards from 0); a Kubernetes Indexed Job
/// (`JOB_COMPLETION_INDEX` with `--shards n`, since the pod does not see the completion count);
/// `RANK` and `WORLD_SIZE` (torchrun, MPI-style launchers). Nothing: one shard.
public enum ShardEnvironment {
  public static func resolve(flag: ShardSpec?, shards: Int?, environment env: [String: String]) throws -> ShardSpec {
    if let flag {
      if let n = shards, n != flag.count {
        throw ShardError("--shard \(flag) and --shards \(n) disagree about the number of shards")
      }
      return flag
    }
    func int(_ key: String) throws -> Int? {
      guard let raw = env[key], !raw.isEmpty else { return nil }
      guard let v = Int(raw.trimmingCharacters(in: .whitespaces)) else {
        throw ShardError("\(key)=\(Escape.controlCharacters(raw)) is not a whole number")
      }
      return v
    }
    if let id = try int("SLURM_ARRAY_TASK_ID") {
      guard let count = try int("SLURM_ARRAY_TASK_COUNT") else {
        throw ShardError("SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_COUNT is not; pass --shard \(id)/N")
      }
      let min = try int("SLURM_ARRAY_TASK_MIN") ?? 0
      let step = try int("SLURM_ARRAY_TASK_STEP") ?? 1
      guard step >= 1, (id - min) % step == 0 else {
        throw ShardError("SLURM_ARRAY_TASK_ID=\(id) is not on the array's grid (min \(min), step \(step)); submit a plain range such as --array=0-\(count - 1)")
      }
      let index = (id - min) / step
      if let n = shards, n != count {
        throw ShardError("--shards \(n) disagrees with SLURM_ARRAY_TASK_COUNT=\(count)")
      }
      guard count >= 1, (0..<count).contains(index) else {
        throw ShardError("SLURM_ARRAY_TASK_ID=\(id) with SLURM_ARRAY_TASK_MIN=\(min) gives shard \(index), outside 0..<\(count) (SLURM_ARRAY_TASK_COUNT); an array with gaps such as --array=1,5,9 cannot be numbered, submit --array=0-\(count - 1)")
      }
      return ShardSpec(index: index, count: count, source: "Slurm array task \(id) (min \(min), count \(count))")
    }
    if let index = try int("JOB_COMPLETION_INDEX") {
      guard let n = shards else {
        throw ShardError("JOB_COMPLETION_INDEX=\(index) is set (a Kubernetes Indexed Job) but not the number of shards: pass --shards N, the Job's completions")
      }
      guard n >= 1, (0..<n).contains(index) else {
        throw ShardError("JOB_COMPLETION_INDEX=\(index) is outside 0..<\(n) (--shards)")
      }
      return ShardSpec(index: index, count: n, source: "Kubernetes JOB_COMPLETION_INDEX=\(index) of --shards \(n)")
    }
    if let rank = try int("RANK") {
      guard let world = try int("WORLD_SIZE") else {
        throw ShardError("RANK=\(rank) is set but WORLD_SIZE is not")
      }
      if let n = shards, n != world { throw ShardError("--shards \(n) disagrees with WORLD_SIZE=\(world)") }
      guard world >= 1, (0..<world).contains(rank) else {
        throw ShardError("RANK=\(rank) is outside 0..<\(world) (WORLD_SIZE)")
      }
      return ShardSpec(index: rank, count: world, source: "RANK=\(rank) of WORLD_SIZE=\(world)")
    }
    if let n = shards, n != 1 {
      throw ShardError("--shards \(n) given but no shard index: pass --shard i/\(n), or run under a Slurm array, a Kubernetes Indexed Job (JOB_COMPLETION_INDEX) or with RANK")
    }
    return .whole
  }
}

/// How jobs are spread over shards: a balanced split by estimated cost, over units.
///
/// A unit is all the jobs of one run (so each run is read by exactly one task, once), or one
/// sweep job, or one part of a split animation. Units are taken from the most to the least
/// costly (ties in plan order) and each goes to the shard with the least estimated work so
/// far (ties: the lowest shard), the longest-processing-time rule: within 4/3 of the best
/// possible makespan, where every n-th job can leave one task with all the costly kinds
/// (3 kinds and 3 shards: one task gets every turntable). It depends only on the plan and the
/// run list, so every task computes the same split without talking to the others.
public enum Sharding {
  /// The shard of each job (assembly jobs are not sharded: `batch --merge` runs them; they get
  /// -1).
  public static func assign(_ jobs: [Job], count: Int) -> [Int] {
    precondition(count >= 1)
    var unitOrder: [String] = []
    var unitCost: [String: Double] = [:]
    for j in jobs where j.action != .assemble {
      if unitCost[j.unit] == nil { unitOrder.append(j.unit) }
      unitCost[j.unit, default: 0] += j.cost
    }
    let ranked = unitOrder.enumerated().sorted { a, b in
      let ca = unitCost[a.element]!, cb = unitCost[b.element]!
      return ca != cb ? ca > cb : a.offset < b.offset
    }
    var load = [Double](repeating: 0, count: count)
    var shardOf: [String: Int] = [:]
    for (_, unit) in ranked {
      var best = 0
      for s in 1..<count where load[s] < load[best] { best = s }
      shardOf[unit] = best
      load[best] += unitCost[unit]!
    }
    return jobs.map { $0.action == .assemble ? -1 : shardOf[$0.unit]! }
  }

  /// The jobs of shard `spec`, in plan order.
  public static func jobs(_ jobs: [Job], for spec: ShardSpec) -> [Job] {
    let a = assign(jobs, count: spec.count)
    return zip(jobs, a).filter { $0.1 == spec.index }.map(\.0)
  }
}

/// The EGL device for `--gpu auto` on a node with several GPUs, one task per GPU.
public enum GPUAssignment {
  /// What the renderer can see: the EGL devices.
  public struct Device: Equatable, Sendable {
    public var index: Int
    public var cudaOrdinal: Int?
    public var isSoftware: Bool
    public init(index: Int, cudaOrdinal: Int?, isSoftware: Bool) {
      self.index = index
      self.cudaOrdinal = cudaOrdinal
      self.isSoftware = isSoftware
    }
  }

  /// The device chosen (nil: software rendering), and why, in words for stderr.
  public struct Pick: Equatable, Sendable {
    public var device: Device?
    public var reason: String
  }

  /// The task's local rank on its node: `SLURM_LOCALID`, else `LOCAL_RANK` (torchrun), else
  /// `OMPI_COMM_WORLD_LOCAL_RANK`.
  static func localRank(_ env: [String: String]) -> (Int, String)? {
    for key in ["SLURM_LOCALID", "LOCAL_RANK", "OMPI_COMM_WORLD_LOCAL_RANK"] {
      if let v = env[key].flatMap({ Int($0.trimmingCharacters(in: .whitespaces)) }), v >= 0 { return (v, "\(key)=\(v)") }
    }
    return nil
  }

  /// - `CUDA_VISIBLE_DEVICES` set: the task's entry in it (the local rank modulo its length).
  ///   NVIDIA's EGL lists every GPU of the node whatever `CUDA_VISIBLE_DEVICES` says, but only
  ///   the visible ones report a CUDA ordinal, numbered as CUDA numbers them in this process
  ///   (0, 1, ... in the list's order; seen on an H200 node: with `CUDA_VISIBLE_DEVICES=1` the
  ///   one GPU is listed without an ordinal). So the entry at position p is the EGL device with
  ///   CUDA ordinal p. Drivers that report physical ordinals (some device with ordinal = the
  ///   entry, and not the 0..<count pattern) are matched by the entry; a device that reports
  ///   none falls back to the p-th hardware device. Empty, `-1` or `NoDevFiles`: software.
  /// - Else `SLURM_LOCALID` (or `LOCAL_RANK`): hardware device number local-rank modulo the
  ///   number of hardware devices.
  /// - Else the first hardware device; none: software.
  public static func pick(environment env: [String: String], devices: [Device]) -> Pick {
    let hardware = devices.filter { !$0.isSoftware }
    let local = localRank(env)
    if let raw = env["CUDA_VISIBLE_DEVICES"] {
      let entries = raw.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
      if entries.isEmpty || entries == ["-1"] || raw == "NoDevFiles" {
        return Pick(device: nil, reason: "CUDA_VISIBLE_DEVICES='\(Escape.controlCharacters(raw))' hides every GPU: software rendering")
      }
      guard !hardware.isEmpty else {
        return Pick(device: nil, reason: "CUDA_VISIBLE_DEVICES=\(Escape.controlCharacters(raw)) but EGL lists no hardware device: software rendering")
      }
      let position = (local?.0 ?? 0) % entries.count
      let entry = entries[position]
      let why = "\(local.map { "\($0.1), " } ?? "")CUDA_VISIBLE_DEVICES=\(Escape.controlCharacters(raw))"
      let ordinals = Set(hardware.compactMap(\.cudaOrdinal))
      let remapped = ordinals == Set(0..<entries.count)
      if remapped, let d = hardware.first(where: { $0.cudaOrdinal == position }) {
        return Pick(device: d, reason: "\(why): entry \(position) ('\(Escape.controlCharacters(entry))'), CUDA device \(position) (EGL device \(d.index))")
      }
      if let ordinal = Int(entry), let d = hardware.first(where: { $0.cudaOrdinal == ordinal }) {
        return Pick(device: d, reason: "\(why): GPU \(ordinal) (EGL device \(d.index))")
      }
      let withOrdinal = hardware.filter { $0.cudaOrdinal != nil }.sorted { $0.cudaOrdinal! < $1.cudaOrdinal! }
      if !withOrdinal.isEmpty {
        let d = withOrdinal[position % withOrdinal.count]
        return Pick(device: d, reason: "\(why): entry \(position), visible GPU \(position % withOrdinal.count) (EGL device \(d.index))")
      }
      let d = hardware[position % hardware.count]
      return Pick(device: d, reason: "\(why): entry \(position), no device reports a CUDA ordinal: EGL hardware device \(position % hardware.count) (device \(d.index))")
    }
    guard !hardware.isEmpty else { return Pick(device: nil, reason: "no hardware EGL device: software rendering") }
    if let (rank, why) = local {
      let d = hardware[rank % hardware.count]
      return Pick(device: d, reason: "\(why): hardware EGL device \(rank % hardware.count) of \(hardware.count) (device \(d.index))")
    }
    return Pick(device: hardware[0], reason: "the first hardware EGL device (device \(hardware[0].index))")
  }
}
