import Foundation
import SwiftProtobuf
import TrainscapeCore

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Reads TensorBoard event files straight into columns, on all cores.
///
/// Each file is memory-mapped and read in windows (`ingestWindowBytes`). A cheap first pass walks
/// the window's TFRecord headers (length and its checksum) and finds every record's offset;
/// the records are then cut into chunks, and each chunk is decoded on its own core: the data
/// checksum, then the `Event` by a small wire-format scanner (no message objects; tags are
/// interned by their bytes), into the chunk's own `MetricsTable` whose rows are the chunk's
/// steps (events of one step merged, the later value winning). The chunks are merged in file
/// order: a step that spans two chunks is merged again, and the "plugin given only on a tag's
/// first event" state of `TFRecordChunkDecoder` is carried from chunk to chunk (a tensor value
/// whose plugin a chunk has not seen yet waits for the merge).
///
/// The result equals `TFRecordChunkDecoder` followed by `mergedByStep`: the same rows, the
/// same histograms, the same warnings and the same counted overwrites. Anything this reader
/// does not take as it is gives nil, and the caller reads the files with that decoder, which
/// has the exact error, offset and `--skip-bad` behaviour: a checksum that fails, a record
/// that is not a well-formed `Event`, a oneof given twice, rows whose steps go backwards
/// (they are sorted there), or a tensor value given twice for one step.
enum ColumnarTFRecord {
  /// The run held by `paths` (event files of one run, merged in this order), or nil when the
  /// reference decoder must read them.
  static func read(paths: [String], windowBytes: Int = ingestWindowBytes, chunks: Int? = nil) -> IngestSink? {
    var merger = Merger()
    for path in paths {
      merger.startFile()
      guard readFile(path, windowBytes: windowBytes, chunks: chunks, merger: &merger) else { return nil }
    }
    return merger.sink
  }

  /// Reads one file window by window into `merger`; false when the reference decoder must.
  private static func readFile(_ path: String, windowBytes: Int, chunks requested: Int?, merger: inout Merger) -> Bool {
    guard let fd = try? FileAccess.open(path) else { return false }
    defer { close(fd) }
    guard let id = FileAccess.identity(fd), id.size >= 12 else { return false }
    let mapped = FileAccess.withMapped(fd, size: Int(id.size)) { bytes, release in
      read(bytes, file: path, windowBytes: windowBytes, chunks: requested, merger: &merger, release)
    }
    return mapped ?? false
  }

  /// One file's bytes as a run (what `read(paths:)` gives for a file holding them), or nil when
  /// the reference decoder must read them: the fuzz harness's entry.
  static func read(bytes: UnsafeRawBufferPointer, file: String, windowBytes: Int, chunks: Int?) -> IngestSink? {
    var merger = Merger()
    guard bytes.count >= 12, read(bytes, file: file, windowBytes: windowBytes, chunks: chunks, merger: &merger, { _ in }) else { return nil }
    return merger.sink
  }

