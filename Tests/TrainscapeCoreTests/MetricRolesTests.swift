import Foundation
import Testing
import TrainscapeTestSupport
import TrainscapeCore

@Suite(.tiered) struct MetricRolesTests {
  func counts(_ keys: [String], _ n: Int = 100) -> KeyCounts {
    KeyCounts(Dictionary(uniqueKeysWithValues: keys.map { ($0, n) }))
  }

  func key(_ role: MetricRole, _ keys: [String]) throws -> String? {
    try MetricRoles.resolve(role, in: counts(keys), run: "r")?.key
  }

  @Test func conventionsUnderAnyPrefix() throws {
    // bare, hierarchical (NPT guide, HF/TensorBoard, our examples), Lightning, HF, TRL, nanochat
    let cases: [(MetricRole, [String], String)] = [
      (.loss, ["loss", "acc"], "loss"),
      (.loss, ["loss/total", "loss/lm", "loss/aux"], "loss/total"),
      (.loss, ["train/loss", "eval/loss"], "train/loss"),
      (.loss, ["train_loss_step", "val_loss"], "train_loss_step"),
      (.loss, ["metrics/total_loss"], "metrics/total_loss"),
      (.learningRate, ["training/learning_rate"], "training/learning_rate"),
      (.learningRate, ["optimizer/lr"], "optimizer/lr"),
      (.learningRate, ["lr-AdamW"], "lr-AdamW"),
      (.learningRate, ["lr-Adam/pg1", "lr-Adam/pg2"], "lr-Adam/pg1"),
      (.learningRate, ["lr-AdamW", "lr-AdamW-momentum"], "lr-AdamW"),
      (.learningRate, ["learning_rate", "loss"], "learning_rate"),
      (.learningRate, ["train/lrm", "train/loss"], "train/lrm"),
      (.learningRate, ["train/lrm", "train/lr"], "train/lr"),
      (.gradNorm, ["training/grad_norm"], "training/grad_norm"),
      (.gradNorm, ["grad_norm/total", "grad_norm/layer_0", "grad_norm/layer_1"], "grad_norm/total"),
      (.gradNorm, ["grad_2.0_norm_total", "grad_2.0_norm/layers.0.weight"], "grad_2.0_norm_total"),
      (.gradNorm, ["grad_norm"], "grad_norm"),
      (.reward, ["reward", "reward_std", "kl"], "reward"),
      (.reward, ["rewards/mean", "rewards/std"], "rewards/mean"),
      (.reward, ["rewards/margins", "rewards/chosen", "rewards/rejected", "rewards/accuracies"], "rewards/margins"),
      (.kl, ["kl", "loss"], "kl"),
    ]
    for (role, keys, want) in cases {
      #expect(try key(role, keys) == want, "\(role) in \(keys)")
    }
    #expect(try key(.reward, ["loss", "lr"]) == nil)
    #expect(try key(.loss, ["loss/lm", "loss/aux"]) == nil)
  }

  @Test func trainBeatsEvalAndEvalIsAFallback() throws {
    #expect(try key(.loss, ["eval_loss", "loss"]) == "loss")
    #expect(try key(.loss, ["val/loss", "train/loss"]) == "train/loss")
    let r = try #require(try MetricRoles.resolve(.loss, in: counts(["eval_loss"]), run: "r"))
    #expect(r.key == "eval_loss")
    #expect(r.how.contains("evaluation"))
    #expect(MetricRoles.isEval("validation/loss") && MetricRoles.isEval("eval_mlp/layer_0"))
    #expect(!MetricRoles.isEval("train/loss") && !MetricRoles.isEval("interval_s"))
  }

  @Test func sparseSummaryKeysLoseToSeries() throws {
    // The HF Trainer's final train_loss (one row) beside the per-step loss.
    let k = KeyCounts(["loss": 500, "train_loss": 1])
    #expect(try MetricRoles.resolve(.loss, in: k, run: "r")?.key == "loss")
  }

  @Test func ambiguityIsAnErrorNamingTheCandidatesAndTheFlag() throws {
    #expect {
      _ = try MetricRoles.resolve(.loss, in: counts(["train/loss", "loss"]), run: "run1")
    } throws: { e in
      let d = "\(e)"
      return d.contains("run1") && d.contains("train/loss") && d.contains("loss (100 rows)") && d.contains("--loss-key")
    }
  }

  @Test func explicitKeyMustExist() throws {
    #expect {
      _ = try MetricRoles.resolve(.learningRate, explicit: "train/lrr", in: counts(["train/lr"]), run: "r")
    } throws: { e in
      "\(e)".contains("no metric 'train/lrr'") && "\(e)".contains("did you mean 'train/lr'")
    }
    #expect(try MetricRoles.resolve(.learningRate, explicit: "x", in: counts(["x"]), run: "r")?.how == "given with --lr-key")
  }
}

@Suite(.tiered) struct LayerFamiliesTests {
  @Test func parameterPaths() throws {
    let cases: [(String, String, String, Int, String)] = [
      ("grad_norm/layers.0.weight", "grad_norm", "layers", 0, "weight"),
      ("grad_norm/transformer.h.3.attn.c_proj.weight", "grad_norm", "transformer.h", 3, "attn.c_proj.weight"),
      ("grad_norm/model.layers.3.mlp.down_proj.weight", "grad_norm", "model.layers", 3, "mlp.down_proj.weight"),
      ("grad_2.0_norm/layers.12.bias", "grad_2.0_norm", "layers", 12, "bias"),
      ("g/bert.encoder.layer.5.output.dense.weight", "g", "bert.encoder.layer", 5, "output.dense.weight"),
      ("gradients/blocks.2.norm1.weight", "gradients", "blocks", 2, "norm1.weight"),
      ("mlp_direct_loss/layer_7", "mlp_direct_loss", "layer", 7, ""),
      ("gradients/model/layers/4/mlp/kernel", "gradients/model", "layers", 4, "mlp/kernel"),
    ]
    for (key, prefix, container, layer, parameter) in cases {
      let p = try #require(LayerFamilies.parameterPath(key), "\(key)")
      #expect(p.metricPrefix == prefix, "\(key)")
      #expect(p.container == container, "\(key)")
      #expect(p.layer == layer, "\(key)")
      #expect(p.parameter == parameter, "\(key)")
    }
    #expect(LayerFamilies.parameterPath("grad_2.0_norm_total") == nil)
    #expect(LayerFamilies.parameterPath("train/loss") == nil)
  }

