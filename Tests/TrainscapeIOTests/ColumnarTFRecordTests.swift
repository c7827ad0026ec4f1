import Foundation
import Testing
import TrainscapeCore
import TrainscapeTestSupport

@testable import TrainscapeIO

/// The columnar event-file reader against the record-by-record decoder it replaces for whole
/// reads (`TFRecordChunkDecoder`, then `mergedByStep`): the same rows (every NaN, -0.0 and
/// missing key, steps given by several events), histograms, warnings and counted overwrites,
/// whatever the windows and chunks; and every file it does not take goes to that decoder.
@Suite(.tiered) struct ColumnarTFRecordTests {
  struct Outcome: Equatable, CustomStringConvertible {
    var table: MetricsTable
    var histograms: [String: [HistogramSample]]
    var warnings: [String]

    var description: String { "\(table.rowCount) rows x \(table.keyCount) keys, \(histograms.count) histogram tags, warnings \(warnings)" }
  }

  /// What `RunLoader` read before: every file record by record, rows merged by step.
  static func reference(_ paths: [String], warningsFile: String) throws -> Outcome {
    var rows: [MetricRow] = []
    var histograms: [String: [HistogramSample]] = [:]
    var warnings: [String] = []
    var overwrites = Overwrites()
    for f in paths {
      let sink = try FileAccess.decodeWhole(path: f, decoder: TFRecordChunkDecoder(file: f), skipBad: false)
      rows += sink.rows
      histograms.merge(sink.histograms) { $0 + $1 }
      warnings += sink.warnings
      overwrites.add(sink.overwrites)
    }
    rows = rows.mergedByStep(overwrites: &overwrites)
    return Outcome(table: MetricsTable(rows: rows), histograms: histograms.sortedBySteps(), warnings: warnings + overwrites.warnings(file: warningsFile))
  }

  static func columnar(_ paths: [String], warningsFile: String, windowBytes: Int, chunks: Int?) -> Outcome? {
    guard let sink = ColumnarTFRecord.read(paths: paths, windowBytes: windowBytes, chunks: chunks) else { return nil }
    return Outcome(
      table: sink.table ?? MetricsTable(), histograms: sink.histograms.sortedBySteps(),
      warnings: sink.warnings + sink.overwrites.warnings(file: warningsFile))
  }

  // MARK: - Writing event files

  static func value(_ tag: String, simple v: Float) -> Trainscape_Tensorboard_Summary.Value {
    var x = Trainscape_Tensorboard_Summary.Value()
    x.tag = tag
    x.simpleValue = v
    return x
  }

  /// A rank-0 float tensor, with the plugin named when `plugin` is given.
  static func value(_ tag: String, tensor v: Float, plugin: String?) -> Trainscape_Tensorboard_Summary.Value {
    var t = Trainscape_Tensorboard_TensorProto()
    t.dtype = 1
    t.floatVal = [v]
    t.tensorShape = Trainscape_Tensorboard_TensorShapeProto()
    var x = Trainscape_Tensorboard_Summary.Value()
    x.tag = tag
    x.tensor = t
    if let plugin {
      x.metadata.pluginData.pluginName = plugin
    }
    return x
  }

  /// A [k, 3] double tensor of (left, right, count) rows: tensorboard's histogram form.
  static func value(_ tag: String, histogramTensor k: Int, plugin: String?, rng: inout SplitMix64) -> Trainscape_Tensorboard_Summary.Value {
    var t = Trainscape_Tensorboard_TensorProto()
    t.dtype = 2
    var shape = Trainscape_Tensorboard_TensorShapeProto()
    var d0 = Trainscape_Tensorboard_TensorShapeProto.Dim()
    d0.size = Int64(k)
    var d1 = Trainscape_Tensorboard_TensorShapeProto.Dim()
    d1.size = 3
    shape.dim = [d0, d1]
    t.tensorShape = shape
    var left = rng.nextDouble()
    for _ in 0..<k {
      let right = left + rng.nextDouble()
      t.doubleVal += [left, right, Double(Int(rng.next() % 50))]
      left = right
    }
    var x = Trainscape_Tensorboard_Summary.Value()
    x.tag = tag
    x.tensor = t
    if let plugin { x.metadata.pluginData.pluginName = plugin }
    return x
  }

  /// A `histo` (HistogramProto, field 5, not in the generated proto) value, as bytes.
  static func histoValueBytes(_ tag: String, rng: inout SplitMix64) throws -> [UInt8] {
    var head = Trainscape_Tensorboard_Summary.Value()
    head.tag = tag
    var body: [UInt8] = []
    func double(_ field: UInt8, _ v: Double) {
      body.append(field << 3 | 1)
      withUnsafeBytes(of: v.bitPattern.littleEndian) { body += $0 }
    }
    let lo = -rng.nextDouble(), hi = rng.nextDouble()
    double(1, lo)
    double(2, hi)
    double(3, 10)
    double(4, 0)
    double(5, 3)
    for l in [lo, 0, hi] { double(6, l) }
    for c in [0.0, 4, 6] { double(7, c) }
    var out = try head.serializedBytes() as [UInt8]
    out.append(5 << 3 | 2)
    out.append(UInt8(body.count))
    return out + body
  }