  /// Reads a file's bytes window by window into `merger`, calling `done` with the bytes
  /// finished after each window; false when the reference decoder must.
  private static func read(
    _ bytes: UnsafeRawBufferPointer, file path: String, windowBytes: Int, chunks requested: Int?,
    merger: inout Merger, _ done: (Int) -> Void
  ) -> Bool {
    let size = bytes.count
    if bytes.starts(with: TFRecordChunkDecoder.lfsPointer) { return false }
    let cores = ProcessInfo.processInfo.activeProcessorCount
    var start = 0
    var offsets: [Int] = []
    while start < size {
      // The first pass: the window's record offsets (headers checked).
      offsets.removeAll(keepingCapacity: true)
      var p = start
      var truncated = false
      while p < size && p - start < windowBytes {
        let rest = size - p
        if rest < 12 {
          merger.warnings.append(
            "\(path): at byte \(p): ignoring truncated last record (\(rest) of 12 header bytes; file still being written?)")
          truncated = true
          break
        }
        let length = bytes.loadUnaligned(fromByteOffset: p, as: UInt64.self).littleEndian
        let lengthCRC = bytes.loadUnaligned(fromByteOffset: p + 8, as: UInt32.self).littleEndian
        guard length <= UInt64(maxRecordBytes),
          CRC32C.maskedChecksum(UnsafeRawBufferPointer(rebasing: bytes[p..<(p + 8)])) == lengthCRC
        else { return false }
        let total = 16 + Int(length)
        if rest < total {
          merger.warnings.append(
            "\(path): at byte \(p): ignoring truncated last record (\(rest) of \(total) bytes; file still being written?)")
          truncated = true
          break
        }
        offsets.append(p)
        p += total
      }
      // The window ends after its last whole record (at the file's end after a truncated one).
      offsets.append(p)
      let stop = truncated ? size : p
      // The records, in chunks on all cores.
      let records = offsets.count - 1
      let want = requested ?? max(1, min(cores * 4, records / 4096))
      let count = max(1, min(want, records))
      var results = [Chunk?](repeating: nil, count: count)
      let src = SharedPointer(bytes.baseAddress!.assumingMemoryBound(to: UInt8.self))
      offsets.withUnsafeBufferPointer { o in
        let offs = SharedPointer(o.baseAddress!)
        results.withUnsafeMutableBufferPointer { r in
          let out = SharedPointer(r.baseAddress!)
          DataParallel.forEach(count) { c in
            let lo = records * c / count, hi = records * (c + 1) / count
            var chunk = Chunk()
            out[c] = chunk.decode(src.base, offsets: offs.base, lo..<hi) ? chunk : nil
          }
        }
      }
      for i in results.indices {
        guard let chunk = results[i], merger.add(chunk) else { return false }
        results[i] = nil
      }
      done(stop)
      start = stop
    }
    return true
  }

  /// One chunk of records decoded: rows merged by step, histograms in order, and what the
  /// merge must finish (the first row's events, tensor values waiting for their plugin).
  struct Chunk {
    var keys = Interner()
    /// The column of each key in `table`, -1 until a value is set.
    var column: [Int] = []
    var table = MetricsTable()
    /// The events of the first row, kept to count their overwrites against the row before.
    var firstRow: [(key: Int, value: Double, waiting: Bool)] = []
    var firstRowEventEnds: [Int] = []
    /// Histograms in the order read; `waiting` ones need the plugin "histograms".
    var histograms: [(key: Int, sample: HistogramSample, waiting: Bool)] = []
    /// Scalar tensor values whose plugin this chunk has not seen, by key: rows and values.
    var waiting: [Int: (rows: [Int], values: [Double])] = [:]
    /// Rows that only waiting values made.
    var onlyWaiting: Set<Int> = []
    /// Plugin names given in this chunk (the last per key).
    var plugins: [Int: String] = [:]
    var overwrites = Overwrites()
    // Per key: the last event that gave it (duplicates in one event), the last row of a
    // waiting value.
    private var eventOf: [Int] = []
    private var waitingRow: [Int] = []
    private var event: [(key: Int, value: Double, waiting: Bool)] = []
    private var events = 0

    /// The key read last, and the key that followed each key last time: writers give the
    /// tags in the same order every step, so the next key is usually predicted without hashing.
    private var lastKey = -1
    private var successor: [Int] = []
    private var firstKey = -1

    private mutating func key(_ p: UnsafePointer<UInt8>, _ n: Int) -> Int? {
      let predicted = lastKey >= 0 ? successor[lastKey] : firstKey
      let k: Int
      if predicted >= 0 && keys.matches(predicted, p, n) {
        k = predicted
      } else {
        guard let id = keys.id(p, n) else { return nil }
        k = id
        if k == column.count {
          column.append(-1)
          eventOf.append(-1)
          waitingRow.append(-1)
          successor.append(-1)
        }
        if lastKey >= 0 { successor[lastKey] = k } else { firstKey = k }
      }
      lastKey = k
      return k
    }

