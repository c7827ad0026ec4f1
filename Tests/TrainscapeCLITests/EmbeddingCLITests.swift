import Foundation
import Testing
import TrainscapeCore
import TrainscapeIO
import TrainscapeTestSupport

/// Latent snapshots over training as a training visualiser saves them, through the CLI.
@Suite(.serialized, .tiered) struct EmbeddingCLITests {
  /// epoch_000.npy ... epoch_020.npy (every 5) of 60 points in 12 dimensions, 3 classes that
  /// separate as training goes on; labels.txt for all, a split, and predictions per epoch that
  /// get better.
  private func checkpointDirectory() throws -> URL {
    let dir = try CLI.tempDir()
    let ckpt = dir.appendingPathComponent("features")
    try FileManager.default.createDirectory(at: ckpt, withIntermediateDirectories: true)
    _ = try Python.run(
      """
      import numpy as np
      rng = np.random.default_rng(4)
      n, d = 60, 12
      labels = np.arange(n) % 3
      centres = rng.normal(size=(3, d)) * 3
      base = rng.normal(size=(n, d))
      open('\(ckpt.path)/labels.txt', 'w').write('\\n'.join(f'class {l}' for l in labels) + '\\n')
      open('\(ckpt.path)/split.txt', 'w').write('\\n'.join('val' if i % 4 == 0 else 'train' for i in range(n)) + '\\n')
      for e in range(0, 25, 5):
          x = base + centres[labels] * (e / 20)
          np.save(f'\(ckpt.path)/epoch_{e:03d}.npy', x.astype(np.float32))
          pred = labels.copy()
          wrong = 12 - e // 2
          pred[:wrong] = (pred[:wrong] + 1) % 3
          open(f'\(ckpt.path)/epoch_{e:03d}.predictions.txt', 'w').write('\\n'.join(f'class {p}' for p in pred) + '\\n')
      """)
    return ckpt
  }

  @Test(.tags(.python, .egl, .slow)) func animateWritesNamedFramesAndAManifestAndNeverTouchesEarlierRuns() throws {
    let ckpt = try checkpointDirectory()
    let out = ckpt.deletingLastPathComponent().appendingPathComponent("out").path
    let args = [
      "animate", "embedding", ckpt.path, "--method", "umap", "--fit", "per-checkpoint", "--epochs", "60",
      "--every", "10", "-o", out, "--size", "320x240", "--quality", "draft", "--quiet", "--animate", "gif",
    ]
    let r = try CLI.run(args)
    #expect(r.status == 0, "stderr: \(r.stderr)")
    for said in ["labels: ", "split: ", "predictions: ", "two panels", "UMAP fitted per checkpoint", "checkpoints drawn: epoch 0, epoch 10, epoch 20"] {
      #expect(r.stderr.contains(said), "stderr does not say '\(said)': \(r.stderr)")
    }
    let run1 = out + "/run_001"
    let files = try FileManager.default.contentsOfDirectory(atPath: run1).sorted()
    // Validation points are every 4th (15); of them, the wrong ones are those among the first
    // 12 - e/2 points: epoch 0: 0, 4, 8 -> 3 wrong, accuracy 12/15; epoch 10: 0, 4 -> 2 wrong;
    // epoch 20: 0 -> 1 wrong.
    #expect(files == ["epoch_000_acc0.8000.png", "epoch_010_acc0.8667.png", "epoch_020_acc0.9333.png", "features_embedding.gif", "manifest.json"], "\(files)")
    let manifest = try Manifest.read(from: run1)
    #expect(manifest.started != nil && manifest.options["method"] == "umap" && manifest.options["fit"] == "per-checkpoint")
    let info = try #require(manifest.frameInfo)
    #expect(info.map { $0["epoch"] } == ["0", "10", "20"])
    #expect(info.map { $0["accuracy"] } == ["0.8000", "0.8667", "0.9333"])
    #expect(info.allSatisfy { $0["classes"] == "3" })
    #expect(manifest.inputs.count == 3 && manifest.inputs[0].hasSuffix("epoch_000.npy"), "\(manifest.inputs)")
    let first = try PNGCodec.read(path: run1 + "/" + files[0])
    #expect(first.width == 320 && first.distinctColors > 20)
    // A second run goes to run_002; run_001 stays as it was.
    let before = try Data(contentsOf: URL(fileURLWithPath: run1 + "/" + files[0]))
    let again = try CLI.run(args)
    #expect(again.status == 0, "stderr: \(again.stderr)")
    #expect(FileManager.default.fileExists(atPath: out + "/run_002/epoch_020_acc0.9333.png"))
    #expect(try Data(contentsOf: URL(fileURLWithPath: run1 + "/" + files[0])) == before)
    #expect(try FileManager.default.contentsOfDirectory(atPath: run1).sorted() == files)
  }

