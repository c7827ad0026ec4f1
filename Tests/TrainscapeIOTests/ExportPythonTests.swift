import Foundation
import Testing
import TrainscapeTestSupport
import TrainscapeCore
@testable import TrainscapeIO

/// The exports checked by the real libraries in the venv: plotly, wandb (offline), pygltflib.
@Suite(.serialized, .tiered) struct ExportPythonTests {
  func write(_ bytes: [UInt8], _ dir: URL, _ name: String) throws -> String {
    let path = dir.appendingPathComponent(name).path
    try AtomicFile.write(bytes, to: path, overwrite: true)
    return path
  }

  /// plotly.io.from_json(skip_invalid=False) accepts every figure and the arrays read back equal.
  @Test(.tags(.python)) func plotlyAcceptsEveryFigureAndArraysMatch() throws {
    let dir = try ExportPython.tempDir()
    var paths: [String] = []
    var expected: [String] = []
    let scenes = [ExportScenes.surface(), ExportScenes.surface(logColor: true, logAxes: true), ExportScenes.scatterAndMesh()]
    for (n, scene) in scenes.enumerated() {
      for typed in [false, true] {
        let json = PlotlyExporter.figure(scene, options: .init(typedArrays: typed)).json
        paths.append(try write(json, dir, "fig\(n)_\(typed).plotly.json"))
        // What the arrays should hold: each trace's x, y, z flattened, NaN as nan.
        var w = JSONWriter()
        w.byte(UInt8(ascii: "["))
        for (k, t) in scene.traces.enumerated() {
          if k > 0 { w.byte(UInt8(ascii: ",")) }
          switch t {
          case .surface(let s): w.raw("["); w.numbers(s.x); w.raw(","); w.numbers(s.y); w.raw(","); w.numbers(s.z); w.raw("]")
          case .scatter(let s): w.raw("["); w.numbers(s.x); w.raw(","); w.numbers(s.y); w.raw(","); w.numbers(s.z); w.raw("]")
          case .mesh(let m): w.raw("["); w.numbers(m.x); w.raw(","); w.numbers(m.y); w.raw(","); w.numbers(m.z); w.raw("]")
          }
        }
        w.byte(UInt8(ascii: "]"))
        expected.append(try write(w.bytes, dir, "want\(n)_\(typed).json"))
      }
    }
    let script = """
      import base64, json, sys, math
      import numpy as np
      import plotly.io as pio
      paths = sys.argv[1:]
      half = len(paths) // 2
      def values(v):
          # plotly.py keeps typed arrays as given ({"dtype", "bdata", "shape"}); decode as plotly.js does.
          if isinstance(v, dict):
              a = np.frombuffer(base64.b64decode(v["bdata"]), dtype=np.dtype(v["dtype"]).newbyteorder("<"))
              return a.astype(float)
          return np.asarray(v, dtype=float).ravel()
      for path, want_path in zip(paths[:half], paths[half:]):
          fig = pio.from_json(open(path).read(), skip_invalid=False)
          want = json.load(open(want_path))
          assert len(fig.data) == len(want), path
          for tr, w in zip(fig.data, want):
              for axis, wv in zip("xyz", w):
                  got = values(getattr(tr, axis))
                  wv = np.array([np.nan if v is None else v for v in wv], dtype=float)
                  assert got.shape == wv.shape, (path, tr.type, axis, got.shape, wv.shape)
                  assert np.array_equal(got, wv, equal_nan=True), (path, tr.type, axis)
          types = [t.type for t in fig.data]
          scene = fig.layout.scene
          print(path.rsplit("/", 1)[-1], types, scene.yaxis.type, scene.camera.eye.x)
      """
    let out = try ExportPython.run(script, args: paths + expected)
    #expect(out.split(separator: "\n").count == paths.count)
    #expect(out.contains("['scatter3d', 'scatter3d', 'scatter3d', 'mesh3d', 'mesh3d'] log"))
    #expect(out.contains("fig1_true.plotly.json ['surface'] log 1.5"))
  }

