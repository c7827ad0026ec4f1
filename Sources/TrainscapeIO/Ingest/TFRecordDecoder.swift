import Foundation
import SwiftProtobuf
import TrainscapeCore

/// TensorBoard event files: TFRecord framing (both masked CRC-32C checked)
/// around `Event` protobufs. Each event with scalar summaries becomes one
/// row at `Event.step` (tags are the metric keys; `wall_time` is ignored).
/// Scalars are read from `simple_value` (float32) and from rank-0 float,
/// double, half, int or bool tensors whose plugin is "scalars" (the plugin
/// may be given only on a tag's first event, so it is remembered per tag).
///
/// Corruption: a bad length checksum, a length above 64 MiB, a bad data
/// checksum or an undecodable Event is an error at that byte offset; with
/// skipBad the reader skips it (a record with a good header but bad data is
/// skipped whole; after a bad header it scans forward, byte by byte, for the
/// next offset whose length checksum holds) and counts it. A bad first
/// record always fails: the file is not an event file.
struct TFRecordChunkDecoder: ChunkDecoder {
  let file: String
  private var pluginByTag: [String: String] = [:]
  /// Set while scanning for the next good header after a corrupt one.
  private var resyncFrom: Int64? = nil
  private(set) var records = 0

  init(file: String) { self.file = file }

  mutating func decode(
    _ bytes: UnsafeRawBufferPointer, base: Int64, atEOF: Bool, into sink: inout IngestSink
  ) throws -> Int {
    let n = bytes.count
    var p = 0
    if base == 0 && records == 0 && resyncFrom == nil {
      // The start of a Git LFS pointer: wait for enough bytes to tell (a chunk may end there).
      if !atEOF && n < Self.lfsPointer.count && Self.lfsPointer.starts(with: bytes) { return 0 }
      if let message = Self.rejectNonEventFile(bytes, atEOF: atEOF) {
        throw IngestError(file: file, message: message)
      }
    }
    while true {
      let offset = base + Int64(p)
      guard n - p >= 12 else {
        if atEOF && p < n {
          if resyncFrom != nil {
            resyncDone(at: base + Int64(n), into: &sink, found: false)
          } else {
            sink.warnings.append(
              "\(file): at byte \(offset): ignoring truncated last record (\(n - p) of 12 header bytes; file still being written?)")
          }
          return n
        }
        return p
      }
      let length = bytes.loadUnaligned(fromByteOffset: p, as: UInt64.self).littleEndian
      let lengthCRC = bytes.loadUnaligned(fromByteOffset: p + 8, as: UInt32.self).littleEndian
      let headerOK = CRC32C.maskedChecksum(UnsafeRawBufferPointer(rebasing: bytes[p..<(p + 8)])) == lengthCRC
      if !headerOK || length > UInt64(maxRecordBytes) {
        if resyncFrom != nil {
          p += 1
          continue
        }
        if offset == 0 {
          throw IngestError(
            file: file, offset: 0,
            message: "not a TensorBoard event file: the first record's length checksum does not match (expected TFRecord framing: uint64 length, masked CRC-32C)")
        }
        let why =
          headerOK
          ? "record length \(length) is over the \(maxRecordBytes >> 20) MiB limit"
          : "bad record length checksum (expected masked CRC-32C of the 8 length bytes)"
        try sink.bad(IngestError(file: file, offset: offset, message: why))
        resyncFrom = offset
        p += 1
        continue
      }
      let len = Int(length)
      guard n - p >= 12 + len + 4 else {
        if atEOF {
          if resyncFrom != nil {
            // A header that checks but whose data runs past the end: keep scanning.
            p += 1
            continue
          }
          sink.warnings.append(
            "\(file): at byte \(offset): ignoring truncated last record (\(n - p) of \(16 + len) bytes; file still being written?)")
          return n
        }
        return p
      }
      let data = UnsafeRawBufferPointer(rebasing: bytes[(p + 12)..<(p + 12 + len)])
      let dataCRC = bytes.loadUnaligned(fromByteOffset: p + 12 + len, as: UInt32.self).littleEndian
      if CRC32C.maskedChecksum(data) != dataCRC {
        if resyncFrom != nil {
          p += 1
          continue
        }
        try sink.bad(
          IngestError(
            file: file, offset: offset,
            message: "bad record data checksum (expected masked CRC-32C of the \(len) data bytes)"))
        p += 16 + len
        continue
      }
      if let from = resyncFrom {
        _ = from
        resyncDone(at: offset, into: &sink, found: true)
      }
      records += 1
      do {
        let event = try Trainscape_Tensorboard_Event(
          serializedBytes: BorrowedBytes(data), partial: true)
        if let row = row(from: event, histograms: &sink.histograms, overwrites: &sink.overwrites, offset: offset) {
          sink.append(row)
        }
      } catch {
        try sink.bad(
          IngestError(file: file, offset: offset, message: "record data is not a valid Event protobuf (\(error))"))
      }
      p += 16 + len
    }
  }

