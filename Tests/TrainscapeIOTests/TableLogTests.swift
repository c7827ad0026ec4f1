import Foundation
import Testing
import TrainscapeCore
import TrainscapeTestSupport

@testable import TrainscapeIO

/// Table logs: the per-step tables training scripts print through loguru or `logging`.
@Suite(.tiered) struct TableLogTests {
  static let loguru = """
    2025-03-02 14:21:07.512 | INFO     | __main__:main:88 - argv: train.py arm=vanilla seed=3 --lr=1e-5 --batch-size 28 intervention=none --use-amp
    2025-03-02 14:21:07.600 | INFO     | __main__:main:90 - Loading model Qwen2.5-0.5B (bf16)
    2025-03-02 14:21:09.001 | INFO     | __main__:train:140 -   step    loss↓  hack_s?   hacks    gt_s  cos_pre_t
    2025-03-02 14:21:31.220 | INFO     | __main__:train:155 -      0   2.4113    0.000    0/28   0.143     0.0121
    2025-03-02 14:21:52.946 | INFO     | __main__:train:155 -     10  -2.5e-1   +0.125    7/28       -        nan
    2025-03-02 14:22:10.000 | WARNING  | __main__:train:160 - hack_s above 0 for the first time
    2025-03-02 14:22:12.000 | INFO     | __main__:train:155 -     20   2.3000        T   14/28       F       None
    2025-03-02 14:22:13.000 | INFO     | __main__:train:170 - Resuming from the last step
    2025-03-02 14:22:14.000 | INFO     | __main__:train:140 -   step  cos_pre_t  hacks  kl  loss↓  hack_s?   gt_s
    2025-03-02 14:22:15.000 | INFO     | __main__:train:155 -     30     0.3000   0/0  0.01  2.2  0.5  0.25
    2025-03-02 14:22:16.000 | SUCCESS  | __main__:main:200 - Training done

    """

  static func write(_ text: String, name: String = "run.log", in dir: URL? = nil) throws -> String {
    let d = try dir ?? TestPaths.temporaryDirectory("tablelog")
    let path = d.appendingPathComponent(name).path
    try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    return path
  }

