import Foundation
import SwiftProtobuf
import TrainscapeCore

/// W&B run logs (`run-<id>.wandb`): a 7-byte header (":W&B", 0xBEE1, 0),
/// then 32 KiB blocks of chunks (uint32 CRC-32 of type+payload, uint16
/// length, uint8 type FULL/FIRST/MIDDLE/LAST) that carry `Record` protobufs.
///
/// History records become rows (step = the `_step` item, else
/// `HistoryRecord.step.num`); items are keyed by their `nested_key` path
/// joined with "/" (`key` when there is no path); `_step`, `_runtime`,
/// `_timestamp` and media objects (any path holding a `_type` item) are not
/// metrics. Config (from the run record and config records) keeps numbers,
/// strings and booleans (nested objects flattened with ".", arrays and nulls left out). Only history, summary, config, run and exit records
/// are decoded at all: environment, system stats, console output and the
/// rest are recognised by their field number and skipped unread, so their
/// content (user names, hosts, paths) is never stored or printed.
///
/// Corruption: a chunk with a bad CRC, a chunk that crosses its block, a
/// chunk sequence out of order or an undecodable record is an error at its
/// byte offset; with skipBad the rest of the block is skipped (the next
/// block starts a fresh chunk) and the record counted.
struct WandbChunkDecoder: ChunkDecoder {
  static let blockSize = 32768
  static let header: [UInt8] = [0x3A, 0x57, 0x26, 0x42, 0xE1, 0xBE, 0x00]

  let file: String
  private var assembling: [UInt8]? = nil
  private var assemblyStart: Int64 = 0
  /// After a corrupt chunk: the file offset of the next block, where reading resumes.
  private var skipTo: Int64 = 0
  private(set) var records = 0

  init(file: String) { self.file = file }

  mutating func decode(
    _ bytes: UnsafeRawBufferPointer, base: Int64, atEOF: Bool, into sink: inout IngestSink
  ) throws -> Int {
    let n = bytes.count
    var p = 0
    if base == 0 {
      guard n >= 7 else {
        if atEOF {
          throw IngestError(
            file: file, offset: 0,
            message: n == 0 ? "empty file, expected a W&B run log (.wandb)" : "too short for a W&B run log header (\(n) of 7 bytes)")
        }
        return 0
      }
      guard bytes.prefix(7).elementsEqual(Self.header) else {
        if bytes.prefix(4).elementsEqual(Self.header.prefix(4)) {
          throw IngestError(file: file, offset: 4, message: "unsupported W&B log header magic/version (expected E1 BE 00)")
        }
        throw IngestError(file: file, offset: 0, message: "not a W&B run log: expected the header \":W&B\" E1 BE 00")
      }
      p = 7
    }
    while true {
      if skipTo > base + Int64(p) {
        guard skipTo <= base + Int64(n) else { return n }
        p = Int(skipTo - base)
      }
      let offset = base + Int64(p)
      let blockLeft = Self.blockSize - Int(offset % Int64(Self.blockSize))
      if blockLeft < 7 {
        // Zero padding at the end of a block.
        if n - p >= blockLeft {
          p += blockLeft
          continue
        }
        return atEOF ? n : p
      }
      guard n - p >= 7 else {
        if atEOF && p < n { truncated(at: offset, into: &sink) ; return n }
        return p
      }
      let crc = bytes.loadUnaligned(fromByteOffset: p, as: UInt32.self).littleEndian
      let len = Int(bytes.loadUnaligned(fromByteOffset: p + 4, as: UInt16.self).littleEndian)
      let type = bytes[p + 6]
      if crc == 0 && len == 0 && type == 0 {
        // The rest of this block is zero.
        if n - p >= blockLeft {
          p += blockLeft
          continue
        }
        return atEOF ? n : p
      }
      if 7 + len > blockLeft {
        try corrupt(at: offset, "chunk length \(len) runs past the end of its 32 KiB block", into: &sink)
        skipTo = offset + Int64(blockLeft)
        continue
      }
      guard n - p >= 7 + len else {
        if atEOF { truncated(at: offset, into: &sink); return n }
        return p
      }
      let body = UnsafeRawBufferPointer(rebasing: bytes[(p + 6)..<(p + 7 + len)])
      if CRC32.checksum(body) != crc {
        try corrupt(at: offset, "bad chunk checksum (expected CRC-32 of the type byte and payload)", into: &sink)
        skipTo = offset + Int64(blockLeft)
        continue
      }
      let payload = UnsafeRawBufferPointer(rebasing: bytes[(p + 7)..<(p + 7 + len)])
      switch type {
      case 1:  // FULL
        if assembling != nil {
          try corrupt(at: assemblyStart, "record started (FIRST) but never finished (LAST)", into: &sink, skipBlock: false)
          assembling = nil
        }
        try record(payload, at: offset, into: &sink)
      case 2:  // FIRST
        if assembling != nil {
          try corrupt(at: assemblyStart, "record started (FIRST) but never finished (LAST)", into: &sink, skipBlock: false)
        }
        assembling = Array(payload)
        assemblyStart = offset
      case 3, 4:  // MIDDLE, LAST
        guard assembling != nil else {
          try corrupt(at: offset, "\(type == 3 ? "MIDDLE" : "LAST") chunk without a FIRST chunk before it", into: &sink, skipBlock: false)
          break
        }
        if assembling!.count + len > maxRecordBytes {
          try corrupt(at: assemblyStart, "record longer than \(maxRecordBytes >> 20) MiB", into: &sink, skipBlock: false)
          assembling = nil
          break
        }
        assembling!.append(contentsOf: payload)
        if type == 4 {
          let whole = assembling!
          assembling = nil
          try whole.withUnsafeBytes { try record($0, at: assemblyStart, into: &sink) }
        }
      default:
        try corrupt(at: offset, "unknown chunk type \(type) (expected 1 FULL, 2 FIRST, 3 MIDDLE or 4 LAST)", into: &sink)
        skipTo = offset + Int64(blockLeft)
        continue
      }
      p += 7 + len
    }
  }

