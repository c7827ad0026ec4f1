import Foundation
import Testing
import TrainscapeCore
import TrainscapeTestSupport

/// `SummaryRecipe`: which kinds a run allows follows the kinds' own naming rules, and each kind
/// that does not apply says why, naming the run and what was looked for.
@Suite(.tiered) struct SummaryRecipeTests {
  static func run(_ keys: [String], steps: Int = 8) -> Run {
    let rows = (0..<steps).map { s in
      MetricRow(step: Int64(s), values: Dictionary(uniqueKeysWithValues: keys.enumerated().map { ($1, Double($0 + s) + 0.5) }))
    }
    return Run(name: "r", source: "r.jsonl", rows: rows)
  }

  @Test func aPretrainingRunAllowsGradientFlowAndTheLossLandscape() throws {
    let keys = ["train/loss", "train/lr", "grad_norm/total"] + (0..<4).map { "grad_norm/layer_\($0)" }
    let v = Dictionary(uniqueKeysWithValues: SummaryRecipe.verdicts(run: Self.run(keys)).map { ($0.kind, $0) })
    #expect(v.count == SummaryRecipe.kinds.count)
    let flow = try #require(v["gradient-flow"])
    #expect(flow.applies && flow.keys.contains("grad_norm") && flow.keys.contains("0...3"), "\(flow)")
    let loss = try #require(v["loss-landscape"])
    #expect(loss.applies && loss.keys == "loss = train/loss, lr = train/lr", "\(loss)")
    let reward = try #require(v["reward-landscape"])
    #expect(!reward.applies && reward.reason!.contains("r: no reward metric"), "\(reward)")
    let hist = try #require(v["histogram"])
    #expect(!hist.applies && hist.reason!.contains("no histograms"), "\(hist)")
    for k in ["attention", "embedding"] {
      let a = try #require(v[k])
      #expect(!a.applies && a.reason!.contains(".npy"), "\(a)")
    }
  }

  @Test func anRLRunAllowsTheRewardLandscapeAndATrajectoryAsAPointCloud() throws {
    let keys = ["loss", "reward", "grad_norm", "kl"]
    let v = Dictionary(uniqueKeysWithValues: SummaryRecipe.verdicts(run: Self.run(keys)).map { ($0.kind, $0) })
    let reward = try #require(v["reward-landscape"])
    #expect(reward.applies && reward.keys == "loss = loss, reward = reward", "\(reward)")
    let path = try #require(v["trajectory"])
    #expect(path.applies && path.pointCloud && path.keys.contains("grad norm = grad_norm"), "\(path)")
    let flow = try #require(v["gradient-flow"])
    #expect(!flow.applies && flow.reason!.contains("no per-layer metric family"), "\(flow)")
    let loss = try #require(v["loss-landscape"])
    #expect(!loss.applies && loss.reason!.contains("learning"), "\(loss)")
  }

  @Test func onlyTheKindsAskedForAreDecided() {
    let v = SummaryRecipe.verdicts(run: Self.run(["loss", "reward", "grad_norm"]), kinds: ["trajectory", "histogram"])
    #expect(v.map(\.kind) == ["trajectory", "histogram"])
    #expect(v.map(\.applies) == [true, false])
  }
}
