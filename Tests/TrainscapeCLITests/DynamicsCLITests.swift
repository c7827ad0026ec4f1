import Foundation
import Testing
import TrainscapeIO
import TrainscapeTestSupport

/// `render dynamics` and `export dynamics` on the bundled example logs (3 arms x 3 seeds):
/// the image, what stderr says, the errors, and the Plotly subplots read back by plotly.py.
@Suite(.serialized, .tiered) struct DynamicsCLITests {
  static var examples: String { TestPaths.packageRoot.appendingPathComponent("Assets/examples/dynamics").path }
  static let figureArgs = [
    "--metrics", "hack_s,gt_s", "--metrics", "cos_pre_t,cos_pre_s", "--group-by", "arm", "--ema", "5",
    "--mark-first", "hack_s>0", "--mark", "500:eval",
  ]

  @Test(.tags(.egl)) func renderDrawsTheExampleGrid() throws {
    let dir = try CLI.tempDir()
    let out = dir.appendingPathComponent("grid.png").path
    let r = try CLI.run(["render", "dynamics", Self.examples] + Self.figureArgs + ["-o", out, "--size", "640x360", "--camera-eye", "1,1,1"])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stdout.contains(out))
    #expect(r.stderr.contains("keys: hack_s, gt_s | cos_pre_t, cos_pre_s; 9 runs in 3 group(s)"), "\(r.stderr)")
    #expect(r.stderr.contains("arm=vanilla: first hack_s>0 at step 303.3333333333333"), "\(r.stderr)")
    #expect(r.stderr.contains("arm=adaptive_erasure: hack_s>0: mean first step 850 (1 of 3 runs)"), "\(r.stderr)")
    #expect(r.stderr.contains("--camera-eye is for 3D kinds; the dynamics figure is 2D: not used"), "\(r.stderr)")
    let image = try PNGCodec.read(path: out)
    #expect(image.width == 640 && image.height == 360)
    #expect(image.fractionNot((255, 255, 255)) > 0.05)

