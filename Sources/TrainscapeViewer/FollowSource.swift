import Foundation
import TrainscapeCore
import TrainscapeIO

/// Follows a metrics file while training writes it, through TrainscapeIO's `RunFollower`
/// (JSONL line by line, TensorBoard event files record by record, `.wandb` block by block),
/// keeping every row read so far. A partial last record waits; a truncated or replaced file is
/// read again from the start and its rows replace the old ones. Poll from one thread.
public final class RunFollowerSource {
  public let path: String
  private let follower: RunFollower
  private let runName: String
  /// Every row read so far, in file order.
  public private(set) var rows: [MetricRow] = []
  /// Counts the times the file was replaced or truncated and read again from the start (its
  /// rows then replace the old ones, so what was built from them is stale).
  public private(set) var generation = 0
  private var notesSeen = 0
  public private(set) var latestStep: Int64?
  /// Notes (re-reads, skipped records) not yet shown.
  public private(set) var newNotes: [String] = []

  public init(path: String, format: RunFormat, runName: String) throws {
    self.path = path
    self.runName = runName
    // A live view shows the newest step at once; a TensorBoard step that arrives in two
    // pieces is merged by the builders' MetricsBuffer.
    follower = try RunFollower(path: path, format: format, holdBack: .untilQuiet)
  }

  public func poll() throws -> Bool {
    let update = try follower.pollUpdate()
    let new = update.rows  // rows that ended the replaced file are replaced with it
    var changed = false
    if update.restarted {
      generation += 1
      rows.removeAll()
      latestStep = nil
      changed = true
    }
    newNotes = Array(follower.notes.dropFirst(notesSeen))
    notesSeen = follower.notes.count
    if !new.isEmpty {
      rows += new
      latestStep = max(latestStep ?? Int64.min, new.map(\.step).max()!)
      changed = true
    }
    if follower.newHistogramSamples > 0 {
      let newest = follower.histogramsRead.values.compactMap { $0.last?.step }.max()
      if let s = newest { latestStep = max(latestStep ?? Int64.min, s) }
      changed = true
    }
    return changed
  }

  /// Every row and histogram read so far, as a run the scene builders accept.
  public var run: Run {
    Run(name: follower.runName ?? runName, source: path, rows: rows, config: follower.config, histograms: follower.histograms)
  }
}