  private func truncated(at offset: Int64, into sink: inout IngestSink) {
    sink.warnings.append("\(file): at byte \(offset): ignoring truncated last chunk (file still being written?)")
  }

  private mutating func corrupt(
    at offset: Int64, _ message: String, into sink: inout IngestSink, skipBlock: Bool = true
  ) throws {
    try sink.bad(IngestError(file: file, offset: offset, message: message + (skipBlock && sink.skipBad ? "; skipping to the next block" : "")))
    if skipBlock { assembling = nil }
  }

  /// The top-level field numbers this reader decodes; any other record is skipped unread.
  static let wanted: Set<UInt64> = [2, 3, 5, 17, 18]

  private mutating func record(_ payload: UnsafeRawBufferPointer, at offset: Int64, into sink: inout IngestSink) throws {
    records += 1
    guard let kind = Self.recordKind(payload) else {
      try sink.bad(IngestError(file: file, offset: offset, message: "record is not a valid protobuf message"))
      return
    }
    guard Self.wanted.contains(kind) else { return }
    var options = BinaryDecodingOptions()
    options.discardUnknownFields = true
    let rec: Trainscape_Wandb_Record
    do {
      rec = try Trainscape_Wandb_Record(serializedBytes: BorrowedBytes(payload), partial: true, options: options)
    } catch {
      try sink.bad(IngestError(file: file, offset: offset, message: "record is not a valid W&B Record protobuf (\(error))"))
      return
    }
    switch rec.recordType {
    case .history(let h)?:
      if let row = Self.row(from: h, histograms: &sink.histograms, mediaKeys: &sink.mediaKeys, overwrites: &sink.overwrites) {
        sink.append(row)
      }
    case .config(let c)?:
      Self.applyConfig(c.update.map { ($0.key, $0.nestedKey, $0.valueJson) }, to: &sink.config)
      for r in c.remove { sink.config.removeValue(forKey: r.nestedKey.first ?? r.key) }
    case .run(let r)?:
      if r.hasConfig {
        Self.applyConfig(r.config.update.map { ($0.key, $0.nestedKey, $0.valueJson) }, to: &sink.config)
      }
      if !r.displayName.isEmpty { sink.runName = r.displayName } else if !r.runID.isEmpty, sink.runName == nil {
        sink.runName = r.runID
      }
    default:
      break
    }
  }