  @Test(.tags(.python, .egl)) func renderChoosesCheckpointsAndSaysWhatItUsed() throws {
    let ckpt = try checkpointDirectory()
    let png = ckpt.deletingLastPathComponent().appendingPathComponent("r.png").path
    let r = try CLI.run([
      "render", "embedding", ckpt.path, "--checkpoints", "5,20", "--max-points", "30", "--colormap", "rainbow",
      "-o", png, "--size", "480x320",
    ])
    #expect(r.status == 0, "stderr: \(r.stderr)")
    #expect(r.stderr.contains("drew 30 of 60 points") && r.stderr.contains("checkpoints drawn: epoch 5, epoch 20"), "stderr: \(r.stderr)")
    #expect(try PNGCodec.read(path: png).distinctColors > 50)
    let missing = try CLI.run(["render", "embedding", ckpt.path, "--checkpoints", "7", "-o", png, "--force"])
    #expect(missing.status != 0 && missing.stderr.contains("no checkpoint with epoch 7") && missing.stderr.contains("0, 5, 10, 15, 20"), "\(missing.stderr)")
    let bad = try CLI.run(["render", "embedding", ckpt.path, "--checkpoints", "a,b", "-o", png, "--force"])
    #expect(bad.status != 0 && bad.stderr.contains("--checkpoints"))
  }

  @Test(.tags(.python, .egl)) func flattenDrawsOnePathAndTSNEIsCapped() throws {
    let dir = try CLI.tempDir()
    _ = try Python.run(
      """
      import numpy as np
      rng = np.random.default_rng(5)
      np.save('\(dir.path)/points.npy', np.cumsum(rng.normal(size=(12, 8, 6)), axis=0))
      """)
    let r = try CLI.run(["export", "embedding", dir.path + "/points.npy", "--flatten", "-o", dir.path + "/f.plotly.json"])
    #expect(r.status == 0 && r.stderr.contains("--flatten"), "stderr: \(r.stderr)")
    let fig = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir.path + "/f.plotly.json"))) as? [String: Any])
    let traces = try #require(fig["data"] as? [[String: Any]])
    #expect((traces[0]["x"] as? [Any])?.count == 12)
    #expect(traces.contains { ($0["marker"] as? [String: Any])?["symbol"] as? String == "circle-open" })
  }

  @Test(.tags(.python, .egl)) func attentionPointCloudKeepsRawCoordinatesAndTheOriginalColours() throws {
    let dir = try CLI.tempDir()
    _ = try Python.run(
      """
      import numpy as np
      a = np.zeros((6, 6)); a[np.arange(6), np.arange(6)] = 0.7; a[5, 0] = 0.25
      np.save('\(dir.path)/attn.npy', a)
      """)
    let raw = try CLI.run(["export", "attention", dir.path + "/attn.npy", "-o", dir.path + "/a.pts.json"])
    #expect(raw.status == 0, "stderr: \(raw.stderr)")
    let points = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir.path + "/a.pts.json"))) as? [[Double]])
    #expect(points.count == 7)
    let corner = try #require(points.first { $0[0] == 5 && $0[1] == 0 })
    #expect(corner == [5, 0, 0.25, 63, 191, 128])  // int(255 * 0.25), int(255 * 0.75), 128
    let diag = try #require(points.first { $0[0] == 2 && $0[1] == 2 })
    #expect(abs(diag[2] - 0.7) < 1e-6 && diag[3] == 178 && diag[4] == 76 && diag[5] == 128)
    let boxed = try CLI.run(["export", "attention", dir.path + "/attn.npy", "--normalize", "-o", dir.path + "/b.pts.json"])
    #expect(boxed.status == 0, "stderr: \(boxed.stderr)")
    let bp = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir.path + "/b.pts.json"))) as? [[Double]])
    #expect(bp.count == 7 && bp.allSatisfy { abs($0[0]) <= 5 && abs($0[1]) <= 5 && abs($0[2]) <= 5 })
    #expect(bp.contains { $0[0] == -5 })
  }
}