  private mutating func resyncDone(at offset: Int64, into sink: inout IngestSink, found: Bool) {
    guard let from = resyncFrom else { return }
    resyncFrom = nil
    sink.warnings.append(
      found
        ? "\(file): skipped \(offset - from) bytes from byte \(from) to the next good record at byte \(offset)"
        : "\(file): skipped \(offset - from) bytes from byte \(from) to the end of the file (no good record after it)")
  }

  /// A message when the start of a file shows it is not an event file.
  static let lfsPointer = Array("version https://git-lfs".utf8)

  static func rejectNonEventFile(_ bytes: UnsafeRawBufferPointer, atEOF: Bool) -> String? {
    let lfs = lfsPointer
    if bytes.count >= lfs.count, bytes.prefix(lfs.count).elementsEqual(lfs) {
      return "is a Git LFS pointer file, not a TensorBoard event file; fetch the real file with `git lfs pull`"
    }
    if atEOF && bytes.isEmpty { return "empty file, expected a TensorBoard event file" }
    return nil
  }

  /// Whether `head` starts with a TFRecord header whose length checksum holds.
  static func looksLikeTFRecord(_ head: [UInt8]) -> Bool {
    guard head.count >= 12 else { return false }
    return head.withUnsafeBytes { b in
      CRC32C.maskedChecksum(UnsafeRawBufferPointer(rebasing: b[0..<8]))
        == b.loadUnaligned(fromByteOffset: 8, as: UInt32.self).littleEndian
    }
  }

  private mutating func row(
    from event: Trainscape_Tensorboard_Event, histograms: inout [String: [HistogramSample]],
    overwrites: inout Overwrites, offset: Int64
  ) -> MetricRow? {
    guard case .summary(let summary)? = event.what else { return nil }
    var values: [String: Double] = [:]
    func set(_ tag: String, _ v: Double) {
      if let old = values.updateValue(v, forKey: tag), Overwrites.differ(old, v) {
        overwrites.add(.sameRecord, example: "the event at byte \(offset), '\(tag)'")
      }
    }
    for v in summary.value {
      if v.hasMetadata, v.metadata.hasPluginData, !v.metadata.pluginData.pluginName.isEmpty {
        if pluginByTag[v.tag] != v.metadata.pluginData.pluginName {
          pluginByTag[v.tag] = v.metadata.pluginData.pluginName
        }
      }
      switch v.value {
      case .simpleValue(let f)?:
        set(v.tag, Double(f))
      case .tensor(let t)?:
        if pluginByTag[v.tag] == "histograms", let h = Self.histogram(tensor: t, step: event.step) {
          histograms[v.tag, default: []].append(h)
          continue
        }
        guard pluginByTag[v.tag] == "scalars", let d = Self.scalar(t) else { continue }
        set(v.tag, d)
      case nil:
        // The `histo` HistogramProto (field 5) is not in our generated proto: read it from the
        // unknown fields.
        if let h = Self.histogram(unknownFields: v.unknownFields.data, step: event.step) {
          histograms[v.tag, default: []].append(h)
        }
        continue
      }
    }
    return values.isEmpty ? nil : MetricRow(step: event.step, values: values)
  }