    /// Decodes records `range` (their offsets in `offsets`); false when one needs the
    /// reference decoder.
    mutating func decode(_ base: UnsafeMutablePointer<UInt8>, offsets: UnsafeMutablePointer<Int>, _ range: Range<Int>) -> Bool {
      for r in range {
        let at = offsets[r], length = offsets[r + 1] - at - 16
        let data = UnsafePointer(base + at + 12)
        let crc = UnsafeRawPointer(data + length).loadUnaligned(as: UInt32.self).littleEndian
        guard CRC32C.maskedChecksum(UnsafeRawBufferPointer(start: data, count: length)) == crc,
          decodeEvent(data, length, offset: at)
        else { return false }
      }
      return true
    }

    /// One `Event` (wall_time 1, step 2, file_version 3, graph_def 4, summary 5).
    private mutating func decodeEvent(_ p: UnsafePointer<UInt8>, _ n: Int, offset: Int) -> Bool {
      var r = WireReader(p, n)
      var step: Int64 = 0
      var whats = 0
      var summary: Range<Int>? = nil
      while !r.atEnd {
        guard let (field, wire) = r.tag() else { return false }
        switch (field, wire) {
        case (1, 1): guard r.skip(wire: 1) else { return false }
        case (2, 0):
          guard let v = r.varint() else { return false }
          step = Int64(bitPattern: v)
        case (3, 2):
          guard let s = r.lengthDelimited(), String(validating: UnsafeBufferPointer(start: p + s.lowerBound, count: s.count), as: UTF8.self) != nil
          else { return false }
          whats += 1
          summary = nil
        case (4, 2):
          guard r.lengthDelimited() != nil else { return false }
          whats += 1
          summary = nil
        case (5, 2):
          guard let s = r.lengthDelimited() else { return false }
          whats += 1
          summary = s
        case (1...5, _): return false
        default: guard r.skip(wire: wire) else { return false }
        }
      }
      guard whats <= 1 else { return false }
      guard let summary else { return true }
      events += 1
      currentOffset = offset
      event.removeAll(keepingCapacity: true)
      var s = WireReader(p + summary.lowerBound, summary.count)
      while !s.atEnd {
        guard let (field, wire) = s.tag() else { return false }
        if field == 1 {
          guard wire == 2, let v = s.lengthDelimited(),
            decodeValue(p + summary.lowerBound + v.lowerBound, v.count, step: step, offset: offset)
          else { return false }
        } else {
          guard s.skip(wire: wire) else { return false }
        }
      }
      return event.isEmpty ? true : addEvent(step: step)
    }