  /// The field number of the record's oneof member (the first top-level
  /// field other than num=1, uuid=19, control=16 and _info=200), or nil when
  /// the bytes are not a well-formed protobuf message. Only tags and lengths
  /// are read, never contents.
  static func recordKind(_ b: UnsafeRawBufferPointer) -> UInt64? {
    guard let base = b.baseAddress, b.count > 0 else { return 0 }
    var r = WireReader(base.assumingMemoryBound(to: UInt8.self), b.count)
    var kind: UInt64 = 0
    while !r.atEnd {
      guard let (field, wire) = r.rawTag(), field != 0, r.skip(wire: wire) else { return nil }
      if kind == 0, ![1, 16, 19, 200].contains(field) { kind = field }
    }
    return kind
  }

  static let notMetrics: Set<String> = ["_step", "_runtime", "_timestamp"]

  static func row(from h: Trainscape_Wandb_HistoryRecord) -> MetricRow? {
    var ignored: [String: [HistogramSample]] = [:]
    return row(from: h, histograms: &ignored)
  }

  /// The row of a history record; `wandb.Histogram` items (`{"_type": "histogram", "values":
  /// counts, "bins": edges}`, or `packedBins` {min, size, count}) go to `histograms`.
  static func row(from h: Trainscape_Wandb_HistoryRecord, histograms: inout [String: [HistogramSample]]) -> MetricRow? {
    var ignored: Set<String> = []
    var overwrites = Overwrites()
    return row(from: h, histograms: &histograms, mediaKeys: &ignored, overwrites: &overwrites)
  }

  /// The same, collecting the keys of media items (`wandb.Plotly`, `wandb.Object3D`, images,
  /// tables: any item with a `_type`) other than histograms into `mediaKeys`, and counting keys
  /// that flatten onto one name ("a/b" and {"a": {"b"}}) in `overwrites`.
  static func row(
    from h: Trainscape_Wandb_HistoryRecord, histograms: inout [String: [HistogramSample]], mediaKeys: inout Set<String>,
    overwrites: inout Overwrites
  ) -> MetricRow? {
    var values: [String: Double] = [:]
    var step: Int64 = h.step.num
    var media: Set<String> = []
    var histogramTags: Set<String> = []
    var histogramParts: [String: [String: String]] = [:]
    var entries: [([String], Double)] = []
    for item in h.item {
      let path = item.nestedKey.isEmpty ? [item.key] : item.nestedKey
      if path.count > 1, path.last == "_type" {
        let owner = path.dropLast().joined(separator: "/")
        media.insert(owner)
        if item.valueJson.contains("\"histogram\"") { histogramTags.insert(owner) }
        continue
      }
      if path.count > 1, ["values", "bins", "packedBins"].contains(path.last!) {
        histogramParts[path.dropLast().joined(separator: "/"), default: [:]][path.last!] = item.valueJson
      }
      let v: Double?
      switch item.value {
      case .boolean(let b)?: v = b ? 1 : 0
      case .integer(let i)?: v = Double(i)
      case .number(let d)?: v = d
      case .none?, .text?: v = nil
      case .json(let j)?: v = jsonNumber(j)
      case nil: v = jsonNumber(item.valueJson)
      }
      guard let v else { continue }
      if path.count == 1, path[0] == "_step" {
        if v == v.rounded(), abs(v) < 9.2e18 { step = Int64(v) }
        continue
      }
      if path.count == 1, notMetrics.contains(path[0]) { continue }
      entries.append((path, v))
    }
    for (path, v) in entries {
      if !media.isEmpty, (1..<path.count).contains(where: { media.contains(path[0..<$0].joined(separator: "/")) }) {
        continue
      }
      let key = path.joined(separator: "/")
      if let old = values.updateValue(v, forKey: key), Overwrites.differ(old, v) {
        overwrites.add(.sameRecord, example: "step \(step), '\(key)'")
      }
    }
    mediaKeys.formUnion(media.subtracting(histogramTags))
    for tag in histogramTags.sorted() {
      guard let parts = histogramParts[tag], let counts = doubles(parts["values"]) else { continue }
      var edges = doubles(parts["bins"]) ?? []
      if edges.isEmpty, let packed = parts["packedBins"], let o = try? JSONParser.parse(Array(packed.utf8), file: ""),
        let mn = o["min"]?.numeric, let size = o["size"]?.numeric, let n = o["count"]?.numeric, Int(n) == counts.count
      {
        edges = (0...counts.count).map { mn + Double($0) * size }
      }
      guard edges.count == counts.count + 1 else { continue }
      histograms[tag, default: []].append(HistogramSample(step: step, edges: edges, counts: counts))
    }
    return values.isEmpty ? nil : MetricRow(step: step, values: values)
  }