  @Test func familiesExtrasAndNumericOrder() throws {
    var keys = ["grad_norm/model.embed_tokens.weight", "grad_norm/model.norm.weight", "grad_norm/lm_head.weight", "grad_norm"]
    for l in [0, 1, 2, 10] {
      keys += ["grad_norm/model.layers.\(l).self_attn.q_proj.weight", "grad_norm/model.layers.\(l).mlp.down_proj.weight"]
    }
    let fams = LayerFamilies.detect(in: keys)
    #expect(fams.count == 1)
    let f = try #require(fams.first)
    #expect(f.prefix == "grad_norm")
    #expect(f.layers == [0, 1, 2, 10])
    #expect(f.members[3].keys.count == 2)
    #expect(f.extras.map(\.name).sorted() == ["lm_head.weight", "model.embed_tokens.weight", "model.norm.weight"])
    #expect(f.extras.first { $0.name == "model.embed_tokens.weight" }?.before == true)
    #expect(f.extras.first { $0.name == "lm_head.weight" }?.before == false)
    let rows = f.withExtrasAsRows()
    #expect(rows.layers == [-1, 0, 1, 2, 10, 11, 12])
  }

  @Test func legacyFormsStillWork() {
    let keys = ["a/layer_0", "a/layer_1", "b/layer0", "b/layer1", "c/0", "c/1", "d.0", "d.1", "f_0", "f_1"]
    #expect(LayerFamilies.detect(in: keys).map(\.prefix) == ["a", "b", "c", "d", "f"])
  }

  @Test func encoderAndDecoderAreTwoFamilies() {
    let keys = ["g/encoder.layers.0.w", "g/encoder.layers.1.w", "g/decoder.layers.0.w", "g/decoder.layers.1.w"]
    #expect(LayerFamilies.detect(in: keys).map(\.prefix) == ["g[decoder.layers]", "g[encoder.layers]"])
  }

  @Test func reduce() {
    #expect(LayerReduce.l2.combine([3, 4]) == 5)
    #expect(LayerReduce.sum.combine([3, 4]) == 7)
    #expect(LayerReduce.mean.combine([3, 4]) == 3.5)
    #expect(LayerReduce.max.combine([3, 4]) == 4)
    #expect(LayerReduce.l2.combine([3, .nan]).isNaN)
    let m = MetricFamily.Member(layer: 0, keys: ["w", "b"])
    #expect(m.value(in: ["w": 3, "b": 4], reduce: .l2) == 5)
    #expect(m.value(in: ["w": 3], reduce: .l2) == 3)
    #expect(m.value(in: ["x": 3], reduce: .l2) == nil)
  }

  @Test func familyPattern() throws {
    let f = try LayerFamilies.family(pattern: #"^stats/blk(\d+)/"#, in: ["stats/blk1/a", "stats/blk1/b", "stats/blk0/a", "loss"])
    #expect(f.layers == [0, 1])
    #expect(f.members[1].keys == ["stats/blk1/a", "stats/blk1/b"])
    #expect(throws: RoleError.self) { try LayerFamilies.family(pattern: "blk", in: ["blk1"]) }
  }

  @Test func trainFamilyBeatsEvalFamily() throws {
    var keys: [String] = []
    for l in 0..<12 { keys.append("mlp_direct_loss/layer_\(l)") }
    for l in 0..<12 { keys.append("eval_mlp_direct_loss/layer_\(l)") }
    let c = try GradientFlowRecipe.choose(keys: keys, options: .init(), run: "r")
    #expect(c.family.prefix == "mlp_direct_loss")
    #expect(c.notes.contains { $0.contains("eval_mlp_direct_loss") })
  }

  @Test func gradientFamilyWinsAndTiesAreErrors() throws {
    let keys = (0..<3).map { "grad_norm/layer_\($0)" } + (0..<3).map { "act_mean/layer_\($0)" }
    #expect(try GradientFlowRecipe.choose(keys: keys, options: .init(), run: "r").family.prefix == "grad_norm")
    let two = (0..<3).map { "a_stat/layer_\($0)" } + (0..<3).map { "b_stat/layer_\($0)" }
    #expect {
      _ = try GradientFlowRecipe.choose(keys: two, options: .init(), run: "r")
    } throws: { "\($0)".contains("--family") && "\($0)".contains("a_stat") && "\($0)".contains("b_stat") }
  }

  @Test func titleSaysWhatIsDrawn() throws {
    var rows: [MetricRow] = []
    for s in 0..<4 { rows.append(MetricRow(step: Int64(s), values: ["mlp_direct_loss/layer_0": 1, "mlp_direct_loss/layer_1": 2 + Double(s)])) }
    let out = try GradientFlowRecipe.scene(run: Run(name: "r", source: "r", rows: rows), options: .init())
    #expect(out.scene.title == "Per-layer mlp_direct_loss - r")
  }
}