  static func event(step: Int64, values: [[UInt8]]) throws -> [UInt8] {
    var e = Trainscape_Tensorboard_Event()
    e.step = step
    e.wallTime = 1.7e9 + Double(step)
    var out = try e.serializedBytes() as [UInt8]
    var summary: [UInt8] = []
    for v in values {
      summary.append(1 << 3 | 2)
      summary += varint(UInt64(v.count))
      summary += v
    }
    out.append(5 << 3 | 2)
    out += varint(UInt64(summary.count))
    return out + summary
  }

  static func varint(_ v: UInt64) -> [UInt8] {
    var v = v
    var out: [UInt8] = []
    while v >= 0x80 {
      out.append(UInt8(v & 0x7F) | 0x80)
      v >>= 7
    }
    out.append(UInt8(v))
    return out
  }

  /// A random event file: the writers' shapes mixed (one value per event, whole steps in one
  /// event, TF2 tensors whose plugin is named on a tag's first event only, histograms both
  /// ways), with steps given by several events, duplicate tags, NaN, infinities and -0.0.
  /// `sorted` keeps steps from going backwards (the columnar reader's case); `tf2Once` gives a
  /// TF2 tag at most once a step, as TF2 writes (else the columnar reader may hand it back).
  static func randomFile(_ rng: inout SplitMix64, sorted: Bool, tf2Once: Bool = true, from: Int64 = 0) throws -> [UInt8] {
    var out = FollowTortureTests.tfrecord(try { var e = Trainscape_Tensorboard_Event(); e.fileVersion = "brain.Event:2"; return try e.serializedBytes() as [UInt8] }())
    let tags = ["loss", "lr", "grad_norm/layer_0", "grad_norm/layer_1", "été/π", "eval/acc"]
    var named: Set<String> = []
    var step: Int64 = from + Int64(rng.next() % 5)
    var given: [String: Float] = [:]
    let special: [Float] = [.nan, .infinity, -.infinity, -0.0, 0, .leastNonzeroMagnitude]
    for _ in 0..<(20 + Int(rng.next() % 300)) {
      let r = rng.next() % 100
      if r < 25 {
        step += 1 + Int64(rng.next() % 3)
        given = [:]
      } else if r < 28 && !sorted {
        step -= Int64(rng.next() % 4)
        given = [:]
      }
      var values: [[UInt8]] = []
      var inEvent: [String: Float] = [:]
      for _ in 0..<(1 + Int(rng.next() % 4)) {
        let tag = tags[Int(rng.next() % UInt64(tags.count))]
        var v = rng.next() % 10 == 0 ? special[Int(rng.next() % UInt64(special.count))] : Float(rng.nextDouble())
        let kind = rng.next() % 12
        let key = kind == 1 || kind == 2 ? "tf2/" + tag : kind >= 5 ? tag : ""
        if !key.isEmpty {
          if kind <= 2 && tf2Once && (given[key] != nil || inEvent[key] != nil) { continue }
          // Often the same value again (not an overwrite), else a new one.
          if let old = inEvent[key] ?? given[key], rng.next() % 2 == 0 { v = old }
          inEvent[key] = v
        }
        switch kind {
        case 0:
          values.append(try value("text/" + tag, tensor: v, plugin: "text").serializedBytes())
        case 1, 2:
          // TF2: the plugin on the tag's first event only.
          values.append(try value(key, tensor: v, plugin: named.insert(key).inserted ? "scalars" : nil).serializedBytes())
        case 3:
          let t = "hist/" + tag
          values.append(try value(t, histogramTensor: 1 + Int(rng.next() % 4), plugin: named.insert(t).inserted ? "histograms" : nil, rng: &rng).serializedBytes())
        case 4:
          values.append(try histoValueBytes("histo/" + tag, rng: &rng))
        default:
          values.append(try value(tag, simple: v).serializedBytes())
        }
        if rng.next() % 6 != 0 { break }
      }
      given.merge(inEvent) { _, new in new }
      out += FollowTortureTests.tfrecord(try event(step: step, values: values))
    }
    return out
  }

  // MARK: - Tests

