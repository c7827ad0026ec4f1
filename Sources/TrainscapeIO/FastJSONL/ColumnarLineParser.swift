import Foundation
import TrainscapeCore

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

extension ColumnarJSONL {
  /// The single-pass line parser. `parse` returns false (and leaves the table unchanged) for
  /// anything it does not accept as it is; the caller then asks `JSONLineParser`.
  struct LineParser {
    /// Interned flattened key paths of this chunk: bytes of each, and its column.
    private var keyBytes: [UInt8] = []
    private var keyOffsets: [Int] = [0]
    private var keyColumn: [Int] = []
    /// The line (counted by `parse`) on which each key id was last seen: finds a key twice.
    private var seenOnLine: [Int] = []
    private var line = 0
    private var lookup: [String: Int] = [:]
    /// The keys of the previous line in order (local ids), to predict this line's.
    private var previous: [Int] = []
    private var current: [Int] = []
    /// This line's values, committed when the line is accepted.
    private var pendingKey: [Int] = []
    private var pendingValue: [Double] = []
    private var pendingColumn: [Int] = []
    /// The key id found by prediction for the top-level key being read, or -1.
    private var predicted = -1
    private var path: [UInt8] = []
    /// The top-level key being read (byte range in the line), when its value is not an object.
    private var topKey: (Int, Int)? = nil

    private var p: UnsafePointer<UInt8> = UnsafePointer(bitPattern: 1)!
    private var n = 0
    private var i = 0
    private var depth = 0
    private var step: [(value: Double, integer: Int64?)?] = [nil, nil, nil]

    init() {}

    mutating func parse(_ p: UnsafePointer<UInt8>, _ n: Int, into table: inout MetricsTable) -> Bool {
      self.p = p
      self.n = n
      i = 0
      depth = 0
      step = [nil, nil, nil]
      pendingKey.removeAll(keepingCapacity: true)
      pendingValue.removeAll(keepingCapacity: true)
      current.removeAll(keepingCapacity: true)
      path.removeAll(keepingCapacity: true)
      skipWhitespace()
      guard i < n, p[i] == UInt8(ascii: "{") else { return false }
      guard object(top: true) else { return false }
      skipWhitespace()
      guard i == n else { return false }
      // Several step keys on one line: the reference parser decides which gives the step and
      // what becomes of the others.
      var stepKeysSeen = 0
      for s in step where s != nil { stepKeysSeen += 1 }
      if stepKeysSeen > 1 { return false }
      var rowStep: Int64? = nil
      for s in step {
        guard let s else { continue }
        if let v = s.integer {
          rowStep = v
        } else if s.value == s.value.rounded(), s.value >= -9.223372036854775808e18, s.value < 9.223372036854775808e18 {
          rowStep = Int64(s.value)
        } else {
          return false
        }
        break
      }
      guard let rowStep else { return false }
      // A key twice in the line (a duplicate, or nested keys that flatten to one name): the
      // reference parser keeps the last value and counts it.
      line &+= 1
      for id in pendingKey {
        if id >= seenOnLine.count { seenOnLine += [Int](repeating: -1, count: id - seenOnLine.count + 64) }
        if seenOnLine[id] == line { return false }
        seenOnLine[id] = line
      }
      pendingColumn.removeAll(keepingCapacity: true)
      for id in pendingKey {
        var col = keyColumn[id]
        if col < 0 {
          col = table.intern(String(decoding: key(id), as: UTF8.self))
          keyColumn[id] = col
        }
        pendingColumn.append(col)
      }
      pendingColumn.withUnsafeBufferPointer { c in
        pendingValue.withUnsafeBufferPointer { v in table.appendRow(step: rowStep, columns: c, values: v) }
      }
      swap(&previous, &current)
      return true
    }

    private func key(_ id: Int) -> ArraySlice<UInt8> { keyBytes[keyOffsets[id]..<keyOffsets[id + 1]] }

    /// The local id of the current key path: the top-level key in the line (`topKey`, not
    /// copied) or the flattened path of a nested one (`path`).
    private mutating func internPath() -> Int {
      if predicted >= 0 {
        current.append(predicted)
        return predicted
      }
      if let (s, e) = topKey { return intern(UnsafeBufferPointer(start: p + s, count: e - s)) }
      return path.withUnsafeBufferPointer { intern($0) }
    }