  /// A `Summary.Value.histo` (field 5, a HistogramProto: min=1, max=2, num=3, sum=4,
  /// sum_squares=5 doubles; bucket_limit=6 and bucket=7 packed doubles) found in the value's
  /// unknown fields. Bucket i spans bucket_limit[i-1]...bucket_limit[i]; the first bucket starts
  /// at `min` (tensorboardX and torch write an empty first bucket whose limit is the left
  /// edge), and limits beyond +-1e300 (TensorFlow's default outer buckets) are clamped to
  /// min/max.
  static func histogram(unknownFields data: Data, step: Int64) -> HistogramSample? {
    guard !data.isEmpty else { return nil }
    let bytes = [UInt8](data)
    guard let body = ProtoScan.fields(bytes).first(where: { $0.field == 5 && $0.wire == 2 })?.bytes else { return nil }
    var mn = Double.nan, mx = Double.nan, sumSq: Double?, num = 0.0
    var limits: [Double] = [], counts: [Double] = []
    for f in ProtoScan.fields(body) {
      switch (f.field, f.wire) {
      case (1, 1): mn = f.double
      case (2, 1): mx = f.double
      case (3, 1): num = f.double
      case (5, 1): sumSq = f.double
      case (6, 1): limits.append(f.double)
      case (6, 2): limits += ProtoScan.packedDoubles(f.bytes)
      case (7, 1): counts.append(f.double)
      case (7, 2): counts += ProtoScan.packedDoubles(f.bytes)
      default: break
      }
    }
    guard !counts.isEmpty, counts.count == limits.count else { return nil }
    var edges = [Double](repeating: 0, count: counts.count + 1)
    let first = limits[0]
    edges[0] = counts[0] > 0 && mn.isFinite ? Swift.min(mn, first) : first
    for i in limits.indices { edges[i + 1] = limits[i] }
    for i in edges.indices where !(abs(edges[i]) < 1e300) {
      edges[i] = edges[i] < 0 ? (mn.isFinite ? mn : -1e300) : (mx.isFinite ? mx : 1e300)
    }
    if edges[0] > edges[1] { edges[0] = edges[1] }
    for i in 1..<edges.count where edges[i] < edges[i - 1] { edges[i] = edges[i - 1] }
    return HistogramSample(step: step, edges: edges, counts: counts, sumSquares: num > 0 ? sumSq : nil)
  }

  /// The tensor form of tensorboard's histogram plugin: a [k, 3] float or double tensor of
  /// (left edge, right edge, count) rows.
  static func histogram(tensor t: Trainscape_Tensorboard_TensorProto, step: Int64) -> HistogramSample? {
    let dims = t.tensorShape.dim.map { Int($0.size) }
    guard dims.count == 2, dims[1] == 3, dims[0] >= 1 else { return nil }
    var v: [Double] = []
    switch t.dtype {
    case 2:
      v = t.doubleVal.isEmpty ? ProtoScan.packedDoubles([UInt8](t.tensorContent)) : t.doubleVal
    case 1:
      if !t.floatVal.isEmpty {
        v = t.floatVal.map(Double.init)
      } else {
        let raw = [UInt8](t.tensorContent)
        v = stride(from: 0, to: raw.count - 3, by: 4).map { i in
          Double(Float(bitPattern: UInt32(raw[i]) | UInt32(raw[i + 1]) << 8 | UInt32(raw[i + 2]) << 16 | UInt32(raw[i + 3]) << 24))
        }
      }
    default: return nil
    }
    guard v.count == dims[0] * 3 else { return nil }
    var edges = [v[0]], counts: [Double] = []
    for r in 0..<dims[0] {
      edges.append(Swift.max(v[3 * r + 1], edges[edges.count - 1]))
      counts.append(v[3 * r + 2])
    }
    return HistogramSample(step: step, edges: edges, counts: counts)
  }

