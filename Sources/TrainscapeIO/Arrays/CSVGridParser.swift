/// Parses a CSV grid of numbers (see `GridReader.readCSV`).
enum CSVGridParser {
  /// The values row-major, with the grid's size.
  static func parse(_ bytes: [UInt8], file: String) throws -> (values: [Double], rows: Int, cols: Int) {
    var values: [Double] = []
    var cols = -1, firstDataLine = 0, rows = 0
    var sawLine = false
    var start = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
    var lineNumber = 1
    var fields: [(value: Double?, range: Range<Int>)] = []
    while start < bytes.count {
      var end = start
      while end < bytes.count, bytes[end] != 0x0A { end += 1 }
      defer {
        start = end + 1
        lineNumber += 1
      }
      var stop = end
      if stop > start, bytes[stop - 1] == 0x0D { stop -= 1 }
      let line = bytes[start..<stop]
      if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }
      split(line, into: &fields)
      let isFirst = !sawLine
      sawLine = true
      if let bad = fields.first(where: { $0.value == nil }) {
        if isFirst { continue }  // a header row of labels
        let text = String(decoding: bytes[bad.range].prefix(40), as: UTF8.self)
        throw ArrayFileError(
          file: file, offset: bad.range.lowerBound,
          message: "line \(lineNumber): expected a number, 'nan' or an empty field, found '\(text)'")
      }
      if cols < 0 {
        cols = fields.count
        firstDataLine = lineNumber
      } else if fields.count != cols {
        throw ArrayFileError(
          file: file, offset: start,
          message:
            "line \(lineNumber): expected \(cols) values as on line \(firstDataLine), found \(fields.count) (all rows of a grid must be the same length)")
      }
      values += fields.map { $0.value! }
      rows += 1
    }
    guard rows > 0 else {
      throw ArrayFileError(
        file: file, offset: nil,
        message: "no rows of numbers; expected a grid of comma- or whitespace-separated numbers")
    }
    return (values, rows, cols)
  }

  /// Splits one line (without its line end) into fields: at commas when the
  /// line has any, else at runs of spaces and tabs. Each field is its value
  /// (nil when not a number) and its byte range in the file.
  private static func split(
    _ line: ArraySlice<UInt8>, into fields: inout [(value: Double?, range: Range<Int>)]
  ) {
    fields.removeAll(keepingCapacity: true)
    let comma = line.contains(0x2C)
    var i = line.startIndex
    func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 }
    while i <= line.endIndex {
      if !comma {
        while i < line.endIndex, isSpace(line[i]) { i += 1 }
        if i == line.endIndex { break }
      }
      var j = i
      while j < line.endIndex, comma ? line[j] != 0x2C : !isSpace(line[j]) { j += 1 }
      // Trim spaces, then one pair of double quotes.
      var a = i, b = j
      while a < b, isSpace(line[a]) { a += 1 }
      while b > a, isSpace(line[b - 1]) { b -= 1 }
      if b - a >= 2, line[a] == 0x22, line[b - 1] == 0x22 {
        a += 1
        b -= 1
      }
      fields.append((number(line[a..<b]), a..<b))
      i = j + 1
      if !comma && j == line.endIndex { break }
    }
  }

  /// A field's value: empty and "nan" (any case) are NaN; nil when the field
  /// is not a number. Short fields are parsed without allocating.
  private static func number(_ field: ArraySlice<UInt8>) -> Double? {
    if field.isEmpty { return .nan }
    if field.count == 3, field[field.startIndex] | 0x20 == 0x6E, field[field.startIndex + 1] | 0x20 == 0x61,
      field[field.startIndex + 2] | 0x20 == 0x6E
    {
      return .nan
    }
    // Double(String) is locale-independent; strings of up to 15 UTF-8 bytes
    // are stored inline (no allocation).
    if field.count <= 15 { return Double(String(decoding: field, as: UTF8.self)) }
    return field.withUnsafeBufferPointer { p in
      Double(String(unsafeUninitializedCapacity: p.count) { _ = $0.initialize(from: p).1; return p.count })
    }
  }
}