  /// Random files, every windowing and chunking: the same outcome as the reference, and the
  /// sorted ones are read by the columnar reader (not handed back).
  @Test func randomFilesEqualTheRecordDecoder() throws {
    let dir = try TestPaths.temporaryDirectory("columnar-tf")
    defer { try? FileManager.default.removeItem(at: dir) }
    var failures: [String] = []
    var fast = 0, tried = 0
    for trial in 0..<120 {
      var rng = SplitMix64(seed: 0x7F_0000 + UInt64(trial))
      let sorted = trial % 4 != 3
      let tf2Once = trial % 6 != 5
      var bytes = try Self.randomFile(&rng, sorted: sorted, tf2Once: tf2Once)
      if trial % 5 == 4 { bytes.removeLast(1 + Int(rng.next() % 30)) }  // a file being written
      let path = dir.appendingPathComponent("events.out.tfevents.\(trial)").path
      try Data(bytes).write(to: URL(fileURLWithPath: path))
      let want = try Self.reference([path], warningsFile: path)
      for (window, chunks) in [(64 << 20, nil), (1 << 20, 1), (64 << 20, 3), (200, 2), (1, 7), (700, 64)] as [(Int, Int?)] {
        tried += 1
        guard let got = Self.columnar([path], warningsFile: path, windowBytes: window, chunks: chunks) else {
          if sorted && tf2Once { failures.append("trial \(trial) window \(window) chunks \(chunks ?? 0): handed back") }
          continue
        }
        fast += 1
        if got != want { failures.append("trial \(trial) window \(window) chunks \(chunks ?? 0): \(got) != \(want)") }
      }
      // And through RunLoader, whichever reader takes it.
      let loaded = try RunLoader.load(path: path)
      if loaded.runs.first?.table != want.table { failures.append("trial \(trial): RunLoader's table differs") }
    }
    #expect(failures.isEmpty, "\(failures.prefix(5))")
    #expect(fast * 4 >= tried * 2, "only \(fast) of \(tried) reads were columnar")
  }

  /// The shipped event files (simple values; TF2 tensors) read the same both ways.
  @Test func fixturesEqualTheRecordDecoder() throws {
    for name in ["events.out.tfevents.scalar", "events.out.tfevents.tensor"] {
      let path = IngestFixtures.path(name)
      let want = try Self.reference([path], warningsFile: path)
      let got = try #require(Self.columnar([path], warningsFile: path, windowBytes: 64 << 20, chunks: nil))
      #expect(got == want, "\(name)")
      #expect(!got.table.isEmpty)
    }
  }

  /// A run directory of several event files (a resumed run): merged by step across files as
  /// the reference merges them; a later file whose steps go back is handed back.
  @Test func severalFilesMergeByStep() throws {
    let dir = try TestPaths.temporaryDirectory("columnar-tf-dir")
    defer { try? FileManager.default.removeItem(at: dir) }
    var rng = SplitMix64(seed: 42)
    let a = dir.appendingPathComponent("events.out.tfevents.1").path
    let b = dir.appendingPathComponent("events.out.tfevents.2").path
    var first = FollowTortureTests.tfrecord(try Self.event(step: 1, values: [try Self.value("loss", simple: 1).serializedBytes()]))
    first += FollowTortureTests.tfrecord(try Self.event(step: 5, values: [try Self.value("loss", simple: 2).serializedBytes()]))
    try Data(first).write(to: URL(fileURLWithPath: a))
    // The second file starts at the first one's last step and gives loss again, differently.
    var second = FollowTortureTests.tfrecord(try Self.event(step: 5, values: [try Self.value("loss", simple: 3).serializedBytes()]))
    second += try Self.randomFile(&rng, sorted: true, from: 6)
    try Data(second).write(to: URL(fileURLWithPath: b))
    let want = try Self.reference([a, b], warningsFile: dir.path)
    let got = try #require(Self.columnar([a, b], warningsFile: dir.path, windowBytes: 64 << 20, chunks: 3))
    #expect(got == want)
    #expect(got.warnings.contains { $0.contains("given again, differently") })
    // Through RunLoader, the directory is one run with those rows.
    let loaded = try RunLoader.load(path: dir.path)
    #expect(loaded.runs.map(\.table) == [want.table])
    // Files in the other order go back in steps: handed back to the reference.
    #expect(ColumnarTFRecord.read(paths: [b, a]) == nil)
  }

  /// Corrupt files are handed back, so errors, offsets and --skip-bad stay the reference's.
  @Test func corruptFilesAreHandedBack() throws {
    let dir = try TestPaths.temporaryDirectory("columnar-tf-bad")
    defer { try? FileManager.default.removeItem(at: dir) }
    var rng = SplitMix64(seed: 7)
    let good = try Self.randomFile(&rng, sorted: true)
    let path = dir.appendingPathComponent("events.out.tfevents.x").path
    for flip in [good.count / 3, good.count / 2, good.count - 3] {
      var bad = good
      bad[flip] ^= 0x40
      try Data(bad).write(to: URL(fileURLWithPath: path))
      #expect(ColumnarTFRecord.read(paths: [path]) == nil, "byte \(flip) flipped")
      let strict = #expect(throws: (any Error).self) { try RunLoader.load(path: path) }
      #expect("\(strict!)".contains("at byte"), "\(strict!)")
      let skipped = try RunLoader.load(path: path, options: IngestOptions(skipBad: true))
      #expect(skipped.skipped >= 1, "\(skipped.warnings)")
    }
  }
}
