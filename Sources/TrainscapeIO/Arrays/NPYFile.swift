/// The header of a `.npy` file.
public struct NPYHeader: Sendable, Equatable {
  /// Dimensions, outermost first; empty for a 0-d (scalar) array.
  public var shape: [Int]
  /// numpy's type string, e.g. "<f4", ">i8", "|b1".
  public var descr: String
  /// True when the data is stored column-major (Fortran order).
  public var fortranOrder: Bool
  /// Byte offset of the first data byte.
  public var dataOffset: Int
  /// Bytes per element.
  public var itemSize: Int

  public init(shape: [Int], descr: String, fortranOrder: Bool, dataOffset: Int, itemSize: Int) {
    self.shape = shape
    self.descr = descr
    self.fortranOrder = fortranOrder
    self.dataOffset = dataOffset
    self.itemSize = itemSize
  }
}

/// A `.npy` file (format versions 1.0, 2.0 and 3.0), read lazily.
///
/// `open` reads and checks only the header, and checks that the file is long
/// enough for the shape (so no header value can cause an allocation larger
/// than the file). Data is read on demand with positioned reads:
/// `forEachRow` streams a 2-D selection in bounded memory, so a 4096 x 4096
/// float32 matrix, or one [batch, head] slice of a [B, H, Q, K] attention
/// array, never has to be in memory whole.
///
/// Element types: float16/32/64, int8/16/32/64, uint8/16/32/64 and bool, in
/// either byte order, C or Fortran order. Every value is returned as a
/// `Double` (int64 and uint64 beyond 2^53 are rounded to nearest; bool is 0
/// or 1).
///
/// Does not: read `.npz` archives, structured / complex / object / string
/// dtypes (an `ArrayFileError` says which was found), or memory-map files.
/// Bytes after the data are ignored, as `np.load` ignores them.
public struct NPYFile {
  public let path: String
  public let header: NPYHeader
  let dtype: NPYDType

  /// Number of elements (1 for a 0-d array).
  public var count: Int { header.shape.reduce(1, *) }

  /// Budget for one positioned read or block buffer, in bytes.
  static let blockBytes = 1 << 20

  /// Reads and checks the header of the file at `path`.
  public static func open(path: String) throws -> NPYFile {
    let file = try RawFile.open(path)
    defer { file.close() }
    let (header, dtype) = try NPYHeaderParser.read(file)
    return NPYFile(path: path, header: header, dtype: dtype)
  }

  /// All elements in C order (logical row-major: the last index varies
  /// fastest), whatever the storage order.
  public func readAll() throws -> [Double] {
    let n = count
    let shape = header.shape
    let file = try RawFile.open(path)
    defer { file.close() }
    var storage = [Double](repeating: 0, count: n)
    try storage.withUnsafeMutableBufferPointer { out in
      try readContiguous(file, fromElement: 0, count: n, into: out.baseAddress!)
    }
    guard header.fortranOrder, shape.count >= 2, n > 0 else { return storage }
    if shape.count == 2 { return Self.transposeColumnMajor(storage, rows: shape[0], cols: shape[1]) }
    // Storage is column-major: walk the C-order indices with an odometer,
    // keeping the matching Fortran-order position.
    var fortranStrides = [Int](repeating: 1, count: shape.count)
    for k in 1..<shape.count { fortranStrides[k] = fortranStrides[k - 1] * shape[k - 1] }
    var result = [Double](repeating: 0, count: n)
    let last = shape.count - 1
    let innerLength = shape[last], innerStride = fortranStrides[last]
    var index = [Int](repeating: 0, count: shape.count)
    var position = 0  // Fortran-order element index of `index` (inner index 0)
    var out = 0
    storage.withUnsafeBufferPointer { src in
      result.withUnsafeMutableBufferPointer { dst in
        while out < n {
          var p = position
          for _ in 0..<innerLength {
            dst[out] = src[p]
            out += 1
            p += innerStride
          }
          // Advance the outer indices.
          var k = last - 1
          while k >= 0 {
            index[k] += 1
            position += fortranStrides[k]
            if index[k] < shape[k] { break }
            position -= fortranStrides[k] * shape[k]
            index[k] = 0
            k -= 1
          }
        }
      }
    }
    return result
  }

  /// The 2-D matrix selected by fixing the leading indices (e.g. [batch,
  /// head] of a [B, H, Q, K] array), in row-major order.
  public func matrix(leadingIndices: [Int]) throws -> (rows: Int, cols: Int, values: [Double]) {
    let (rows, cols) = try matrixShape(leadingIndices)
    var values = [Double](repeating: 0, count: rows * cols)
    try values.withUnsafeMutableBufferPointer { out in
      try forEachRow(leadingIndices: leadingIndices) { r, row in
        guard cols > 0 else { return }
        (out.baseAddress! + r * cols).update(from: row.baseAddress!, count: cols)
      }
    }
    return (rows, cols, values)
  }

