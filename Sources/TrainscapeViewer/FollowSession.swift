import Foundation
import TrainscapeCore
import TrainscapeIO

/// How the rows of followed files become scenes: what the caller (the CLI's kinds) knows and
/// the follow session does not.
public struct FollowRecipe: Sendable {
  /// The scene for the runs read so far (by the path the user gave), with log z forced on or
  /// off (nil: as the options say).
  public var scene: @Sendable (_ runs: [String: Run], _ logZ: Bool?) throws -> Scene
  /// An incremental builder seeded with those runs, or nil when the scene cannot grow in place
  /// (several runs, too few rows yet, a kind that only rebuilds).
  public var builder: @Sendable (_ runs: [String: Run], _ logZ: Bool?) -> (any IncrementalSceneBuilder)?
  /// `--max-steps` and what the scene draws per step ("columns", "points"), for the note when
  /// downsampling buckets widen.
  public var maxSteps: Int
  public var unitName: String

  public init(
    maxSteps: Int = 0, unitName: String = "columns",
    scene: @escaping @Sendable (_ runs: [String: Run], _ logZ: Bool?) throws -> Scene,
    builder: @escaping @Sendable (_ runs: [String: Run], _ logZ: Bool?) -> (any IncrementalSceneBuilder)? = { _, _ in nil }
  ) {
    self.scene = scene
    self.builder = builder
    self.maxSteps = maxSteps
    self.unitName = unitName
  }
}

/// What a follow session reports.
public enum FollowEvent: Sendable {
  /// A new scene (extending the last one when `update.delta` says how) for rows up to `step`.
  case update(SceneUpdate, step: Int64?)
  /// Reading or building failed; the session goes on polling.
  case failure(String)
  /// Something the user should know (a file read again from the start, records skipped).
  case note(String)
}

/// The rows of the followed files and the scene they make, kept up to date: new rows go to the
/// incremental builder while it can append them; a replaced file, a log z change, a rebuild
/// request or rows the builder declines build again from all rows (as `render` does) and seed a
/// new builder. Used by one thread at a time (`FollowSession` owns it).
public struct FollowState {
  public private(set) var followers: [RunFollowerSource]
  private let recipe: FollowRecipe
  private var builder: (any IncrementalSceneBuilder)?
  /// Rows of the file's current generation the builder has seen (single-file builders).
  private var consumed = 0
  private var generation = 0
  /// Log z as last asked for (nil: as the options say).
  public private(set) var logZ: Bool?
  private var built = false

  public init(followers: [RunFollowerSource], recipe: FollowRecipe) {
    self.followers = followers
    self.recipe = recipe
  }

  /// The largest step read from any file.
  public var latestStep: Int64? { followers.compactMap(\.latestStep).max() }

  /// Reads what the files gained; true when rows came or a file was replaced.
  public mutating func poll() throws -> Bool {
    var changed = false
    for f in followers {
      if try f.poll() { changed = true }
    }
    return changed
  }

  /// Notes from reading (re-reads, skipped records) since the last poll.
  public var notes: [String] { followers.flatMap(\.newNotes) }

  /// The scene for every row read so far: the new rows appended where the builder can, else
  /// built from all rows.
  public mutating func next() throws -> SceneUpdate {
    try update(logZ: logZ, rebuild: false)
  }

  /// The scene built from all rows, with log z on or off (nil: as the options say) from now on.
  public mutating func rebuild(logZ: Bool?) throws -> SceneUpdate {
    try update(logZ: logZ, rebuild: true)
  }