    /// One `Summary.Value` (tag 1, simple_value 2, histo 5, node_name 7, tensor 8, metadata 9).
    private mutating func decodeValue(_ p: UnsafePointer<UInt8>, _ n: Int, step: Int64, offset: Int) -> Bool {
      var r = WireReader(p, n)
      var tag: Range<Int>? = nil
      var simple: Float? = nil
      var tensor: Range<Int>? = nil
      var metadata: Range<Int>? = nil
      var kinds = 0, histos = 0
      while !r.atEnd {
        guard let (field, wire) = r.tag() else { return false }
        switch (field, wire) {
        case (1, 2):
          guard tag == nil, let t = r.lengthDelimited() else { return false }
          tag = t
        case (2, 5):
          guard let bits = r.fixed32() else { return false }
          simple = Float(bitPattern: bits)
          kinds += 1
        case (5, 2):
          guard r.lengthDelimited() != nil else { return false }
          histos += 1
        case (7, 2):
          guard let s = r.lengthDelimited(), String(validating: UnsafeBufferPointer(start: p + s.lowerBound, count: s.count), as: UTF8.self) != nil
          else { return false }
        case (8, 2):
          guard let t = r.lengthDelimited() else { return false }
          tensor = t
          kinds += 1
        case (9, 2):
          guard metadata == nil, let m = r.lengthDelimited() else { return false }
          metadata = m
        case (1, _), (2, _), (7, _), (8, _), (9, _): return false
        default: guard r.skip(wire: wire) else { return false }
        }
      }
      guard kinds <= 1 else { return false }
      let t = tag ?? 0..<0
      guard let k = key(p + t.lowerBound, t.count) else { return false }
      if let m = metadata {
        guard let md = try? Trainscape_Tensorboard_SummaryMetadata(serializedBytes: BorrowedBytes(UnsafeRawBufferPointer(start: p + m.lowerBound, count: m.count)), partial: true)
        else { return false }
        if md.hasPluginData, !md.pluginData.pluginName.isEmpty { plugins[k] = md.pluginData.pluginName }
      }
      if let simple {
        event.append((k, Double(simple), false))
        return true
      }
      if let tensor {
        guard let t = try? Trainscape_Tensorboard_TensorProto(serializedBytes: BorrowedBytes(UnsafeRawBufferPointer(start: p + tensor.lowerBound, count: tensor.count)), partial: true)
        else { return false }
        let plugin = plugins[k]
        if plugin == nil || plugin == "histograms", let h = TFRecordChunkDecoder.histogram(tensor: t, step: step) {
          histograms.append((k, h, plugin == nil))
        } else if plugin == nil || plugin == "scalars", let d = TFRecordChunkDecoder.scalar(t) {
          event.append((k, d, plugin == nil))
        }
        return true
      }
      if histos > 0,
        let h = TFRecordChunkDecoder.histogram(unknownFields: Data(bytes: p, count: n), step: step)
      {
        histograms.append((k, h, false))
      }
      return true
    }

    /// Adds the event's values (in `event`) as a new row or to the last row of its step.
    private mutating func addEvent(step: Int64) -> Bool {
      // A key given twice in one event: the later value wins, counted.
      var hasDuplicate = false
      for e in event {
        if eventOf[e.key] == events { hasDuplicate = true }
        eventOf[e.key] = events
      }
      if hasDuplicate {
        var kept: [(key: Int, value: Double, waiting: Bool)] = []
        for e in event {
          if let i = kept.firstIndex(where: { $0.key == e.key }) {
            if e.waiting || kept[i].waiting { return false }
            if Overwrites.differ(kept[i].value, e.value) {
              overwrites.add(.sameRecord, example: "the event at byte \(currentOffset), '\(keys.names[e.key])'")
            }
            kept[i].value = e.value
          } else {
            kept.append(e)
          }
        }
        event = kept
      }
      let newRow = table.steps.last.map { step > $0 } ?? true
      if !newRow && step < table.steps.last! { return false }
      if newRow {
        table.appendRow(step: step)
        if event.allSatisfy(\.waiting) { onlyWaiting.insert(table.rowCount - 1) }
      }
      let row = table.rowCount - 1
      if row == 0 {
        firstRow += event
        firstRowEventEnds.append(firstRow.count)
      }
      var changed = 0
      var first: String? = nil
      for e in event {
        if waitingRow[e.key] == row { return false }
        if e.waiting {
          if column[e.key] >= 0, table.value(column: column[e.key], row: row) != nil { return false }
          waitingRow[e.key] = row
          waiting[e.key, default: ([], [])].rows.append(row)
          waiting[e.key]!.values.append(e.value)
          continue
        }
        if column[e.key] < 0 { column[e.key] = table.intern(keys.names[e.key]) }
        if row > 0, !newRow, let old = table.value(column: column[e.key], row: row), Overwrites.differ(old, e.value) {
          changed += 1
          if first == nil || keys.names[e.key] < first! { first = keys.names[e.key] }
        }
        table.set(e.value, column: column[e.key])
        if !onlyWaiting.isEmpty { onlyWaiting.remove(row) }
      }
      if changed > 0 { overwrites.add(.sameStep, changed, example: "step \(step), '\(first!)'") }
      return true
    }

    private var currentOffset = 0
  }
}