  /// The single value of a one-element numeric tensor.
  static func scalar(_ t: Trainscape_Tensorboard_TensorProto) -> Double? {
    if t.hasTensorShape, t.tensorShape.dim.reduce(1, { $0 * $1.size }) != 1 { return nil }
    let raw = t.tensorContent
    switch t.dtype {
    case 1:  // DT_FLOAT
      if let f = t.floatVal.first { return Double(f) }
      if raw.count == 4 { return Double(Float(bitPattern: raw.withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) }.littleEndian)) }
    case 2:  // DT_DOUBLE
      if let d = t.doubleVal.first { return d }
      if raw.count == 8 { return Double(bitPattern: raw.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }.littleEndian) }
    case 19:  // DT_HALF: bit patterns in half_val
      if let h = t.halfVal.first { return Double(halfToFloat(UInt16(truncatingIfNeeded: h))) }
      if raw.count == 2 { return Double(halfToFloat(raw.withUnsafeBytes { $0.loadUnaligned(as: UInt16.self) }.littleEndian)) }
    case 14:  // DT_BFLOAT16: upper half of a float32, in half_val
      if let h = t.halfVal.first { return Double(Float(bitPattern: UInt32(UInt16(truncatingIfNeeded: h)) << 16)) }
      if raw.count == 2 { return Double(Float(bitPattern: UInt32(raw.withUnsafeBytes { $0.loadUnaligned(as: UInt16.self) }.littleEndian) << 16)) }
    case 3:  // DT_INT32
      if let i = t.intVal.first { return Double(i) }
      if raw.count == 4 { return Double(Int32(bitPattern: raw.withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) }.littleEndian)) }
    case 9:  // DT_INT64
      if let i = t.int64Val.first { return Double(i) }
      if raw.count == 8 { return Double(Int64(bitPattern: raw.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }.littleEndian)) }
    case 10:  // DT_BOOL
      if let b = t.boolVal.first { return b ? 1 : 0 }
      if raw.count == 1 { return raw.first! != 0 ? 1 : 0 }
    default:
      return nil
    }
    return nil
  }

  static func halfToFloat(_ h: UInt16) -> Float {
    #if arch(arm64) || arch(x86_64)
      return Float(Float16(bitPattern: h))
    #else
      return .nan
    #endif
  }
}

/// Non-owning bytes handed to SwiftProtobuf's decoder, so decoding a record
/// does not copy it first. Only the reading requirements are used by
/// `init(serializedBytes:)`; the others build an owned copy.
struct BorrowedBytes: SwiftProtobufContiguousBytes {
  private var raw: UnsafeRawBufferPointer
  private var owned: [UInt8]?

  init(_ raw: UnsafeRawBufferPointer) {
    self.raw = raw
    owned = nil
  }

  init(repeating: UInt8, count: Int) {
    raw = UnsafeRawBufferPointer(start: nil, count: 0)
    owned = [UInt8](repeating: repeating, count: count)
  }

  init<S: Sequence>(_ sequence: S) where S.Element == UInt8 {
    raw = UnsafeRawBufferPointer(start: nil, count: 0)
    owned = Array(sequence)
  }

  var count: Int { owned?.count ?? raw.count }

  func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
    if let owned { return try owned.withUnsafeBytes(body) }
    return try body(raw)
  }

  mutating func withUnsafeMutableBytes<R>(_ body: (UnsafeMutableRawBufferPointer) throws -> R) rethrows -> R {
    if owned == nil { owned = Array(raw) }
    return try owned!.withUnsafeMutableBytes(body)
  }
}

/// A minimal protobuf wire-format scanner for the few fields our generated code lacks.
enum ProtoScan {
  struct Field {
    var field: UInt64
    var wire: UInt64
    var bytes: [UInt8]
    var double: Double {
      guard bytes.count == 8 else { return .nan }
      var u: UInt64 = 0
      for (i, b) in bytes.enumerated() { u |= UInt64(b) << (8 * UInt64(i)) }
      return Double(bitPattern: u)
    }
  }

  /// The top-level fields of a message (stops at the first malformed byte).
  static func fields(_ b: [UInt8]) -> [Field] {
    var out: [Field] = []
    b.withUnsafeBufferPointer { buf in
      guard let base = buf.baseAddress else { return }
      var r = WireReader(base, buf.count)
      while !r.atEnd {
        guard let (field, wire) = r.rawTag() else { return }
        let start = r.offset
        switch wire {
        case 0:
          guard let v = r.varint() else { return }
          out.append(Field(field: field, wire: 0, bytes: withUnsafeBytes(of: v.littleEndian) { Array($0) }))
        case 1, 5:
          guard r.skip(wire: wire) else { return }
          out.append(Field(field: field, wire: UInt64(wire), bytes: Array(buf[start..<r.offset])))
        case 2:
          guard let range = r.lengthDelimited() else { return }
          out.append(Field(field: field, wire: 2, bytes: Array(buf[range])))
        default:
          return
        }
      }
    }
    return out
  }

  static func packedDoubles(_ b: [UInt8]) -> [Double] {
    stride(from: 0, to: b.count - 7, by: 8).map { i in
      var u: UInt64 = 0
      for k in 0..<8 { u |= UInt64(b[i + k]) << (8 * UInt64(k)) }
      return Double(bitPattern: u)
    }
  }
}
