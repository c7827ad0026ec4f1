import Foundation
import Testing
import TrainscapeCore
import TrainscapeTestSupport

@testable import TrainscapeIO

/// Runs written by the real training stacks (torch, transformers' Trainer, Lightning,
/// tensorboardX, wandb; `scripts/make_naming_runs.py` in the venv) read with no key flag:
/// roles and layer families come from the names those stacks log, and a layer's value is
/// checked exactly against numpy's sqrt(sum of squares) of its parameters' logged norms.
///
/// These need torch, transformers and lightning in `.venv` (scripts/setup.sh installs them);
/// without them each test fails with one line saying so.
@Suite(.serialized, .tags(.python, .slow), .tiered) struct NamingWriterTests {
  static func requireTorchStack() throws {
    do {
      _ = try Python.run("import torch, transformers, lightning, tensorboardX, wandb")
    } catch {
      throw Python.Failure("torch, transformers, lightning, tensorboardX or wandb missing from .venv: run scripts/setup.sh")
    }
  }

  /// Writes the runs of `kinds` (comma-separated) into a new temporary directory.
  static func write(_ kinds: String) throws -> URL {
    try requireTorchStack()
    let dir = try TestPaths.temporaryDirectory("trainscape-naming")
    _ = try Python.runFile(
      "scripts/make_naming_runs.py", args: [kinds, dir.path],
      environment: ["WANDB_SILENT": "true", "WANDB_MODE": "offline", "TOKENIZERS_PARALLELISM": "false"])
    return dir
  }

  /// numpy's layer norms from the file itself, read by Python (json / csv): for every step and
  /// layer, sqrt(sum of squares) of the logged norms of the parameters whose names match
  /// `pattern` (group 1: the layer), the squares added in sorted name order (as Trainscape adds
  /// them), so the values must agree to the last bit.
  static let reference = #"""
    import sys, json, csv, re
    import numpy as np
    path, pattern = sys.argv[1], re.compile(sys.argv[2])
    if path.endswith(".jsonl"):
        rows = [json.loads(l) for l in open(path)]
    elif path.endswith(".json"):
        rows = [e for e in json.load(open(path))["log_history"]]
    else:
        rows = []
        for r in csv.DictReader(open(path)):
            rows.append({k: float(v) for k, v in r.items() if v != ""})
    by_step = {}
    for r in rows:
        step = int(r["step"])
        by_step.setdefault(step, {}).update({k: v for k, v in r.items() if k != "step"})
    for step, vals in sorted(by_step.items()):
        layers = {}
        for k in sorted(vals):
            m = pattern.match(k)
            if m:
                layers.setdefault(int(m.group(1)), []).append(vals[k])
        for layer, v in layers.items():
            # cumsum adds in order (np.sum would pair terms): the same order as the names sort
            value = float(np.sqrt(np.cumsum(np.square(np.array(v, dtype=np.float64)))[-1]))
            print("%d\t%d\t%s" % (layer, step, value.hex()))
    """#

  func checkLayers(_ file: String, pattern: String, layers: Int, extras: [String], roles: [MetricRole: String]) throws {
    let result = try RunLoader.load(path: file)
    let run = try #require(result.runs.first)
    let keys = KeyCounts(rows: run.rows)
    for (role, key) in roles {
      #expect(try MetricRoles.resolve(role, in: keys, run: run.name)?.key == key, "\(file): \(role)")
    }
    let out = try GradientFlowRecipe.scene(run: run, options: .init())
    guard case .surface(let s) = out.scene.traces.first else {
      Issue.record("\(file): no surface")
      return
    }
    #expect(s.rows == layers)
    let choice = try GradientFlowRecipe.choose(keys: run.metricKeys, options: .init(), run: run.name)
    #expect(choice.reduce == .l2)
    #expect(Set(choice.family.extras.map(\.name)) == Set(extras))
    // "layer<TAB>step<TAB>float.hex()" lines: exact doubles (JSONSerialization rounds).
    var ref: [String: [String: Double]] = [:]
    for line in try Python.run(Self.reference, args: [file, pattern]).split(separator: "\n") {
      let f = line.split(separator: "\t").map(String.init)
      guard let value = Double(f[2]) else {
        Issue.record("\(file): bad reference line \(line)")
        continue
      }
      ref[f[0], default: [:]][f[1]] = value
    }
    #expect(ref.count == layers)
    var compared = 0
    for r in 0..<s.rows {
      for c in 0..<s.cols {
        let layer = Int(s.y[r * s.cols + c]), step = Int(s.x[r * s.cols + c])
        let want = try #require(ref[String(layer)]?[String(step)], "\(file): no reference for layer \(layer) step \(step)")
        #expect(s.z[r * s.cols + c] == want, "\(file): layer \(layer) step \(step)")
        compared += 1
      }
    }
    #expect(compared == layers * ref["0"]!.count)
    // --extras: the embeddings before the layers, the rest after.
    var o = GradientFlowRecipe.Options()
    o.extras = true
    let withExtras = try GradientFlowRecipe.scene(run: run, options: o)
    let e = try #require(withExtras.scene.traces.first?.surface, "--extras: the first trace is not a surface")
    #expect(e.rows == layers + extras.count)
  }

  @Test func perParameterNormsFromTorchHFAndLightning() throws {
    let dir = try Self.write("gpt,hf,lightning")
    defer { try? FileManager.default.removeItem(at: dir) }
    try checkLayers(
      dir.appendingPathComponent("gpt/gpt_named_parameters.jsonl").path, pattern: #"grad_norm/transformer\.h\.(\d+)\."#,
      layers: 4,
      extras: ["transformer.wte.weight", "transformer.wpe.weight", "transformer.ln_f.weight", "transformer.ln_f.bias", "lm_head.weight"],
      roles: [.loss: "train/loss", .learningRate: "train/lr", .gradNorm: "grad_norm/total"])
    try checkLayers(
      dir.appendingPathComponent("hf/trainer_state.json").path, pattern: #"grad_norm/model\.layers\.(\d+)\."#,
      layers: 3, extras: ["model.embed_tokens.weight", "model.norm.weight", "lm_head.weight"],
      roles: [.loss: "loss", .learningRate: "learning_rate", .gradNorm: "grad_norm"])
    try checkLayers(
      dir.appendingPathComponent("lightning/lightning_logs/version_0/metrics.csv").path,
      pattern: #"grad_2\.0_norm/layers\.(\d+)\."#, layers: 3,
      extras: ["embed.weight", "embed.bias", "head.weight", "head.bias"],
      roles: [.loss: "train_loss", .learningRate: "lr-AdamW", .gradNorm: "grad_2.0_norm_total"])
  }
}

extension NamingWriterTests {
  /// A warmup sweep: three W&B offline runs whose config holds {"optimizer": {"lr": LR}} and
  /// whose lr metric starts at 0. The learning-rate axis of the exported figure holds exactly
  /// the configured learning rates (not the metric's first values).
  @Test func warmupSweepTakesTheConfiguredLearningRates() throws {
    let dir = try Self.write("sweep")
    defer { try? FileManager.default.removeItem(at: dir) }
    let runs = try RunLoader.load(path: dir.appendingPathComponent("wandb").path).runs
    #expect(runs.count == 3)
    for r in runs { #expect(r.config["optimizer.lr"] != nil, "\(r.name): \(r.config)") }
    let out = try LossLandscapeRecipe.sweepScene(runs: runs, options: .init())
    #expect(out.keysLine.contains("loss = train/loss"))
    #expect(out.notes.filter { $0.contains("(config optimizer.lr)") }.count == 3)
    let (bytes, _) = PlotlyExporter.figure(out.scene, options: .init())
    let fig = try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
    let data = try #require(fig["data"] as? [[String: Any]])
    let y = try #require(data.first?["y"] as? [[Double]])
    #expect(y.map { $0[0] } == [1e-4, 1e-3, 1e-2])
    // --lr-from first takes the warmup's 0, which a sweep refuses.
    var o = LossLandscapeRecipe.Options()
    o.lrFrom = .first
    #expect(throws: BuilderError.self) { try LossLandscapeRecipe.sweepScene(runs: runs, options: o) }
    // A misspelt --lr-key is an error, never a fallback.
    o = LossLandscapeRecipe.Options()
    o.lrKey = "train/lrr"
    #expect(throws: RoleError.self) { try LossLandscapeRecipe.sweepScene(runs: runs, options: o) }
  }

  /// A run with the NPT guide's hierarchical names (loss/total, training/learning_rate,
  /// training/grad_norm, rewards/mean, gradients/layers.N.*, add_histogram gradients/*) draws
  /// every series kind and the histogram kind with no key flag, and the axis titles name the
  /// keys drawn.
  @Test func nptNamesDrawEveryKindWithNoKeyFlag() throws {
    let dir = try Self.write("npt")
    defer { try? FileManager.default.removeItem(at: dir) }
    let run = try #require(try RunLoader.load(path: dir.path).runs.first)
    let flow = try GradientFlowRecipe.scene(run: run, options: .init())
    #expect(flow.keysLine.contains("family gradients, 3 layers"))
    let single = try LossLandscapeRecipe.singleRunScene(run: run, options: .init())
    #expect(single.scene.z.title == "loss/total" && single.scene.y.title == "training/learning_rate")
    let path = try TrajectoryRecipe.scene(runs: [run], options: .init())
    #expect(path.keysLine.contains("loss = loss/total, grad norm = training/grad_norm, reward = rewards/mean"))
    #expect(path.scene.x.title == "loss/total" && path.scene.y.title == "training/grad_norm" && path.scene.z.title == "rewards/mean")
    let reward = try RewardLandscapeRecipe.scene(run: run, options: .init())
    #expect(reward.keysLine.contains("reward = rewards/mean"))
    // The histogram kind: the gradients family of add_histogram tags, by default.
    let hist = try HistogramRecipe.scene(run: run, options: .init())
    #expect(hist.keysLine.contains("(6 tag(s), run \(run.name))"))
    #expect(hist.scene.y.title == "gradients" && hist.scene.title.hasPrefix("Histograms: gradients (6 tags)"))
    guard case .surface(let s) = hist.scene.traces.first else {
      Issue.record("the histogram kind drew no surface")
      return
    }
    #expect(s.cols == 10 && s.rows == 80)
  }
}