    // The three-panel figure: one group, three rows side by side, log-log.
    let three = dir.appendingPathComponent("three.png").path
    let t = try CLI.run([
      "render", "dynamics", "\(Self.examples)/vanilla_seed0.log", "--metrics", "loss", "--metrics", "cos_pre_t",
      "--metrics", "gt_s", "--layout", "columns", "--log-x", "--log-y", "--band", "std", "-o", three, "--size", "900x300",
    ])
    #expect(t.status == 0, "\(t.stderr)")
    #expect(try PNGCodec.read(path: three).width == 900)
  }

  @Test func errorsAreClear() throws {
    let missing = try CLI.run(["render", "dynamics", Self.examples, "--metrics", "rewrad", "--group-by", "arm", "-o", "/tmp/x.png"])
    #expect(missing.status != 0)
    #expect(missing.stderr.contains("no run has the metric 'rewrad' (row 1); the runs have:"), "\(missing.stderr)")
    let ylim = try CLI.run(["render", "dynamics", Self.examples, "--metrics", "loss", "--ylim", "3:0,1"])
    #expect(ylim.status != 0)
    #expect(ylim.stderr.contains("--ylim '3:0,1': there are 1 metric rows"), "\(ylim.stderr)")
    let noRows = try CLI.run(["render", "dynamics", Self.examples])
    #expect(noRows.status != 0)
    #expect(noRows.stderr.contains("--metrics KEY[,KEY]"), "\(noRows.stderr)")
    let names = try CLI.run(["render", "dynamics", Self.examples, "--metrics", "loss", "--stage-names", "a,b"])
    #expect(names.status != 0)
    #expect(names.stderr.contains("--stage-names names the stages of --stages KEY"), "\(names.stderr)")
    let expr = try CLI.run(["render", "dynamics", Self.examples, "--metrics", "loss", "--mark-first", "hack_s~0"])
    #expect(expr.status != 0)
    #expect(expr.stderr.contains("--mark-first 'hack_s~0'"), "\(expr.stderr)")
    let glb = try CLI.run(["export", "dynamics", Self.examples, "--metrics", "loss", "-o", "/tmp/x.glb"])
    #expect(glb.status != 0)
    #expect(glb.stderr.contains("export dynamics writes plotly (.plotly.json, .json) or html"), "\(glb.stderr)")
  }

  /// plotly.py accepts the figure; six subplots (one x/y pair per panel, each trace on an
  /// existing pair, domains apart); rows share their y range; the dashed onset shapes sit at
  /// each arm's mean first step where a seed's line turns positive (a causal EMA of values
  /// >= 0 is positive from the first positive raw value on); the stages of a curriculum run
  /// are shaded rects.
  @Test(.tags(.python)) func exportIsPlotlySubplotsWithTheShapes() throws {
    let dir = try CLI.tempDir()
    let out = dir.appendingPathComponent("grid.plotly.json").path
    let r = try CLI.run(["export", "dynamics", Self.examples] + Self.figureArgs + ["-o", out])
    #expect(r.status == 0, "\(r.stderr)")
    let check = #"""
      import sys, json, math
      import plotly.io as pio
      fig = pio.from_json(open(sys.argv[1]).read())
      lay = fig.layout.to_plotly_json()
      xs = sorted(k for k in lay if k.startswith("xaxis")); ys = sorted(k for k in lay if k.startswith("yaxis"))
      assert len(xs) == 6 and len(ys) == 6, (xs, ys)
      names = {("x" + k[5:]) for k in xs}
      assert all(t.xaxis in names and t.yaxis == "y" + t.xaxis[1:] for t in fig.data)
      doms = [(tuple(lay[x]["domain"]), tuple(lay["y" + x[1:]]["domain"])) for x in xs]
      for i, (a, b) in enumerate(doms):
          for (c, d) in doms[i + 1:]:
              assert a[1] <= c[0] or c[1] <= a[0] or b[1] <= d[0] or d[1] <= b[0], (a, b, c, d)
      # panels 1-3 are row 1 (hack_s, gt_s), 4-6 row 2: rows share y
      r = lambda i: tuple(lay["yaxis" + ("" if i == 1 else str(i))]["range"])
      assert r(1) == r(2) == r(3) and r(4) == r(5) == r(6) and r(1) != r(4)
      # onsets from the seeds' exported lines, per panel of row 1
      for i in (1, 2, 3):
          ax = "x" + ("" if i == 1 else str(i))
          firsts = []
          for t in fig.data:
              if t.xaxis == ax and t.name.startswith("hack_s seed="):
                  f = [x for x, y in zip(t.x, t.y) if y is not None and not math.isnan(y) and y > 0]
                  if f: firsts.append(f[0])
          dashed = [s for s in fig.layout.shapes if s.xref == ax and s.line.dash == "dash"]
          assert len(dashed) == 1 and abs(dashed[0].x0 - sum(firsts) / len(firsts)) < 1e-9, (ax, firsts, dashed)
          assert dashed[0].yref == "y" + ax[1:] + " domain" and dashed[0].y0 == 0 and dashed[0].y1 == 1
          solid = [s for s in fig.layout.shapes if s.xref == ax and s.line.dash == "solid"]
          assert [s.x0 for s in solid] == [500]
      print("ok", len(fig.data))
      """#
    let outText = try Python.run(check, args: [out])
    #expect(outText.hasPrefix("ok"), "\(outText)")

    // --twin: kl on a right-hand axis overlaying the panel's own.
    let twinOut = dir.appendingPathComponent("twin.plotly.json").path
    let t = try CLI.run(["export", "dynamics", "\(Self.examples)/static_erasure_seed1.log", "--metrics", "loss,kl", "--twin", "kl", "-o", twinOut])
    #expect(t.status == 0, "\(t.stderr)")
    let twin = try Python.run(#"""
      import sys, plotly.io as pio
      fig = pio.from_json(open(sys.argv[1]).read())
      y2 = fig.layout.yaxis2
      print(y2.overlaying, y2.side, y2.title.text, sorted({t.yaxis for t in fig.data if t.name.startswith("kl")}),
            sorted({t.yaxis for t in fig.data if t.name.startswith("loss")}))
      """#, args: [twinOut])
    #expect(twin.trimmingCharacters(in: .whitespacesAndNewlines) == "y right kl ['y2'] ['y']", "\(twin)")
    let badTwin = try CLI.run(["export", "dynamics", Self.examples, "--metrics", "loss", "--twin", "kl", "-o", twinOut])
    #expect(badTwin.status != 0 && badTwin.stderr.contains("--twin kl: not a key of any --metrics row"), "\(badTwin.stderr)")

    // Stages: a curriculum run in JSONL, stage_index 0/1/2 -> three named stages, two boundaries.
    var lines = ""
    for step in stride(from: 0, to: 300, by: 10) {
      lines += "{\"step\": \(step), \"loss\": \(3.0 - Double(step) / 200), \"curriculum/stage_index\": \(step / 100)}\n"
    }
    let run = dir.appendingPathComponent("curriculum.jsonl")
    try Data(lines.utf8).write(to: run)
    let staged = dir.appendingPathComponent("staged.plotly.json").path
    let s = try CLI.run([
      "export", "dynamics", run.path, "--metrics", "loss", "--stages", "curriculum/stage_index",
      "--stage-names", "teacher,mixed,student", "-o", staged,
    ])
    #expect(s.status == 0, "\(s.stderr)")
    let stages = try Python.run(#"""
      import sys, plotly.io as pio
      fig = pio.from_json(open(sys.argv[1]).read())
      rects = [(s.x0, s.x1) for s in fig.layout.shapes if s.type == "rect"]
      lines = [s.x0 for s in fig.layout.shapes if s.type == "line"]
      names = [a.text for a in fig.layout.annotations if a.text in ("teacher", "mixed", "student")]
      print(rects, lines, names)
      """#, args: [staged])
    #expect(stages.trimmingCharacters(in: .whitespacesAndNewlines) == "[(100, 200)] [100, 200] ['teacher', 'mixed', 'student']")
  }

  /// The 3D kind: a curriculum gradient flow exported with its stage and onset planes as
  /// named mesh3d traces in the legend, and their labels as scene annotations.
  @Test(.tags(.python)) func gradientFlowExportsStagePlanes() throws {
    let dir = try CLI.tempDir()
    var lines = ""
    for i in 0..<60 {
      var row = "{\"step\": \(i * 10), \"curriculum/stage_index\": \(i / 20), \"hack_s\": \(i >= 35 ? 0.3 : 0)"
      for l in 0..<4 { row += ", \"grad_norm/layer_\(l)\": \(1 + Double(l) * 0.2 + Double(i) * 0.01)" }
      lines += row + "}\n"
    }
    let run = dir.appendingPathComponent("curriculum.jsonl")
    try Data(lines.utf8).write(to: run)
    let out = dir.appendingPathComponent("flow.plotly.json").path
    let r = try CLI.run([
      "export", "gradient-flow", run.path, "--stages", "curriculum/stage_index", "--stage-names", "teacher,mixed,student",
      "--mark-first", "hack_s>0", "--mark", "9999:never", "-o", out,
    ])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stderr.contains("first hack_s>0 at step 350"), "\(r.stderr)")
    #expect(r.stderr.contains("never at step 9999 is outside the steps drawn (0...590): no plane"), "\(r.stderr)")
    let text = try Python.run(#"""
      import sys, plotly.io as pio
      fig = pio.from_json(open(sys.argv[1]).read())
      planes = [t for t in fig.data if t.type == "mesh3d"]
      print([(t.name, sorted(set(t.x)), t.showlegend) for t in planes])
      print([a.text for a in fig.layout.scene.annotations], fig.layout.showlegend)
      """#, args: [out])
    #expect(text == """
      [('stage: teacher', [0], True), ('stage: mixed', [200], True), ('stage: student', [400], True), ('first hack_s>0', [350], True)]
      ['teacher', 'mixed', 'student', 'first hack_s>0'] True

      """, "\(text)")
  }

  /// The other step-based 3D kinds take the same annotations: a loss-landscape sweep.
  @Test(.tags(.python)) func lossLandscapeSweepExportsMarkPlanes() throws {
    let dir = try CLI.tempDir()
    let out = dir.appendingPathComponent("sweep.plotly.json").path
    let sweep = TestPaths.packageRoot.appendingPathComponent("Assets/examples/sweep").path
    let r = try CLI.run(["export", "loss-landscape", sweep, "--mark", "300:warm", "-o", out])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stderr.contains("warm at step 300"), "\(r.stderr)")
    let text = try Python.run(#"""
      import sys, plotly.io as pio
      fig = pio.from_json(open(sys.argv[1]).read())
      print([(t.name, sorted(set(t.x))) for t in fig.data if t.type == "mesh3d"])
      """#, args: [out])
    #expect(text.trimmingCharacters(in: .whitespacesAndNewlines) == "[('mark: warm', [300])]", "\(text)")
  }
}
