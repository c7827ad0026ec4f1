import Foundation
import Testing
import TrainscapeTestSupport
import TrainscapeCore
import TrainscapeIO

/// The built `trainscape` binary (`TrainscapeCLI`), with the exit reason as `Process` names it.
struct CLI {
  static var binary: URL { TrainscapeCLI.binary }
  static var packageRoot: URL { TestPaths.packageRoot }
  static var example: String { TestPaths.example }

  struct Result {
    var status: Int32
    var reason: Process.TerminationReason
    var stdout: String
    var stderr: String
  }

  static func run(_ args: [String], environment: [String: String?] = [:]) throws -> Result {
    let r = try TrainscapeCLI.run(args, environment: environment)
    return Result(status: r.status, reason: r.exitedNormally ? .exit : .uncaughtSignal, stdout: r.stdout, stderr: r.stderr)
  }

  static func tempDir() throws -> URL { try TestPaths.temporaryDirectory("trainscape-cli") }
}

@Suite(.serialized, .tiered) struct CLITests {
  @Test(.tags(.egl)) func helpExplainsEveryOption() throws {
    let top = try CLI.run(["--help"])
    #expect(top.status == 0)
    for word in ["render", "doctor"] { #expect(top.stdout.contains(word)) }
    let help = try CLI.run(["render", "gradient-flow", "--help"])
    #expect(help.status == 0)
    for option in [
      "--family", "--log-z", "--normalize-layers", "--last", "--output", "--size", "--camera-eye",
      "--colormap", "--title", "--background", "--gpu", "--samples", "--force",
    ] {
      #expect(help.stdout.contains(option), "gradient-flow --help does not mention \(option)")
    }
    let loss = try CLI.run(["render", "loss-landscape", "--help"])
    for option in ["--loss-key", "--lr-key", "--window", "--log-lr", "--log-z"] {
      #expect(loss.stdout.contains(option), "loss-landscape --help does not mention \(option)")
    }
  }

  @Test(.tags(.egl)) func rendersTheExampleRunToA1280x720PNG() throws {
    let dir = try CLI.tempDir()
    let out = dir.appendingPathComponent("flow.png").path
    let r = try CLI.run(["render", "gradient-flow", CLI.example, "-o", out])
    #expect(r.status == 0, "stderr: \(r.stderr)")
    #expect(r.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == out)
    let image = try PNGCodec.read(path: out)
    #expect(image.width == 1280 && image.height == 720)
    #expect(image.distinctColors > 500)
    // No temporary file is left behind.
    let left = try FileManager.default.contentsOfDirectory(atPath: dir.path)
    #expect(left == ["flow.png"])
  }

  @Test(.tags(.egl)) func rendersAnyFamilyFromAnyJSONLRun() throws {
    let dir = try CLI.tempDir()
    var lines: [String] = []
    for step in stride(from: 0, to: 400, by: 10) {
      var row = ["\"_step\": \(step)", "\"loss\": \(3.0 - Double(step) / 400)", "\"learning_rate\": \(1e-3 * (1 - Double(step) / 500))"]
      for layer in 0..<12 { row.append("\"mlp_direct_loss.\(layer)\": \(Double(layer + 1) * exp(-Double(step) / 200))") }
      lines.append("{" + row.joined(separator: ", ") + "}")
    }
    let input = dir.appendingPathComponent("other run.jsonl").path
    try lines.joined(separator: "\n").appending("\n").write(toFile: input, atomically: true, encoding: .utf8)
    let flow = try CLI.run(["render", "gradient-flow", input, "--family", "mlp_direct_loss", "-o", dir.appendingPathComponent("a.png").path, "--size", "640x360"])
    #expect(flow.status == 0, "stderr: \(flow.stderr)")
    let loss = try CLI.run(["render", "loss-landscape", input, "-o", dir.appendingPathComponent("b.png").path, "--size", "640x360", "--colormap", "magma"])
    #expect(loss.status == 0, "stderr: \(loss.stderr)")
    #expect(try PNGCodec.read(path: dir.appendingPathComponent("b.png").path).width == 640)
  }

  @Test(.tags(.egl)) func neverOverwritesWithoutForce() throws {
    let dir = try CLI.tempDir()
    let out = dir.appendingPathComponent("flow.png").path
    try Data("keep me".utf8).write(to: URL(fileURLWithPath: out))
    let r = try CLI.run(["render", "gradient-flow", CLI.example, "-o", out, "--size", "320x240"])
    #expect(r.status != 0)
    #expect(r.stderr.contains("already exists") && r.stderr.contains("--force"))
    #expect(try String(contentsOfFile: out, encoding: .utf8) == "keep me")
    let forced = try CLI.run(["render", "gradient-flow", CLI.example, "-o", out, "--size", "320x240", "--force"])
    #expect(forced.status == 0, "stderr: \(forced.stderr)")
    #expect(try PNGCodec.read(path: out).width == 320)
  }

  @Test(.tags(.egl)) func badInputNamesTheFileAndLine() throws {
    let dir = try CLI.tempDir()
    let input = dir.appendingPathComponent("bad.jsonl").path
    try "{\"step\": 1, \"grad_norm/layer_0\": 1, \"grad_norm/layer_1\": 2}\n{\"step\": 2, \"grad_norm/layer_0\": 1,, }\n{\"step\": 3}\n"
      .write(toFile: input, atomically: true, encoding: .utf8)
    let r = try CLI.run(["render", "gradient-flow", input, "-o", dir.appendingPathComponent("x.png").path])
    #expect(r.status != 0)
    #expect(r.reason == .exit, "crashed instead of exiting")
    #expect(r.stderr.contains("bad.jsonl:2:"), "stderr: \(r.stderr)")
    #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("x.png").path))
  }

  @Test(.tags(.egl)) func missingMetricsAreExplained() throws {
    let dir = try CLI.tempDir()
    let input = dir.appendingPathComponent("plain.jsonl").path
    try (0..<100).map { "{\"step\": \($0), \"loss\": \(1.0 / Double($0 + 1))}" }.joined(separator: "\n")
      .write(toFile: input, atomically: true, encoding: .utf8)
    let flow = try CLI.run(["render", "gradient-flow", input, "-o", dir.appendingPathComponent("x.png").path])
    #expect(flow.status != 0)
    #expect(flow.stderr.contains("no per-layer metric family") && flow.stderr.contains("loss"))
    let loss = try CLI.run(["render", "loss-landscape", input, "-o", dir.appendingPathComponent("y.png").path])
    #expect(loss.status != 0)
    #expect(loss.stderr.contains("no learning-rate metric") && loss.stderr.contains("--lr-key"))
  }

  @Test(.tags(.egl)) func invalidOptionsAreRejectedWithUsage() throws {
    for (args, fragment) in [
      (["--size", "12"], "--size"), (["--camera-eye", "1,2"], "--camera-eye"),
      (["--colormap", "jetblack"], "unknown colour map"), (["--gpu", "x"], "--gpu"),
      (["--background", "blue"], "--background"),
    ] {
      let r = try CLI.run(["render", "gradient-flow", CLI.example] + args)
      #expect(r.status != 0)
      #expect(r.stderr.contains(fragment), "\(args): \(r.stderr)")
    }
  }

  /// A machine without any EGL vendor library: a clear error and a non-zero exit, not a crash.
  @Test(.tags(.egl)) func noEGLIsAClearErrorNotACrash() throws {
    let dir = try CLI.tempDir()
    let env: [String: String?] = ["__EGL_VENDOR_LIBRARY_FILENAMES": dir.appendingPathComponent("none.json").path]
    let r = try CLI.run(["render", "gradient-flow", CLI.example, "-o", dir.appendingPathComponent("x.png").path], environment: env)
    #expect(r.reason == .exit, "terminated by a signal")
    #expect(r.status == 1)
    #expect(r.stderr.contains("no usable EGL/OpenGL") && r.stderr.contains("trainscape doctor"))
    let doctor = try CLI.run(["doctor"], environment: env)
    #expect(doctor.reason == .exit)
    #expect(doctor.status == 1)
    #expect(doctor.stdout.contains("[--] headless surfaceless"))
  }

  /// GLFW is loaded when a window is opened, not linked: the binary needs no GLFW or X11
  /// library to start or to render, and `view` without GLFW says what to install.
  @Test(.tags(.egl)) func glfwIsLoadedOnlyForTheViewer() throws {
    let ldd = try Subprocess.run(URL(fileURLWithPath: "/usr/bin/ldd"), [CLI.binary.path])
    #expect(ldd.status == 0)
    for lib in ["libglfw", "libX11", "libxcb"] { #expect(!ldd.stdout.contains(lib), "trainscape links \(lib)") }
    let dir = try CLI.tempDir()
    let env: [String: String?] = ["TRAINSCAPE_GLFW_LIBRARY": dir.appendingPathComponent("libglfw.so.3").path, "DISPLAY": ":97"]
    let render = try CLI.run(["render", "gradient-flow", CLI.example, "--size", "320x240", "-o", dir.appendingPathComponent("x.png").path], environment: env)
    #expect(render.status == 0, "\(render.stderr)")
    let view = try CLI.run(["view", "gradient-flow", CLI.example, "--quit-after", "1"], environment: env)
    #expect(view.reason == .exit, "terminated by a signal")
    #expect(view.status != 0)
    #expect(view.stderr.contains("cannot load") && view.stderr.contains("apt-get install libglfw3"), "\(view.stderr)")
    let doctor = try CLI.run(["doctor"], environment: env)
    #expect(doctor.stdout.contains("cannot load"), "\(doctor.stdout)")
  }

  @Test(.tags(.egl)) func doctorListsBackendsAndTheSoftwareDevice() throws {
    let r = try CLI.run(["doctor"])
    #expect(r.status == 0)
    #expect(r.stdout.contains("[ok] headless surfaceless (Mesa)"))
    #expect(r.stdout.contains("EGL_MESA_device_software"))
    #expect(r.stdout.contains("OpenGL"))
  }

  @Test(.tags(.egl)) func transparentBackgroundWritesRGBA() throws {
    let dir = try CLI.tempDir()
    let out = dir.appendingPathComponent("t.png").path
    let r = try CLI.run(["render", "gradient-flow", CLI.example, "-o", out, "--size", "320x240", "--background", "transparent"])
    #expect(r.status == 0, "stderr: \(r.stderr)")
    let image = try PNGCodec.read(path: out)
    #expect(image[0, 0].a == 0)
    #expect(image.pixels.enumerated().contains { $0.offset % 4 == 3 && $0.element == 255 })
  }
}

extension RGBAImage {
  var distinctColors: Int {
    var set = Set<UInt32>()
    for i in 0..<(width * height) {
      set.insert(UInt32(pixels[i * 4]) << 16 | UInt32(pixels[i * 4 + 1]) << 8 | UInt32(pixels[i * 4 + 2]))
    }
    return set.count
  }
}

@Suite(.serialized, .tiered) struct CLIArrayTests {
  func python(_ script: String) throws { _ = try Python.run(script) }
  struct CLIArrayError: Error, CustomStringConvertible { var description: String; init(_ d: String) { description = d } }

  @Test(.tags(.egl)) func lossGridsFromNPYAndLossLandscapeH5() throws {
    let dir = try CLI.tempDir()
    try python("""
      import numpy as np, h5py
      x = np.linspace(-1, 1, 41); y = np.linspace(-0.5, 0.5, 21); X, Y = np.meshgrid(x, y)
      Z = X**2 + 3 * Y**2 + 0.5
      np.save('\(dir.path)/grid.npy', Z)
      Zp = Z.copy(); Zp.ravel()[-30:] = -1
      with h5py.File('\(dir.path)/surf.h5', 'w') as f:
          f['xcoordinates'] = x; f['ycoordinates'] = y; f['train_loss'] = Zp.reshape(len(x), len(y))
      """)
    let a = try CLI.run(["render", "loss-landscape", dir.path + "/grid.npy", "--x-range", "-1:1", "--y-range", "-0.5:0.5", "-o", dir.path + "/a.png", "--size", "480x320"])
    #expect(a.status == 0, "stderr: \(a.stderr)")
    let b = try CLI.run(["render", "loss-landscape", dir.path + "/surf.h5", "-o", dir.path + "/b.png", "--size", "480x320"])
    #expect(b.status == 0, "stderr: \(b.stderr)")
    #expect(b.stderr.contains("30 of 861 cells are not computed yet"))
    let c = try CLI.run(["render", "loss-landscape", dir.path + "/surf.h5", "--dataset", "test_loss", "-o", dir.path + "/c.png"])
    #expect(c.status != 0 && c.stderr.contains("train_loss"), "stderr: \(c.stderr)")
  }

  /// HDF5 is loaded on first use of an .h5 file, not linked: without it, .h5 input is a clear
  /// error that says what to install, and everything else still works.
  @Test(.tags(.egl)) func hdf5IsLoadedOnlyForH5Files() throws {
    let ldd = try Subprocess.run(URL(fileURLWithPath: "/usr/bin/ldd"), [CLI.binary.path])
    #expect(ldd.status == 0)
    for lib in ["libhdf5", "libcurl", "libOpenGL", "libGL.so"] { #expect(!ldd.stdout.contains(lib), "trainscape links \(lib)") }
    let dir = try CLI.tempDir()
    try python("""
      import numpy as np, h5py
      with h5py.File('\(dir.path)/surf.h5', 'w') as f:
          f['xcoordinates'] = np.linspace(-1, 1, 5); f['ycoordinates'] = np.linspace(-1, 1, 4)
          f['train_loss'] = np.arange(20.0).reshape(5, 4)
      """)
    let env: [String: String?] = ["TRAINSCAPE_HDF5_LIBRARY": dir.appendingPathComponent("libhdf5.so.103").path]
    let r = try CLI.run(["render", "loss-landscape", dir.path + "/surf.h5", "-o", dir.path + "/a.png"], environment: env)
    #expect(r.reason == .exit && r.status == 1)
    #expect(r.stderr.contains("surf.h5") && r.stderr.contains("cannot load HDF5") && r.stderr.contains("libhdf5-103-1"), "\(r.stderr)")
    #expect(!FileManager.default.fileExists(atPath: dir.path + "/a.png"))
    let other = try CLI.run(["render", "gradient-flow", CLI.example, "--size", "320x240", "-o", dir.path + "/b.png"], environment: env)
    #expect(other.status == 0, "\(other.stderr)")
  }

  @Test(.tags(.egl)) func attentionFromAFourDimensionalArray() throws {
    let dir = try CLI.tempDir()
    try python("""
      import numpy as np
      rng = np.random.default_rng(1)
      s = rng.normal(size=(2, 3, 64, 64)).astype(np.float32)
      a = np.exp(s) / np.exp(s).sum(-1, keepdims=True)
      np.save('\(dir.path)/attn.npy', a.astype(np.float16))
      """)
    let r = try CLI.run(["render", "attention", dir.path + "/attn.npy", "--batch", "1", "--head", "0,2", "-o", dir.path + "/a.png", "--size", "480x320"])
    #expect(r.status == 0, "stderr: \(r.stderr)")
    let bad = try CLI.run(["render", "attention", dir.path + "/attn.npy", "--head", "7", "-o", dir.path + "/b.png"])
    #expect(bad.status != 0 && bad.reason == .exit)
    #expect(bad.stderr.contains("attn.npy"), "stderr: \(bad.stderr)")
  }
}

extension CLIArrayTests {
  @Test(.tags(.egl)) func embeddingsWithPCAAndTSNEAndLabels() throws {
    let dir = try CLI.tempDir()
    try python("""
      import numpy as np
      rng = np.random.default_rng(2)
      np.save('\(dir.path)/traj.npy', np.cumsum(rng.normal(size=(30, 32)), axis=0))
      np.save('\(dir.path)/points.npy', rng.normal(size=(5, 12, 16)))
      open('\(dir.path)/labels.txt', 'w').write('\\n'.join(['a', 'b', 'c'] * 4) + '\\n')
      """)
    let a = try CLI.run(["render", "embedding", dir.path + "/traj.npy", "--method", "tsne", "--perplexity", "5", "--iterations", "300", "-o", dir.path + "/a.png", "--size", "480x320"])
    #expect(a.status == 0, "stderr: \(a.stderr)")
    let b = try CLI.run(["render", "embedding", dir.path + "/points.npy", "--labels", dir.path + "/labels.txt", "-o", dir.path + "/b.png", "--size", "480x320"])
    #expect(b.status == 0, "stderr: \(b.stderr)")
    let c = try CLI.run(["render", "embedding", dir.path + "/traj.npy", "--labels", dir.path + "/labels.txt", "-o", dir.path + "/c.png"])
    #expect(c.status != 0 && c.stderr.contains("labels"), "stderr: \(c.stderr)")
  }

  @Test(.tags(.egl)) func rewardLandscapeOfTheExampleRun() throws {
    let dir = try CLI.tempDir()
    let r = try CLI.run(["render", "reward-landscape", CLI.packageRoot.path + "/Assets/examples/rl_grpo.jsonl", "-o", dir.path + "/r.png", "--size", "480x320", "--interp", "cubic"])
    #expect(r.status == 0, "stderr: \(r.stderr)")
    #expect(r.stderr.contains("outside the trajectory's convex hull"))
  }

  @Test(.tags(.egl)) func sweepOfTheExampleRuns() throws {
    let dir = try CLI.tempDir()
    let sweep = try FileManager.default.contentsOfDirectory(atPath: CLI.packageRoot.path + "/Assets/examples/sweep")
      .filter { $0.hasSuffix(".jsonl") }.sorted().map { CLI.packageRoot.path + "/Assets/examples/sweep/" + $0 }
    #expect(sweep.count == 5)
    let r = try CLI.run(["render", "loss-landscape"] + sweep + ["-o", dir.path + "/s.png", "--size", "480x320", "--ema", "5"])
    #expect(r.status == 0, "stderr: \(r.stderr)")
    #expect(r.stderr.contains("sweep mode: 5 runs"))
  }
}