  private mutating func update(logZ: Bool?, rebuild: Bool) throws -> SceneUpdate {
    let runs = Dictionary(followers.map { ($0.path, $0.run) }, uniquingKeysWith: { a, _ in a })
    // Single-file builders append that file's rows.
    let source = followers.count == 1 ? followers[0] : nil
    var reason: String?
    var previousWidth: Int?
    var previousScale: AxisScale?
    if !built {
      reason = nil
    } else if rebuild {
      reason = logZ.map { "log z \($0 ? "on" : "off")" } ?? "a rebuild was asked for"
    } else if let source, generation != source.generation {
      reason = "the file was replaced or truncated"
    } else if logZ != self.logZ {
      reason = "log z changed"
    } else if var b = builder, let source, source.rows.count >= consumed {
      if let delta = b.append(source.rows[consumed...]) {
        builder = b
        consumed = source.rows.count
        return SceneUpdate(scene: b.scene, delta: delta)
      }
      reason = b.appendBlocker ?? "the new rows do not extend the scene"
      previousWidth = b.stepsPerBucket
      previousScale = b.scene.z.scale
    }
    builder = source == nil ? nil : recipe.builder(runs, logZ)
    if let w = builder?.stepsPerBucket, let p = previousWidth, w != p {
      reason = "more than --max-steps \(recipe.maxSteps) \(recipe.unitName) at buckets of \(p) steps: buckets of \(w) now"
    }
    let scene = try builder?.scene ?? recipe.scene(runs, logZ)
    if let p = previousScale, p != scene.z.scale {
      reason = "the z axis is \(scene.z.scale == .log ? "logarithmic" : "linear") now (--log-z auto, as render decides it for these rows)"
    }
    consumed = source?.rows.count ?? 0
    generation = source?.generation ?? 0
    self.logZ = logZ
    built = true
    return SceneUpdate(scene: scene, delta: nil, rebuildReason: reason)
  }
}

/// Follows files while training writes them and delivers scene updates as events: it polls
/// the files (`RunFollowerSource`), keeps the incremental builders (`FollowState`) and builds on
/// its own executor, never on the thread that draws. The window takes the events from
/// `events`; tests and benchmarks can also drive it one `poll()` at a time.
public actor FollowSession {
  public nonisolated let events: AsyncStream<FollowEvent>
  private let continuation: AsyncStream<FollowEvent>.Continuation
  private var state: FollowState
  private var pending = false
  private var lastBuild: ContinuousClock.Instant?
  private var lastError: String?

  /// Takes over `state` (its files read and its first scene built, or not yet).
  public init(state: sending FollowState) {
    self.state = state
    (events, continuation) = AsyncStream.makeStream(of: FollowEvent.self)
  }

  /// One round: reads the files; when rows came and the last build is at least `minInterval`
  /// ago, builds the next scene and sends it. Returns whether it sent an update.
  @discardableResult
  public func poll(minInterval: Duration = .zero) -> Bool {
    do {
      if try state.poll() { pending = true }
      for n in state.notes { continuation.yield(.note(n)) }
    } catch {
      report("\(error)")
      return false
    }
    let now = ContinuousClock.now
    guard pending, lastBuild.map({ now - $0 >= minInterval }) ?? true else { return false }
    pending = false
    lastBuild = now
    return send(rebuild: false, logZ: nil)
  }

  /// Builds from all rows with log z on or off (the L key) and sends the scene.
  public func rebuild(logZ: Bool) {
    send(rebuild: true, logZ: logZ)
  }

  /// Polls every `interval` until the task is cancelled, then ends `events`.
  public func run(every interval: Duration, minRebuildInterval: Duration) async {
    while !Task.isCancelled {
      poll(minInterval: minRebuildInterval)
      try? await Task.sleep(for: interval)
    }
    continuation.finish()
  }

  @discardableResult
  private func send(rebuild: Bool, logZ: Bool?) -> Bool {
    do {
      let update = try rebuild ? state.rebuild(logZ: logZ) : state.next()
      lastError = nil
      continuation.yield(.update(update, step: state.latestStep))
      return true
    } catch {
      report("\(error)")
      return false
    }
  }

  /// Sends a failure once until something succeeds again.
  private func report(_ message: String) {
    guard message != lastError else { return }
    lastError = message
    continuation.yield(.failure(message))
  }
}