  /// Streams a 2-D selection row by row (bounded memory: one row buffer, and
  /// one block of at most about 8 MiB of rows for Fortran-order files), for
  /// thresholding huge attention matrices. `body` gets the row index and the
  /// row's values; the buffer is reused, so copy what you keep.
  public func forEachRow(
    leadingIndices: [Int], _ body: (Int, UnsafeBufferPointer<Double>) throws -> Void
  ) throws {
    let (rows, cols) = try matrixShape(leadingIndices)
    guard rows > 0 else { return }
    let shape = header.shape, itemSize = header.itemSize
    let file = try RawFile.open(path)
    defer { file.close() }

    if !header.fortranOrder {
      var base = 0, step = 1
      for k in stride(from: shape.count - 1, through: 0, by: -1) {
        if k < leadingIndices.count { base += leadingIndices[k] * step }
        step *= shape[k]
      }
      let rowBytes = cols * itemSize
      let rowsPerBlock = max(1, min(rows, Self.blockBytes / max(1, rowBytes)))
      let raw = UnsafeMutableRawBufferPointer.allocate(
        byteCount: max(1, rowsPerBlock * rowBytes), alignment: 16)
      defer { raw.deallocate() }
      let row = UnsafeMutableBufferPointer<Double>.allocate(capacity: max(1, cols))
      defer { row.deallocate() }
      var r0 = 0
      while r0 < rows {
        let n = min(rowsPerBlock, rows - r0)
        let block = UnsafeMutableRawBufferPointer(rebasing: raw[0..<(n * rowBytes)])
        try file.read(into: block, at: header.dataOffset + (base + r0 * cols) * itemSize)
        for i in 0..<n {
          dtype.convert(
            UnsafeRawPointer(raw.baseAddress!) + i * rowBytes, sourceStride: itemSize, count: cols,
            into: row.baseAddress!)
          try body(r0 + i, UnsafeBufferPointer(rebasing: row[0..<cols]))
        }
        r0 += n
      }
      return
    }

    // Fortran order: element (r, c) of the selection is at
    // base + r * lead + c * lead * rows, lead = product of the leading axes.
    var base = 0, lead = 1
    for k in 0..<leadingIndices.count {
      base += leadingIndices[k] * lead
      lead *= shape[k]
    }
    let blockRows = max(
      1,
      min(
        rows, (8 * Self.blockBytes) / max(1, cols * MemoryLayout<Double>.size),
        (Self.blockBytes / itemSize - 1) / lead + 1))
    let spanBytes = ((blockRows - 1) * lead + 1) * itemSize
    let raw = UnsafeMutableRawBufferPointer.allocate(byteCount: spanBytes, alignment: 16)
    defer { raw.deallocate() }
    let block = UnsafeMutableBufferPointer<Double>.allocate(capacity: max(1, blockRows * cols))
    defer { block.deallocate() }
    var r0 = 0
    while r0 < rows {
      let n = min(blockRows, rows - r0)
      let span = UnsafeMutableRawBufferPointer(rebasing: raw[0..<(((n - 1) * lead + 1) * itemSize)])
      for c in 0..<cols {
        let element = base + r0 * lead + c * lead * rows
        try file.read(into: span, at: header.dataOffset + element * itemSize)
        dtype.convert(
          UnsafeRawPointer(raw.baseAddress!), sourceStride: lead * itemSize, count: n,
          into: block.baseAddress! + c, destinationStride: cols)
      }
      for i in 0..<n {
        try body(r0 + i, UnsafeBufferPointer(rebasing: block[(i * cols)..<(i * cols + cols)]))
      }
      r0 += n
    }
  }

  // MARK: - Helpers

  /// Checks `leadingIndices` against the shape; returns the selection's size.
  func matrixShape(_ leadingIndices: [Int]) throws -> (rows: Int, cols: Int) {
    let shape = header.shape
    guard shape.count >= 2 else {
      throw ArrayFileError(
        file: path, offset: nil,
        message:
          "expected an array with at least 2 dimensions for a matrix selection, found shape \(Self.describe(shape))"
      )
    }
    guard leadingIndices.count == shape.count - 2 else {
      throw ArrayFileError(
        file: path, offset: nil,
        message:
          "expected \(shape.count - 2) leading indices for shape \(Self.describe(shape)), found \(leadingIndices.count)"
      )
    }
    for (k, i) in leadingIndices.enumerated() where i < 0 || i >= shape[k] {
      throw ArrayFileError(
        file: path, offset: nil,
        message:
          "leading index \(i) out of range for axis \(k) of length \(shape[k]) (shape \(Self.describe(shape)))"
      )
    }
    return (shape[shape.count - 2], shape[shape.count - 1])
  }

  /// Converts `count` stored elements from element `first` on, in blocks.
  private func readContiguous(
    _ file: RawFile, fromElement first: Int, count: Int, into out: UnsafeMutablePointer<Double>
  ) throws {
    let itemSize = header.itemSize
    let perBlock = max(1, Self.blockBytes / itemSize)
    let raw = UnsafeMutableRawBufferPointer.allocate(
      byteCount: min(max(1, count), perBlock) * itemSize, alignment: 16)
    defer { raw.deallocate() }
    var done = 0
    while done < count {
      let n = min(perBlock, count - done)
      try file.read(
        into: UnsafeMutableRawBufferPointer(rebasing: raw[0..<(n * itemSize)]),
        at: header.dataOffset + (first + done) * itemSize)
      dtype.convert(
        UnsafeRawPointer(raw.baseAddress!), sourceStride: itemSize, count: n, into: out + done)
      done += n
    }
  }

  /// Row-major copy of a column-major rows x cols matrix, in cache-sized
  /// tiles.
  static func transposeColumnMajor(_ source: [Double], rows: Int, cols: Int) -> [Double] {
    let tile = 64
    var result = [Double](repeating: 0, count: rows * cols)
    source.withUnsafeBufferPointer { src in
      result.withUnsafeMutableBufferPointer { dst in
        for c0 in stride(from: 0, to: cols, by: tile) {
          for r0 in stride(from: 0, to: rows, by: tile) {
            for r in r0..<min(r0 + tile, rows) {
              for c in c0..<min(c0 + tile, cols) { dst[r * cols + c] = src[c * rows + r] }
            }
          }
        }
      }
    }
    return result
  }

  /// "(2, 3)", "(5,)" or "()", as Python prints shapes.
  public static func describe(_ shape: [Int]) -> String {
    shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
  }
}