    private mutating func intern(_ k: UnsafeBufferPointer<UInt8>) -> Int {
      let pos = current.count
      if pos < previous.count {
        let id = previous[pos]
        let lo = keyOffsets[id], len = keyOffsets[id + 1] - lo
        if len == k.count {
          let same =
            len == 0
            || keyBytes.withUnsafeBufferPointer { b in memcmp(k.baseAddress!, b.baseAddress! + lo, len) == 0 }
          if same {
            current.append(id)
            return id
          }
        }
      }
      let text = String(decoding: k, as: UTF8.self)
      let id: Int
      if let known = lookup[text], key(known).elementsEqual(k) {
        id = known
      } else {
        id = keyColumn.count
        keyBytes.append(contentsOf: k)
        keyOffsets.append(keyBytes.count)
        keyColumn.append(-1)
        if lookup[text] == nil { lookup[text] = id }
      }
      current.append(id)
      return id
    }

    @inline(__always) private mutating func skipWhitespace() {
      while i < n {
        let c = p[i]
        guard c == 0x20 || c == 0x09 || c == 0x0D else { return }
        i += 1
      }
    }

    /// Parses an object at `p[i] == '{'`, flattening into `path`.
    private mutating func object(top: Bool) -> Bool {
      depth += 1
      if depth > 200 { return false }
      i += 1
      skipWhitespace()
      if i < n && p[i] == UInt8(ascii: "}") {
        i += 1
        depth -= 1
        return true
      }
      let base = path.count
      while true {
        guard i < n, p[i] == UInt8(ascii: "\"") else { return false }
        i += 1
        let ks = i
        // The key the previous line had here, compared in place: no byte-by-byte scan.
        var hit = -1
        if top && current.count < previous.count {
          let id = previous[current.count]
          let lo = keyOffsets[id], len = keyOffsets[id + 1] - lo
          if n - ks > len && p[ks + len] == UInt8(ascii: "\"")
            && (len == 0 || keyBytes.withUnsafeBufferPointer { memcmp($0.baseAddress! + lo, p + ks, len) == 0 })
          {
            hit = id
            i = ks + len
          }
        }
        if hit < 0 {
          while i < n {
            let c = p[i]
            if c == UInt8(ascii: "\"") { break }
            if c == UInt8(ascii: "\\") || c < 0x20 { return false }
            i += 1
          }
        }
        guard i < n else { return false }
        let ke = i
        i += 1
        skipWhitespace()
        guard i < n, p[i] == UInt8(ascii: ":") else { return false }
        i += 1
        skipWhitespace()
        guard i < n else { return false }
        if top, let which = stepKey(ks, ke) {
          if which >= 0 {
            guard stepValue(which) else { return false }
          } else {
            guard skipValue() else { return false }
          }
        } else if top && p[i] != UInt8(ascii: "{") {
          // A top-level value: the key is read where it is.
          topKey = (ks, ke)
          predicted = hit
          let ok = value()
          topKey = nil
          predicted = -1
          guard ok else { return false }
        } else {
          if !top { path.append(UInt8(ascii: "/")) }
          path.append(contentsOf: UnsafeBufferPointer(start: p + ks, count: ke - ks))
          guard value() else { return false }
          path.removeSubrange(base...)
        }
        skipWhitespace()
        guard i < n else { return false }
        if p[i] == UInt8(ascii: ",") {
          i += 1
          skipWhitespace()
          continue
        }
        if p[i] == UInt8(ascii: "}") {
          i += 1
          depth -= 1
          return true
        }
        return false
      }
    }

    /// The key's index in `JSONLineParser.stepKeys` (the reference parser's priority order);
    /// -1 for an ignored key; nil for a metric.
    @inline(__always)
    private func stepKey(_ s: Int, _ e: Int) -> Int? {
      let len = e - s
      guard len >= 4 && len <= 11 else { return nil }
      func eq(_ w: StaticString) -> Bool {
        w.utf8CodeUnitCount == len && memcmp(p + s, w.utf8Start, len) == 0
      }
      if eq("step") { return Self.stepIndex.step }
      if eq("_step") { return Self.stepIndex.underscore }
      if eq("global_step") { return Self.stepIndex.global }
      if eq("_timestamp") || eq("_runtime") { return -1 }
      return nil
    }

    private static let stepIndex = (
      step: JSONLineParser.stepKeys.firstIndex(of: "step")!,
      underscore: JSONLineParser.stepKeys.firstIndex(of: "_step")!,
      global: JSONLineParser.stepKeys.firstIndex(of: "global_step")!
    )

