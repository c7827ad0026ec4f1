import Foundation
import TrainscapeCore

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Every parser of TrainscapeIO, from bytes: what the fuzz harness (`Fuzz/`, `scripts/fuzz.sh`)
/// drives, and what the tests run its seed corpora and every input it ever crashed on through.
///
/// An entry must never crash on any input: a parser error is an answer, not a failure. The
/// chunked ("stream") entries are also differential: the bytes decoded whole and decoded in two
/// pieces cut at a point chosen from the bytes must give the same rows, warnings, skips and
/// errors; a difference is returned as a description (the harness then traps, so libFuzzer
/// keeps the input).
package enum ParserEntryPoints {
  /// The entries by name, as `scripts/fuzz.sh TARGET` names them.
  package static let all: [(name: String, run: @Sendable ([UInt8]) -> String?)] = [
    ("jsonl-line", { jsonlLine($0) }),
    ("jsonl-stream", { stream($0, JSONLChunkDecoder(file: "fuzz.jsonl", lineLimit: 1 << 16)) }),
    ("csv", { csv($0) }),
    ("trainer-state", { trainerState($0) }),
    ("tfrecord", { tfrecord($0) }),
    ("tfrecord-crc", { tfrecord(fixTFRecordChecksums($0)) }),
    ("wandb", { stream($0, WandbChunkDecoder(file: "fuzz.wandb")) }),
    ("wandb-crc", { stream(fixWandbChecksums($0), WandbChunkDecoder(file: "fuzz.wandb")) }),
    ("npy", { npy($0) }),
    ("hdf5-grid", { hdf5Grid($0) }),
    ("plotly", { plotly($0) }),
    ("object3d", { object3d($0) }),
    ("csv-grid", { csvGrid($0) }),
    ("table-log", { stream($0, TableLogChunkDecoder(file: "fuzz.log")) }),
  ]

  package static func entry(_ name: String) -> (@Sendable ([UInt8]) -> String?)? {
    all.first { $0.name == name }?.run
  }

  // MARK: - Entries

  static func jsonlLine(_ bytes: [UInt8]) -> String? {
    _ = bytes.withUnsafeBufferPointer { try? JSONLineParser.parse($0) }
    return nil
  }

  static func trainerState(_ bytes: [UInt8]) -> String? {
    for skipBad in [false, true] {
      _ = try? TrainerStateReader.parse(bytes, file: "trainer_state.json", skipBad: skipBad, capacity: skipBad ? 3 : nil)
    }
    return nil
  }

  static func plotly(_ bytes: [UInt8]) -> String? {
    _ = try? PlotlyImporter.scene(fromJSON: bytes, file: "fuzz.plotly.json")
    _ = try? PlotlyImporter.scenes(fromJSON: bytes, file: "fuzz.plotly.json")
    return nil
  }

  static func object3d(_ bytes: [UInt8]) -> String? {
    _ = try? Object3DImporter.scene(fromJSON: bytes, file: "fuzz.pts.json")
    return nil
  }

  static func csvGrid(_ bytes: [UInt8]) -> String? {
    _ = try? CSVGridParser.parse(bytes, file: "fuzz.csv")
    return nil
  }

  /// A .npy file: the header, then its values through both readers (a small budget, so a
  /// header claiming gigabytes is refused, never allocated).
  static func npy(_ bytes: [UInt8]) -> String? {
    withTemporaryFile(bytes, suffix: ".npy") { path in
      let budget = MemoryBudget(bytes: 8 << 20)
      _ = try? GridReader.readNPY(path: path, budget: budget)
      guard let file = try? NPYFile.open(path: path), file.header.shape.count >= 2 else { return }
      let lead = Array(repeating: 0, count: file.header.shape.count - 2)
      let (rows, cols) = (file.header.shape[file.header.shape.count - 2], file.header.shape.last!)
      guard MemoryBudget.product([rows, cols, 8]) <= budget.bytes else { return }
      try? file.forEachRow(leadingIndices: lead) { _, _ in }
    }
    return nil
  }

  /// A loss-landscape HDF5 file (through libhdf5, which reads it; a small budget).
  static func hdf5Grid(_ bytes: [UInt8]) -> String? {
    withTemporaryFile(bytes, suffix: ".h5") { path in
      _ = try? GridReader.readLossLandscapeH5(path: path, budget: MemoryBudget(bytes: 8 << 20))
    }
    return nil
  }

  /// CSV metrics, whole and in two pieces.
  static func csv(_ bytes: [UInt8]) -> String? {
    func outcome(_ cut: Int?) -> String {
      var stream = FileStream(decoder: CSVChunkDecoder(file: "fuzz.csv", capacity: nil, recordLimit: 1 << 16))
      var sink = IngestSink(skipBad: true)
      var text = ""
      do {
        try feed(bytes, cut: cut, into: &stream, sink: &sink)
        var decoder = stream.decoder
        for run in decoder.runNames.isEmpty ? [""] : decoder.runNames {
          text += "run \(run): " + describe(decoder.finalRows(run)) + "\n"
        }
      } catch {
        text += "error: \(error)\n"
      }
      return text + describe(sink)
    }
    return compare(outcome(nil), outcome(cut(for: bytes)))
  }

  /// A chunk decoder's outcome on the bytes whole and cut in two, with and without skipBad.
  static func stream<D: ChunkDecoder>(_ bytes: [UInt8], _ decoder: D) -> String? {
    for skipBad in [false, true] {
      func outcome(_ cut: Int?) -> String {
        var stream = FileStream(decoder: decoder)
        var sink = IngestSink(skipBad: skipBad)
        var text = ""
        do {
          try feed(bytes, cut: cut, into: &stream, sink: &sink)
        } catch {
          text = "error: \(error)\n"
        }
        return text + describe(sink)
      }
      if let d = compare(outcome(nil), outcome(cut(for: bytes))) { return "skipBad \(skipBad): \(d)" }
    }
    return nil
  }

  /// An event file: streamed whole and in two pieces (`stream`), and read by the columnar
  /// reader in small windows and chunks, which must give the record decoder's rows,
  /// histograms and warnings wherever it does not hand the bytes back.
  static func tfrecord(_ bytes: [UInt8]) -> String? {
    if let d = stream(bytes, TFRecordChunkDecoder(file: "fuzz.tfevents")) { return d }
    let columnar = bytes.withUnsafeBytes { b in
      ColumnarTFRecord.read(bytes: b, file: "fuzz.tfevents", windowBytes: 1 + cut(for: bytes) % 512, chunks: 3)
    }
    guard let columnar else { return nil }
    var stream = FileStream(decoder: TFRecordChunkDecoder(file: "fuzz.tfevents"))
    var sink = IngestSink(skipBad: false)
    do {
      try feed(bytes, cut: nil, into: &stream, sink: &sink)
    } catch {
      return "the columnar reader read bytes that the record decoder rejects: \(error)"
    }
    var overwrites = sink.overwrites
    let rows = sink.rows.mergedByStep(overwrites: &overwrites)
    let want = (MetricsTable(rows: rows), sink.histograms.sortedBySteps(), sink.warnings + overwrites.warnings(file: "f"))
    let got = (columnar.table ?? MetricsTable(), columnar.histograms.sortedBySteps(), columnar.warnings + columnar.overwrites.warnings(file: "f"))
    if got.0 != want.0 { return "columnar rows differ: \(got.0.rows) != \(want.0.rows)" }
    if got.1 != want.1 { return "columnar histograms differ" }
    if got.2 != want.2 { return "columnar warnings differ: \(got.2) != \(want.2)" }
    return nil
  }

  // MARK: - Helpers

  static func feed<D: ChunkDecoder>(
    _ bytes: [UInt8], cut: Int?, into stream: inout FileStream<D>, sink: inout IngestSink
  ) throws {
    try bytes.withUnsafeBytes { all in
      let parts = cut.map { [0..<$0, $0..<all.count] } ?? [0..<all.count]
      for r in parts {
        try stream.feed(UnsafeRawBufferPointer(rebasing: all[r]), atEOF: false, into: &sink)
      }
      try stream.finish(into: &sink)
    }
  }

  /// Where to cut: a hash of the bytes, so every input has its own cut.
  static func cut(for bytes: [UInt8]) -> Int {
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    for b in bytes { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
    return Int(h % UInt64(bytes.count + 1))
  }

  static func compare(_ whole: String, _ pieces: String) -> String? {
    whole == pieces ? nil : "decoded whole:\n\(whole)\ndecoded in two pieces:\n\(pieces)"
  }

  static func describe(_ rows: [MetricRow]) -> String {
    rows.map { r in
      "\(r.step) " + r.values.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value.isNaN ? "nan" : String($0.value.bitPattern, radix: 16))" }.joined(separator: ",")
    }.joined(separator: "; ")
  }

  static func describe(_ sink: IngestSink) -> String {
    var s = sink
    let rows = s.finalRows(byStep: false)
    return "rows: \(describe(rows))\nwarnings: \(sink.warnings)\nskipped: \(sink.skipped)\nconfig: \(sink.config.sorted { $0.key < $1.key })\nhistograms: \(sink.histograms.keys.sorted()) \(sink.histograms.values.map(\.count).reduce(0, +))\nrun name: \(sink.runName ?? "-")\n"
  }

  /// Sets every TFRecord's length to what is left when it claims more, and both checksums to
  /// the right ones, so mutated bytes reach the Event decoder.
  package static func fixTFRecordChecksums(_ input: [UInt8]) -> [UInt8] {
    var b = input
    var p = 0
    while p + 16 <= b.count {
      var len = 0
      for i in 0..<8 { len |= Int(b[p + i]) << (8 * i) }
      let left = b.count - p - 16
      if len < 0 || len > left {
        len = left
        for i in 0..<8 { b[p + i] = UInt8(truncatingIfNeeded: len >> (8 * i)) }
      }
      let lenCRC = b[p..<(p + 8)].withUnsafeBytes { CRC32C.maskedChecksum($0) }
      for i in 0..<4 { b[p + 8 + i] = UInt8(truncatingIfNeeded: lenCRC >> (8 * UInt32(i))) }
      let dataCRC = b[(p + 12)..<(p + 12 + len)].withUnsafeBytes { CRC32C.maskedChecksum($0) }
      for i in 0..<4 { b[p + 12 + len + i] = UInt8(truncatingIfNeeded: dataCRC >> (8 * UInt32(i))) }
      p += 16 + len
    }
    return b
  }

  /// The W&B header, then every chunk's length cut to its block and what is left, and its CRC
  /// set, so mutated bytes reach the record decoder.
  package static func fixWandbChecksums(_ input: [UInt8]) -> [UInt8] {
    var b = input
    let header = WandbChunkDecoder.header
    for i in 0..<min(header.count, b.count) { b[i] = header[i] }
    var p = header.count
    let block = WandbChunkDecoder.blockSize
    while p + 7 <= b.count {
      let blockLeft = block - p % block
      if blockLeft < 7 {
        for i in p..<min(b.count, p + blockLeft) { b[i] = 0 }
        p += blockLeft
        continue
      }
      var len = Int(b[p + 4]) | Int(b[p + 5]) << 8
      len = min(len, blockLeft - 7, b.count - p - 7)
      b[p + 4] = UInt8(len & 0xFF)
      b[p + 5] = UInt8(len >> 8)
      let crc = b[(p + 6)..<(p + 7 + len)].withUnsafeBytes { CRC32.checksum($0) }
      for i in 0..<4 { b[p + i] = UInt8(truncatingIfNeeded: crc >> (8 * UInt32(i))) }
      p += 7 + len
    }
    return b
  }

  /// Writes `bytes` to a new temporary file, runs `body` on its path and removes it.
  static func withTemporaryFile(_ bytes: [UInt8], suffix: String, _ body: (String) -> Void) {
    var template = Array("\(NSTemporaryDirectory())/trainscape-fuzz-XXXXXX\(suffix)".utf8CString)
    let fd = template.withUnsafeMutableBufferPointer { mkstemps($0.baseAddress!, Int32(suffix.utf8.count)) }
    guard fd >= 0 else { return }
    let path = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    close(fd)
    defer { unlink(path) }
    body(path)
  }
}