  /// The .glb loads in pygltflib with the right counts and passes basic validation.
  @Test(.tags(.python)) func glbLoadsInPygltflib() throws {
    let dir = try ExportPython.tempDir()
    let scene = ExportScenes.surface(rows: 5, cols: 7)
    let path = try write(GLBExporter.glb(scene).bytes, dir, "s.glb")
    let mixed = try write(GLBExporter.glb(ExportScenes.scatterAndMesh()).bytes, dir, "m.glb")
    let script = """
      import sys, struct
      import numpy as np
      from pygltflib import GLTF2
      sizes = {5126: 4, 5125: 4}
      comps = {"SCALAR": 1, "VEC3": 3, "VEC4": 4}
      for path in sys.argv[1:]:
          g = GLTF2().load(path)
          blob = g.binary_blob()
          assert g.buffers[0].byteLength == len(blob), (g.buffers[0].byteLength, len(blob))
          def read(i):
              a = g.accessors[i]; v = g.bufferViews[a.bufferView]
              assert v.byteOffset % 4 == 0 and v.byteOffset + v.byteLength <= len(blob)
              n = a.count * comps[a.type]
              assert n * sizes[a.componentType] <= v.byteLength
              dt = "<f4" if a.componentType == 5126 else "<u4"
              return np.frombuffer(blob, dtype=dt, count=n, offset=v.byteOffset + (a.byteOffset or 0)).reshape(a.count, -1)
          out = []
          for m in g.meshes:
              for p in m.primitives:
                  pos = read(p.attributes.POSITION)
                  a = g.accessors[p.attributes.POSITION]
                  assert np.allclose(pos.min(0), a.min) and np.allclose(pos.max(0), a.max), (a.min, a.max)
                  assert np.all(np.abs(pos) <= 0.5 + 1e-6)
                  if p.attributes.COLOR_0 is not None:
                      c = read(p.attributes.COLOR_0); assert c.shape == pos.shape and c.min() >= 0 and c.max() <= 1
                  faces = 0
                  if p.indices is not None:
                      idx = read(p.indices).ravel(); assert idx.max() < len(pos)
                      faces = len(idx) // 3 if p.mode == 4 else len(idx) // 2
                  out.append(f"{m.name}:{p.mode}:{len(pos)}:{faces}")
          print(" ".join(out))
      """
    let out = try ExportPython.run(script, args: [path, mixed]).split(separator: "\n")
    // 5 x 7 grid = 35 vertices; 4 x 6 cells, the four around the NaN sample are holes: 20 cells, 40 triangles.
    #expect(out.first == "loss \"surface\":4:35:40 axes box:1:8:12")
    #expect(out.last?.contains("run a:3:29:0 run a:0:29:0") == true)
    #expect(out.last?.contains("tetra:4:4:4") == true)
  }

  /// wandb accepts every export as the README shows (offline), through scripts/wandb_upload_check.py,
  /// plus wandb.Object3D(numpy_array) on the point cloud's rows.
  @Test(.tags(.python, .slow)) func wandbAcceptsTheExports() throws {
    let dir = try ExportPython.tempDir()
    let scene = ExportScenes.scatterAndMesh()
    let surface = ExportScenes.surface()
    let fig = try write(PlotlyExporter.figure(surface).json, dir, "surface.plotly.json")
    let fig2 = try write(PlotlyExporter.figure(scene).json, dir, "traj.plotly.json")
    let pts = try write(Object3DExporter.pointCloud(scene).json, dir, "points.pts.json")
    let lidar = try write(Object3DExporter.lidarScene(surface).json, dir, "lidar.pts.json")
    let glb = try write(GLBExporter.glb(surface).bytes, dir, "surface.glb")
    let html = try write(HTMLExporter.page(figureJSON: PlotlyExporter.figure(surface).json, title: "t"), dir, "surface.html")
    let env: [String: String?] = ["WANDB_MODE": "offline", "WANDB_DIR": dir.path, "WANDB_SILENT": "true"]
    let out = try ExportPython.runScript("scripts/wandb_upload_check.py", args: [fig, fig2, pts, lidar, glb, html], environment: env)
    #expect(out.contains("ok"), "\(out)")
    #expect(out.components(separatedBy: "logged ").count == 7)
    let np = """
      import json, sys, os, numpy as np, wandb
      a = np.array(json.load(open(sys.argv[1])), dtype=float)
      run = wandb.init(mode="offline", dir=os.environ["WANDB_DIR"], project="trainscape-export-check")
      run.log({"cloud": wandb.Object3D(a)})
      run.finish()
      print(a.shape)
      """
    let shape = try ExportPython.run(np, args: [pts], environment: env)
    #expect(shape.contains("(68, 6)"))
  }

  /// The real W&B files import and re-export into figures plotly accepts.
  @Test(.tags(.python)) func realFiguresReexportForPlotly() throws {
    let dir = try ExportPython.tempDir()
    var paths: [String] = []
    for f in try FileManager.default.contentsOfDirectory(atPath: ExportPython.fixtures.path) where f.hasSuffix(".plotly.json") {
      let scene = try FigureImporter.scene(path: ExportPython.fixtures.appendingPathComponent(f).path)
      paths.append(try write(PlotlyExporter.figure(scene).json, dir, f))
    }
    let out = try ExportPython.run(
      "import sys, plotly.io as pio\nfor p in sys.argv[1:]: print(len(pio.from_json(open(p).read(), skip_invalid=False).data))",
      args: paths)
    #expect(out.split(separator: "\n").count == paths.count)
  }
}