    private mutating func stepValue(_ which: Int) -> Bool {
      let c = p[i]
      if c == UInt8(ascii: "-") || c &- 0x30 < 10 {
        guard let s = FastFloat.scan(p, i, n) else { return false }
        i = s.end
        step[which] = (s.value, s.integer)
        return true
      }
      // NaN / Infinity are numbers too: not an integer step; let the reference parser say so.
      if c == UInt8(ascii: "N") || c == UInt8(ascii: "I") { return false }
      return skipValue()
    }

    private mutating func value() -> Bool {
      let c = p[i]
      switch c {
      case UInt8(ascii: "{"):
        return object(top: false)
      case UInt8(ascii: "t"):
        guard word("true") else { return false }
        add(1)
      case UInt8(ascii: "f"):
        guard word("false") else { return false }
        add(0)
      case UInt8(ascii: "N"):
        guard word("NaN") else { return false }
        add(.nan)
      case UInt8(ascii: "I"):
        guard word("Infinity") else { return false }
        add(.infinity)
      case UInt8(ascii: "-"):
        if i + 1 < n && p[i + 1] == UInt8(ascii: "I") {
          i += 1
          guard word("Infinity") else { return false }
          add(-.infinity)
          return true
        }
        fallthrough
      case UInt8(ascii: "0")...UInt8(ascii: "9"):
        guard let s = FastFloat.scan(p, i, n) else { return false }
        i = s.end
        add(s.value)
      default:
        return skipValue()
      }
      return true
    }

    @inline(__always) private mutating func add(_ v: Double) {
      pendingKey.append(internPath())
      pendingValue.append(v)
    }

    @inline(__always) private mutating func word(_ w: StaticString) -> Bool {
      let len = w.utf8CodeUnitCount
      guard i + len <= n, memcmp(p + i, w.utf8Start, len) == 0 else { return false }
      i += len
      return true
    }

    /// Validates and skips a string, array, null, or any value (no metric is taken).
    private mutating func skipValue() -> Bool {
      let c = p[i]
      switch c {
      case UInt8(ascii: "\""):
        i += 1
        while i < n {
          let d = p[i]
          if d == UInt8(ascii: "\"") {
            i += 1
            return true
          }
          if d < 0x20 { return false }
          if d == UInt8(ascii: "\\") {
            guard i + 1 < n else { return false }
            switch p[i + 1] {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"),
              UInt8(ascii: "f"), UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
              i += 2
            case UInt8(ascii: "u"):
              guard i + 6 <= n else { return false }
              for k in 2..<6 {
                let h = p[i + k]
                guard h &- 0x30 < 10 || (h | 0x20) &- 0x61 < 6 else { return false }
              }
              i += 6
            default:
              return false
            }
            continue
          }
          i += 1
        }
        return false
      case UInt8(ascii: "n"):
        return word("null")
      case UInt8(ascii: "t"):
        return word("true")
      case UInt8(ascii: "f"):
        return word("false")
      case UInt8(ascii: "["), UInt8(ascii: "{"):
        let close = c == UInt8(ascii: "[") ? UInt8(ascii: "]") : UInt8(ascii: "}")
        depth += 1
        if depth > 200 { return false }
        i += 1
        skipWhitespace()
        if i < n && p[i] == close {
          i += 1
          depth -= 1
          return true
        }
        while true {
          if close == UInt8(ascii: "}") {
            guard i < n, p[i] == UInt8(ascii: "\""), skipValue() else { return false }
            skipWhitespace()
            guard i < n, p[i] == UInt8(ascii: ":") else { return false }
            i += 1
            skipWhitespace()
          }
          guard i < n, skipValue() else { return false }
          skipWhitespace()
          guard i < n else { return false }
          if p[i] == UInt8(ascii: ",") {
            i += 1
            skipWhitespace()
            continue
          }
          if p[i] == close {
            i += 1
            depth -= 1
            return true
          }
          return false
        }
      default:
        if c == UInt8(ascii: "N") { return word("NaN") }
        if c == UInt8(ascii: "I") { return word("Infinity") }
        if c == UInt8(ascii: "-") && i + 1 < n && p[i + 1] == UInt8(ascii: "I") {
          i += 1
          return word("Infinity")
        }
        guard let s = FastFloat.scan(p, i, n) else { return false }
        i = s.end
        return true
      }
    }
  }
}
