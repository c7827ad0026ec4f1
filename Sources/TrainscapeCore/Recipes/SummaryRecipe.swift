import Foundation

/// Which landscapes one metrics run allows, decided by the same naming rules and key choices
/// the kinds' recipes use (`trainscape summary` draws each one that applies, and says why
/// each other one does not).
public enum SummaryRecipe {
  /// What the summary decides about one kind for one run.
  public struct Verdict: Sendable, Equatable {
    /// The kind's name, as on the command line: "gradient-flow", "trajectory", ...
    public var kind: String
    /// Nil when the kind applies; else why not (one line, naming the run).
    public var reason: String?
    /// The metric keys the kind draws ("loss = train/loss, lr = lr", "grad_norm/layer_*").
    public var keys: String
    /// The kind's scene is a point cloud or path, worth a W&B `.pts.json` as well.
    public var pointCloud: Bool

    public var applies: Bool { reason == nil }
  }

  /// Every kind a summary considers, in the order it writes them.
  public static let kinds = [
    "gradient-flow", "loss-landscape", "reward-landscape", "trajectory", "histogram", "attention", "embedding",
  ]

  /// Kinds drawn from arrays (`.npy` files) rather than from a run's metrics.
  public static let arrayKinds: Set<String> = ["attention", "embedding"]

  /// The verdict on each of `kinds` (default: all) for `run`.
  public static func verdicts(run: Run, kinds: [String] = SummaryRecipe.kinds) -> [Verdict] {
    kinds.map { verdict(kind: $0, run: run) }
  }

  public static func verdict(kind: String, run: Run) -> Verdict {
    let table = MetricTable(run: run)
    func decide(_ body: () throws -> String) -> Verdict {
      do {
        return Verdict(kind: kind, reason: nil, keys: try body(), pointCloud: kind == "trajectory")
      } catch {
        return Verdict(kind: kind, reason: String(describing: error), keys: "", pointCloud: false)
      }
    }
    switch kind {
    case "gradient-flow":
      return decide {
        let c = try GradientFlowRecipe.choose(keys: run.metricKeys, options: .init(), run: run.name)
        let layers = c.family.layers
        return "\(c.family.prefix) layers \(layers.first.map(String.init) ?? "?")...\(layers.last.map(String.init) ?? "?") (\(c.family.allKeys.count) keys)"
      }
    case "loss-landscape":
      return decide { try LossLandscapeRecipe.keys(table, options: .init(), run: run.name).summary }
    case "reward-landscape":
      return decide {
        var keys = ChosenKeys()
        keys.add(try MetricRoles.require(.loss, in: table.keyCounts, run: run.name))
        keys.add(try MetricRoles.require(.reward, in: table.keyCounts, run: run.name))
        return keys.summary
      }
    case "trajectory":
      return decide { try TrajectoryRecipe.keys(table, options: .init(), run: run.name).summary }
    case "histogram":
      return decide {
        let c = try HistogramRecipe.choose(Array(run.histograms.keys).sorted(), options: .init(), run: run.name)
        return "histograms \(c.name) (\(c.tags.count) tag\(c.tags.count == 1 ? "" : "s"))"
      }
    case "attention":
      return Verdict(
        kind: kind, reason: "\(run.name): a metrics run holds no attention weights (`render attention` reads a [q,k]...[batch,heads,q,k] .npy)",
        keys: "", pointCloud: true)
    case "embedding":
      return Verdict(
        kind: kind, reason: "\(run.name): a metrics run holds no embeddings (`render embedding` reads [T,D], [T,N,D] or epoch_NNN.npy files)",
        keys: "", pointCloud: true)
    default:
      return Verdict(kind: kind, reason: "unknown kind '\(kind)'; kinds: \(kinds.joined(separator: ", "))", keys: "", pointCloud: false)
    }
  }
}