  /// Config values (numbers, strings, booleans); W&B's `{"value": x}` wrapping is unwrapped,
  /// and nested objects (`{"optimizer": {"lr": 0.001}}`) are flattened with "."
  /// (`optimizer.lr`). Arrays and nulls are not config values and are left out.
  static func applyConfig(_ items: [(String, [String], String)], to config: inout [String: ConfigValue]) {
    for (key, nested, json) in items {
      let path = nested.isEmpty ? [key] : nested
      guard let first = path.first, !first.hasPrefix("_") else { continue }
      let name = path.joined(separator: ".")
      let trimmed = json.trimmingCharacters(in: .whitespacesAndNewlines)
      if trimmed == "true" || trimmed == "false" {
        config[name] = .bool(trimmed == "true")
      } else if let d = jsonNumber(json) {
        config[name] = .number(d)
      } else if let v = try? JSONParser.parse(Array(json.utf8), file: "") {
        var value = v
        if case .object(let o) = v, o.keys == ["value"], let inner = o["value"] { value = inner }
        flatten(value, name, into: &config)
      }
    }
  }

  static func flatten(_ v: JSONValue, _ name: String, into config: inout [String: ConfigValue], depth: Int = 0) {
    switch v {
    case .number(let d): config[name] = .number(d)
    case .bool(let b): config[name] = .bool(b)
    case .string(let s): config[name] = .string(s)
    case .object(let o) where depth < 8:
      for (k, child) in o.members where !k.hasPrefix("_") { flatten(child, "\(name).\(k)", into: &config, depth: depth + 1) }
    default: break
    }
  }

  /// A JSON array of numbers.
  static func doubles(_ json: String?) -> [Double]? {
    guard let json, let v = try? JSONParser.parse(Array(json.utf8), file: ""), case .array(let a) = v else { return nil }
    let d = a.compactMap(\.numeric)
    return d.count == a.count ? d : nil
  }

  /// A JSON number (NaN, Infinity, -Infinity included) or boolean; nil for anything else.
  static func jsonNumber(_ text: String) -> Double? {
    var s = Substring(text)
    while let c = s.first, c == " " || c == "\n" || c == "\t" || c == "\r" { s.removeFirst() }
    while let c = s.last, c == " " || c == "\n" || c == "\t" || c == "\r" { s.removeLast() }
    switch s {
    case "NaN": return .nan
    case "Infinity": return .infinity
    case "-Infinity": return -.infinity
    case "true": return 1
    case "false": return 0
    default:
      guard let c = s.utf8.first, c == UInt8(ascii: "-") || (c >= 0x30 && c <= 0x39) else { return nil }
      guard s.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2D || $0 == 0x2B || $0 == 0x2E || $0 == 0x65 || $0 == 0x45 }) else { return nil }
      return Double(s)
    }
  }
}
