import Dispatch
import Foundation
import TrainscapeCore

/// Number arrays in a Plotly figure: plain JSON arrays (2-D ones row by row, in parallel for
/// large grids) or plotly.js's base64 typed arrays.
extension PlotlyExporter.Context {
  func array(_ values: [Double], rows: Int? = nil, cols: Int? = nil, into w: inout JSONWriter) {
    if options.typedArrays {
      typed(values, rows: rows, cols: cols, into: &w)
    } else if let rows, let cols {
      PlotlyExporter.plain2D(values, rows: rows, cols: cols, into: &w)
    } else {
      w.numbers(values)
    }
  }

  func typed(_ values: [Double], rows: Int?, cols: Int?, into w: inout JSONWriter) {
    let f4 = (options.precision ?? 17) <= 7
    w.raw("{\"dtype\":")
    w.raw(f4 ? "\"f4\"" : "\"f8\"")
    w.raw(",\"bdata\":\"")
    if f4 {
      let floats = values.map { Float($0).bitPattern.littleEndian }
      floats.withUnsafeBytes { w.base64($0) }
    } else {
      let le = values.map { $0.bitPattern.littleEndian }
      le.withUnsafeBytes { w.base64($0) }
    }
    w.byte(UInt8(ascii: "\""))
    if let rows, let cols {
      w.raw(",\"shape\":\"")
      w.int(rows)
      w.raw(", ")
      w.int(cols)
      w.byte(UInt8(ascii: "\""))
    }
    w.byte(UInt8(ascii: "}"))
  }

  func intArray(_ values: [Int32], into w: inout JSONWriter) {
    if options.typedArrays {
      w.raw("{\"dtype\":\"i4\",\"bdata\":\"")
      values.map { $0.littleEndian }.withUnsafeBytes { w.base64($0) }
      w.raw("\"}")
    } else {
      w.ints(values)
    }
  }
}

extension PlotlyExporter {
  /// `[[row 0], [row 1], ...]`, rows written in parallel for large grids.
  static func plain2D(_ values: [Double], rows: Int, cols: Int, into w: inout JSONWriter) {
    let precision = w.precision
    @Sendable func writeRows(_ range: Range<Int>, _ out: inout JSONWriter) {
      values.withUnsafeBufferPointer { v in
        // Grid coordinates repeat (y is constant along a row): reuse the text of the previous
        // number when the value is bit-identical instead of formatting it again.
        var lastBits: UInt64 = 0, lastCount = -1
        var last: (UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0)
        for r in range {
          if r > 0 { out.byte(UInt8(ascii: ",")) }
          out.byte(UInt8(ascii: "["))
          let base = r * cols
          for c in 0..<cols {
            if c > 0 { out.byte(UInt8(ascii: ",")) }
            let x = v[base + c]
            if lastCount > 0 && x.bitPattern == lastBits {
              withUnsafeBytes(of: &last) { out.bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: $0.prefix(lastCount))) }
              continue
            }
            let start = out.bytes.count
            out.number(x)
            let n = out.bytes.count - start
            if n <= 40 {
              withUnsafeMutableBytes(of: &last) { dst in
                out.bytes.withUnsafeBufferPointer { src in
                  for k in 0..<n { dst[k] = src[start + k] }
                }
              }
              lastBits = x.bitPattern
              lastCount = n
            } else {
              lastCount = -1
            }
          }
          out.byte(UInt8(ascii: "]"))
        }
      }
    }
    w.byte(UInt8(ascii: "["))
    let workers = Swift.min(ProcessInfo.processInfo.activeProcessorCount, 8)
    if rows * cols < 200_000 || workers < 2 || rows < workers {
      writeRows(0..<rows, &w)
    } else {
      let chunks = workers * 4
      let per = (rows + chunks - 1) / chunks
      var parts = [[UInt8]](repeating: [], count: chunks)
      parts.withUnsafeMutableBufferPointer { buffer in
        let shared = SharedPointer(buffer.baseAddress!)
        DataParallel.forEach(chunks) { k in
          let lo = Swift.min(k * per, rows), hi = Swift.min(lo + per, rows)
          var out = JSONWriter(capacity: (hi - lo) * cols * 20, precision: precision)
          writeRows(lo..<hi, &out)
          shared[k] = out.bytes
        }
      }
      for part in parts { w.bytes.append(contentsOf: part) }
    }
    w.byte(UInt8(ascii: "]"))
  }

  /// Same values, NaN counted equal to NaN (bit patterns).
  static func sameBits(_ a: [Double], _ b: [Double]) -> Bool {
    guard a.count == b.count else { return false }
    for i in a.indices where a[i].bitPattern != b[i].bitPattern { return false }
    return true
  }
}