  @Test func readsHeadersDecorationsFractionsAndMissingCells() throws {
    let path = try Self.write(Self.loguru, name: "vanilla_seed3.log")
    let r = try RunLoader.load(path: path)
    #expect(r.formats == [.tableLog])
    let run = try #require(r.runs.first)
    #expect(run.name == "vanilla_seed3")
    #expect(run.rows.map(\.step) == [0, 10, 20, 30])
    #expect(run.rows[0].values == ["loss": 2.4113, "hack_s": 0, "hacks": 0, "gt_s": 0.143, "cos_pre_t": 0.0121])
    // Signed floats, 7/28 = 0.25; '-' and 'nan' are missing.
    #expect(run.rows[1].values == ["loss": -0.25, "hack_s": 0.125, "hacks": 0.25])
    // T, F and None are missing too.
    #expect(run.rows[2].values == ["loss": 2.3, "hacks": 0.5])
    // A later header reorders the columns and adds 'kl': matched by name; 0/0 is missing.
    #expect(run.rows[3].values == ["cos_pre_t": 0.3, "kl": 0.01, "loss": 2.2, "hack_s": 0.5, "gt_s": 0.25])
    #expect(run.metricKeys == ["cos_pre_t", "gt_s", "hack_s", "hacks", "kl", "loss"])
    // argv: key=value, --flag=value, --flag value, a bare --flag; argparse's dashes.
    #expect(
      run.config == [
        "arm": "vanilla", "seed": 3, "lr": 1e-5, "batch_size": 28, "intervention": "none", "use_amp": true,
      ])
    #expect(r.warnings.isEmpty, "\(r.warnings)")
  }

  @Test func everyLoggingPrefixStyle() throws {
    let table = ["step loss↓ acc(%)", "1 0.5 7/28", "2 0.25 -"]
    let styles: [(String, (String) -> String)] = [
      ("print", { $0 }),
      ("logging bar", { "2025-03-02 14:21:07,512 | INFO | \($0)" }),
      ("logging bar padded", { "2025-03-02 14:21:07,512 |  DEBUG   | \($0)" }),
      ("basicConfig", { "INFO:__main__:\($0)" }),
      ("loguru", { "2025-03-02 14:21:07.512 | INFO     | __main__:<module>:12 - \($0)" }),
      ("loguru ansi", {
        "\u{1B}[32m2025-03-02 14:21:07.512\u{1B}[0m | \u{1B}[1mINFO    \u{1B}[0m | \u{1B}[36m__main__\u{1B}[0m:\u{1B}[36mtrain\u{1B}[0m:\u{1B}[36m3\u{1B}[0m - \u{1B}[1m\($0)\u{1B}[0m"
      }),
      ("pipe table", { "| " + $0.split(separator: " ").joined(separator: " | ") + " |" }),
    ]
    for (what, prefix) in styles {
      let path = try Self.write(table.map(prefix).joined(separator: "\n") + "\n")
      let run = try #require(try RunLoader.load(path: path).runs.first, "\(what)")
      #expect(run.rows.map(\.step) == [1, 2], "\(what)")
      #expect(run.rows.first?.values == ["loss": 0.5, "acc": 0.25], "\(what)")
      #expect(run.rows.last?.values == ["loss": 0.25], "\(what)")
    }
  }

  @Test func detectedByContentWithoutALogName() throws {
    let path = try Self.write(Self.loguru, name: "stdout")
    #expect(try RunLoader.detectFormat(path: path) == .tableLog)
    // A table far into a file is found when the format is given.
    let prose = String(repeating: "2025-03-02 14:21:07.512 | INFO | __main__:main:1 - downloading shard 1 of 9\n", count: 4000)
    let late = try Self.write(prose + "step loss\n1 2.5\n", name: "late.log")
    #expect(throws: IngestError.self) { try RunLoader.load(path: late) }
    let forced = try RunLoader.load(path: late, options: IngestOptions(format: .tableLog))
    #expect(forced.runs.first?.rows.map(\.step) == [1])
  }

  @Test func aFileThatIsNotATableIsSaidPlainly() throws {
    let path = try Self.write("Loading model\nDone in 3.2s\n", name: "train.log")
    do {
      _ = try RunLoader.load(path: path)
      Issue.record("expected an error")
    } catch let e as IngestError {
      #expect(e.description.hasPrefix("\(path): not a table log: no header line naming a step column"), "\(e)")
    }
    // A header without rows names the header.
    let noRows = try Self.write("step loss acc\nnothing yet\n", name: "empty.log")
    do {
      _ = try RunLoader.load(path: noRows, options: IngestOptions(format: .tableLog))
      Issue.record("expected an error")
    } catch let e as IngestError {
      #expect(e.description.contains("the header at line 1 (step, loss, acc) is followed by no row of 3 cells"), "\(e)")
    }
    // A directory of such logs: never a bare "no runs found".
    let dir = try TestPaths.temporaryDirectory("tablelog-dir")
    _ = try Self.write("Loading model\n", name: "debug.log", in: dir)
    _ = try Self.write("just text\n", name: "notes.txt", in: dir)
    do {
      _ = try RunLoader.load(path: dir.path)
      Issue.record("expected an error")
    } catch let e as IngestError {
      #expect(e.description.contains("no runs found: 2 log files are not a table log"), "\(e)")
    }
    // Beside a real table log they are skipped with a warning each.
    _ = try Self.write(Self.loguru, name: "vanilla_seed3.log", in: dir)
    let r = try RunLoader.load(path: dir.path)
    #expect(r.runs.map(\.name) == ["vanilla_seed3"])
    #expect(r.warnings.filter { $0.contains("not a table log") }.count == 2, "\(r.warnings)")
  }

  @Test func rowsThatFitNoHeaderAndBadCellsAreSaid() throws {
    var lines = ["step loss acc", "1 0.5 0.1", "2 0.4", "3 0.3 12.5%", "x 0.1 0.2", "4.5 0.1 0.2"]
    for s in 10..<20 { lines.append("\(s) 0.1") }  // ten more short rows: counted, not each said
    let path = try Self.write(lines.joined(separator: "\n") + "\n")
    let r = try RunLoader.load(path: path)
    let run = try #require(r.runs.first)
    #expect(run.rows.map(\.step) == [1, 3])
    #expect(run.rows[1].values == ["loss": 0.3])
    let w = r.warnings
    #expect(w.contains { $0.hasPrefix("\(path):3: a row of 2 cells, but the header at line 1 has 3 columns") }, "\(w)")
    #expect(w.contains { $0.hasPrefix("\(path):4: '12.5%' in column acc is not a number") }, "\(w)")
    #expect(w.contains { $0.hasPrefix("\(path):6: a row whose step cell '4.5' is not an integer step") }, "\(w)")
    #expect(w.contains { $0 == "\(path): 8 more rows skipped because their cell count fits no header (11 in all)" }, "\(w)")
    #expect(w.filter { $0.contains("a row of 2 cells") }.count == 3)
  }

  @Test func configFromArgvPresetAndNamespaceLines() throws {
    let text = """
      INFO:root:Namespace(arm='static erasure', seed=2, lr=0.0003, use_amp=True, tag=None)
      INFO:root:preset: rl_small kl_coef=0.02 +model.depth=12 data.path=/data/x
      INFO:root:warmup=100 schedule=cosine
      INFO:root:Saving to /tmp/out, eta=3h
      INFO:root:step loss
      INFO:root:1 2.0
      INFO:root:argv: train.py seed=2 --epochs=3
      INFO:root:2 1.5
      INFO:root:config: seed=5
      INFO:root:3 1.0
      """
    let path = try Self.write(text)
    let r = try RunLoader.load(path: path)
    let run = try #require(r.runs.first)
    #expect(
      run.config == [
        "arm": "static erasure", "seed": 5, "lr": 3e-4, "use_amp": true, "tag": "None", "kl_coef": 0.02,
        "model.depth": 12, "data.path": "/data/x", "warmup": 100, "schedule": "cosine", "epochs": 3,
      ])
    // A value that changes after the rows started is said.
    #expect(r.warnings == ["\(path):9: seed=5 after table rows (was 2); a table log is one run, so the later value is kept for the whole file"])
  }

  @Test func followsAGrowingTableLog() throws {
    let dir = try TestPaths.temporaryDirectory("tablelog-follow")
    let path = dir.appendingPathComponent("live.log").path
    let follower = try RunFollower(path: path, format: .tableLog)
    #expect(try follower.poll().isEmpty)
    #expect(FileManager.default.createFile(atPath: path, contents: nil))
    let h = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
    h.write(Data("argv: train.py arm=vanilla\n  step loss↓\n     0 2.5\n    10 2.".utf8))
    #expect(try follower.poll().map(\.step) == [0])
    h.write(Data("25\n    20 2.0\n".utf8))
    let rows = try follower.poll()
    #expect(rows.map(\.step) == [10, 20])
    #expect(rows.first?.values == ["loss": 2.25])
    #expect(follower.config == ["arm": "vanilla"])
    try h.close()
  }

  @Test func boundedReadKeepsTheLastRows() throws {
    var lines = ["step loss"]
    for s in 0..<500 { lines.append("\(s) \(Double(s) / 10)") }
    let path = try Self.write(lines.joined(separator: "\n") + "\n")
    let r = try RunLoader.load(path: path, options: IngestOptions(capacity: 50))
    #expect(r.runs.first?.rows.map(\.step) == Array(450..<500).map(Int64.init))
    #expect(r.dropped == 450)
  }

  @Test func theBundledExampleLogs() throws {
    let dir = TestPaths.packageRoot.appendingPathComponent("Assets/examples/dynamics").path
    let r = try RunLoader.load(path: dir)
    #expect(r.warnings.isEmpty, "\(r.warnings)")
    #expect(r.runs.count == 9)
    #expect(Set(r.formats) == [.tableLog])
    for run in r.runs {
      #expect(run.rows.count == 101, "\(run.name)")
      #expect(run.rows.first?.step == 0 && run.rows.last?.step == 1000)
      for k in ["loss", "hack_s", "hacks", "gt_s", "cos_pre_t", "cos_pre_s"] {
        #expect(run.metricKeys.contains(k), "\(run.name) lacks \(k)")
      }
      let arm = try #require(run.config["arm"]?.text)
      #expect(run.name == "\(arm)_seed\(try #require(run.config["seed"]?.text))")
      // gt_s is evaluated every 50 steps ('-' between).
      #expect(run.rows.filter { $0.values["gt_s"] != nil }.map(\.step) == stride(from: 0, through: 1000, by: 50).map(Int64.init))
      // hacks is a fraction of 28 rollouts.
      for row in run.rows { #expect(((row.values["hacks"] ?? .nan) * 28).rounded() == (row.values["hacks"] ?? .nan) * 28 || row.values["hacks"] == nil) }
    }
    let extra = try #require(r.runs.first { $0.name == "adaptive_erasure_seed2" })
    #expect(extra.rows.filter { $0.values["erase_rank"] != nil }.first?.step == 500)
    #expect(extra.rows.filter { $0.values["kl"] != nil }.count == 51)
    let klFromStart = try #require(r.runs.first { $0.name == "static_erasure_seed1" })
    #expect(klFromStart.rows.filter { $0.values["kl"] != nil }.count == 101)
  }
}
