import Foundation
import Testing

@testable import TrainscapeCore

@Suite(.tiered) struct EmbeddingRecipeTests {
  private func scatter(_ t: Trace) throws -> ScatterTrace {
    guard case .scatter(let s) = t else { throw BuilderError("not a scatter trace: \(t.name)") }
    return s
  }

  /// N points in D dimensions at T checkpoints; point i's class is i % classes.
  private func snapshots(t: Int, n: Int, d: Int, classes: Int? = nil, seed: UInt64 = 1) -> EmbeddingSnapshots {
    var rng = SplitMix64(seed: seed)
    var data = [Double](repeating: 0, count: t * n * d)
    for c in 0..<t {
      for i in 0..<n {
        for j in 0..<d {
          data[(c * n + i) * d + j] = Double(i % (classes ?? 3)) * 2 + Double(c) * 0.3 * Double(j % 2) + 0.4 * rng.normal()
        }
      }
    }
    let labels = classes.map { k in (0..<n).map { "class \($0 % k)" } }
    return EmbeddingSnapshots(
      name: "e", checkpoints: (0..<t).map { .init(name: "epoch_\($0 * 5)", epoch: $0 * 5, labels: labels) },
      points: n, dimensions: d, data: data)
  }

  /// [T, D]: one path through T checkpoints, coordinates equal to PCA's projection.
  @Test func checkpointPathIsThePCAProjection() throws {
    let t = 10, d = 8
    let data = (0..<(t * d)).map { i in sin(Double(i) * 0.37) + Double(i / d) * 0.5 }
    let input = EmbeddingSnapshots(
      name: "e", checkpoints: (0..<t).map { .init(name: "checkpoint \($0)") }, points: 1, dimensions: d, data: data)
    let layout = try EmbeddingRecipe.layout(input)
    let scene = try EmbeddingRecipe.trajectoryScene(layout)
    let s = try scatter(scene.traces[0])
    let pca = try PCA.fit(data, rows: t, cols: d, components: 3)
    #expect(s.count == t)
    for i in 0..<t {
      #expect(abs(s.x[i] - pca.projected[i * 3]) < 1e-12 && abs(s.z[i] - pca.projected[i * 3 + 2]) < 1e-12)
    }
    #expect(scene.colorBar?.title == "Training progress" && scene.colorBar?.colormap.name == "Rainbow")
    #expect(scene.x.title == "PCA 1")
    // Time direction: a ring at the start, a disc at the end, both in the legend.
    let start = try scatter(try #require(scene.traces.first { $0.name.hasPrefix("start") }))
    let end = try scatter(try #require(scene.traces.first { $0.name.hasPrefix("end") }))
    #expect(start.symbol == .ring && start.x == [s.x[0]] && end.x == [s.x[t - 1]] && end.symbol == .circle)
    #expect(scene.showLegend)
  }

  @Test func classesColourPathsWithALegendAndStartEndMarkers() throws {
    let input = snapshots(t: 4, n: 12, d: 6, classes: 3)
    let layout = try EmbeddingRecipe.layout(input)
    let scene = try EmbeddingRecipe.trajectoryScene(layout)
    #expect(scene.colorBar == nil && scene.showLegend)
    #expect(scene.traces.map(\.name) == ["class 0", "class 1", "class 2", "start: epoch 0", "end: epoch 15"])
    let c0 = try scatter(scene.traces[0])
    // Four paths of 4 checkpoints, separated by NaN breaks.
    #expect(c0.count == 4 * 4 + 3 && c0.x.filter(\.isNaN).count == 3 && c0.mode == .lines)
    #expect(c0.colors == .solid(Palette.color(0)))
  }

  @Test func misclassifiedPointsAreRedCrossesCountedInTheTitle() throws {
    var input = snapshots(t: 3, n: 20, d: 5, classes: 2)
    for c in 0..<3 {
      var p = input.checkpoints[c].labels!
      for i in 0..<(6 - 2 * c) { p[i] = p[i] == "class 0" ? "class 1" : "class 0" }  // 6, 4, 2 wrong
      input.checkpoints[c].predictions = p
    }
    let layout = try EmbeddingRecipe.layout(input)
    let expected: [Double?] = [0.7, 0.8, 0.9]
    #expect(layout.accuracies == expected)
    let frame = try EmbeddingRecipe.frameScene(layout, frame: 1)
    #expect(frame.title.contains("epoch 5") && frame.title.contains("accuracy 0.8000") && frame.title.contains("4 misclassified"))
    let crosses = try scatter(try #require(frame.traces.first { $0.name == "misclassified (4)" }))
    #expect(crosses.symbol == .cross && crosses.count == 4 && crosses.colors == .solid(EmbeddingRecipe.crossColor))
    #expect(crosses.markerSize > 10)
    #expect(EmbeddingRecipe.frameFileName(layout, frame: 1) == "epoch_005_acc0.8000.png")
    let info = EmbeddingRecipe.frameInfo(layout, frame: 2)
    #expect(info["epoch"] == "10" && info["accuracy"] == "0.9000" && info["classes"] == "2" && info["misclassified"] == "2")
    let render = try EmbeddingRecipe.trajectoryScene(layout)
    #expect(render.title.contains("2 misclassified at epoch 10"))
    // With a split, only validation points count, and they are drawn as rings.
    for c in 0..<3 { input.checkpoints[c].split = (0..<20).map { $0 < 3 ? .validation : $0 % 2 == 0 ? .train : .validation } }
    let split = try EmbeddingRecipe.layout(input)
    #expect(split.hasSplit && split.notes.contains { $0.contains("two panels") && $0.contains("rings") })
    let f0 = try EmbeddingRecipe.frameScene(split, frame: 0)
    // Wrong at checkpoint 0: points 0-5; validation among them: 0, 1, 2, 3, 5.
    #expect(f0.title.contains("5 misclassified"))
    let rings = f0.traces.compactMap { try? scatter($0) }.filter { $0.symbol == .ring && $0.count > 0 }
    #expect(!rings.isEmpty && f0.traces.contains { $0.name == "validation" })
    // Two panels of one frame: train (even points from 4: 8) and validation (0-3 and odd
    // points: 12), each with its own crosses counted in its title (wrong: points 0-5).
    let panels = try #require(try EmbeddingRecipe.splitFrame(split, frame: 0))
    #expect(panels.panels.map(\.title) == [
      "train (8 points) - epoch 0, accuracy 0.8750, 1 misclassified",
      "validation (12 points) - epoch 0, accuracy 0.5833, 5 misclassified",
    ])
    #expect(panels.panels.map { $0.traces.compactMap { try? scatter($0) }.filter { $0.symbol == .cross }.map(\.count) } == [[1], [5]])
    #expect(panels.panels.allSatisfy { $0.x == panels.panels[0].x && $0.camera == panels.panels[0].camera })
    #expect(panels.title.contains("epoch 0") && panels.title.contains("validation accuracy"))
    let paths = try #require(try EmbeddingRecipe.splitTrajectories(split))
    #expect(paths.panels.map(\.title) == ["train (8 points) - 0 misclassified at epoch 10", "validation (12 points) - 2 misclassified at epoch 10"])
    #expect(try EmbeddingRecipe.splitFrame(layout, frame: 0) == nil)
  }

  @Test func checkpointSelection() throws {
    let input = snapshots(t: 11, n: 6, d: 4, classes: 2)  // epochs 0, 5, ..., 50
    var o = EmbeddingRecipe.Options()
    o.checkpoints = [50, 5, 25]
    #expect(try EmbeddingRecipe.layout(input, options: o).checkpoints.map(\.epoch) == [5, 25, 50])
    o.checkpoints = nil
    o.every = 10
    #expect(try EmbeddingRecipe.layout(input, options: o).checkpoints.map(\.epoch) == [0, 10, 20, 30, 40, 50])
    o.every = nil
    o.checkpoints = [7]
    do {
      _ = try EmbeddingRecipe.layout(input, options: o)
      Issue.record("epoch 7 does not exist")
    } catch let e as BuilderError {
      #expect(e.description.contains("no checkpoint with epoch 7") && e.description.contains("0, 5, 10"))
    }
  }

  /// Per-checkpoint PCA of a cloud that is reflected and rotated between checkpoints: aligned
  /// to the previous snapshot, the frames coincide instead of flipping.
  @Test func perCheckpointFitsAreAlignedToThePreviousSnapshot() throws {
    let n = 40, d = 5, t = 4
    var rng = SplitMix64(seed: 3)
    let base = (0..<(n * d)).map { i in rng.normal() * [5.0, 3, 1.5, 0.3, 0.1][i % d] }
    var data: [Double] = []
    for c in 0..<t {
      for i in 0..<n {
        for j in 0..<d {
          // Checkpoint c: the first two coordinates swapped and negated in turn.
          let v = base[i * d + j]
          if c % 2 == 1 && j == 0 { data.append(-v) } else { data.append(v) }
        }
      }
    }
    let input = EmbeddingSnapshots(
      name: "e", checkpoints: (0..<t).map { .init(name: "c\($0)", epoch: $0) }, points: n, dimensions: d, data: data)
    // Fitted alone, checkpoint 1's projection is checkpoint 0's mirrored.
    let raw0 = try PCA.fit(Array(data[0..<(n * d)]), rows: n, cols: d, components: 3).projected
    let raw1 = try PCA.fit(Array(data[(n * d)..<(2 * n * d)]), rows: n, cols: d, components: 3).projected
    #expect(zip(raw0, raw1).map { abs($0 - $1) }.max()! > 1)
    var o = EmbeddingRecipe.Options()
    o.fit = .perCheckpoint
    let layout = try EmbeddingRecipe.layout(input, options: o)
    for c in 1..<t {
      let diff = zip(layout.coordinates[c], layout.coordinates[0]).map { abs($0 - $1) }.max()!
      #expect(diff < 1e-9, "checkpoint \(c) differs from the first by \(diff)")
    }
    #expect(layout.notes.contains { $0.contains("Procrustes") })
    // UMAP per checkpoint runs and stays finite (each fit starts from the previous layout).
    o.method = .umap
    o.umap.epochs = 30
    let u = try EmbeddingRecipe.layout(input, options: o)
    let allFinite = u.coordinates.allSatisfy { c in c.count == n * 3 && c.allSatisfy { $0.isFinite } }
    #expect(u.coordinates.count == t && allFinite)
  }

  @Test func flattenMakesOnePathAndSubsamplingIsStated() throws {
    let input = snapshots(t: 6, n: 10, d: 4, classes: 2)
    let flat = input.flattened()
    #expect(flat.points == 1 && flat.dimensions == 40 && flat.checkpoints.count == 6)
    let scene = try EmbeddingRecipe.trajectoryScene(try EmbeddingRecipe.layout(flat))
    #expect(try scatter(scene.traces[0]).count == 6)
    var o = EmbeddingRecipe.Options()
    o.maxPoints = 4
    let sub = try EmbeddingRecipe.layout(input, options: o)
    #expect(sub.points.count == 4 && sub.coordinates[0].count == 12)
    #expect(sub.checkpoints[0].labels!.filter { $0 == "class 0" }.count == 2)
    #expect(sub.notes.contains { $0.contains("drew 4 of 10 points") })
    // t-SNE and UMAP on more rows than their default caps are subsampled, and say so.
    o = EmbeddingRecipe.Options()
    o.method = .tsne
    let (keep, note) = EmbeddingRecipe.pointsToKeep(points: 3000, fitRows: 2, dimensions: 50, options: o)
    #expect(keep == 2500 && note?.contains("--max-points") == true)
    o.fit = .perCheckpoint
    #expect(EmbeddingRecipe.pointsToKeep(points: 3000, fitRows: 1, dimensions: 50, options: o).0 == 3000)
    o.method = .umap
    #expect(EmbeddingRecipe.pointsToKeep(points: 50_000, fitRows: 1, dimensions: 50, options: o).0 == 20_000)
    o.maxPoints = 0
    let all = EmbeddingRecipe.pointsToKeep(points: 50_000, fitRows: 1, dimensions: 50, options: o)
    #expect(all.0 == 50_000 && all.1 == nil)
    o.method = .pca
    o.maxPoints = nil
    #expect(EmbeddingRecipe.pointsToKeep(points: 50_000, fitRows: 10, dimensions: 50, options: o).0 == 50_000)
  }

  @Test func badShapesAreClearErrors() {
    #expect(throws: BuilderError.self) {
      try EmbeddingRecipe.layout(EmbeddingSnapshots(name: "e", checkpoints: [.init(name: "a")], points: 1, dimensions: 2, data: [1, 2, 3]))
    }
    #expect(throws: BuilderError.self) {
      try EmbeddingRecipe.layout(
        EmbeddingSnapshots(
          name: "e", checkpoints: [.init(name: "a", labels: ["x"]), .init(name: "b")], points: 4, dimensions: 5,
          data: Array(repeating: 1, count: 40)))
    }
  }
}
