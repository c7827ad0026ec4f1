import Foundation

/// A 2-D grid of values over x and y coordinates, such as a precomputed loss
/// surface (loss over two weight-space directions).
public struct LossGrid: Sendable, Equatable {
  /// Column coordinates, one per column.
  public var x: [Double]
  /// Row coordinates, one per row.
  public var y: [Double]
  /// `y.count` rows by `x.count` columns, row-major: `values[r * x.count + c]`
  /// is the value at (`x[c]`, `y[r]`). NaN where missing.
  public var values: [Double]
  /// The dataset name (HDF5) or the file name without its extension.
  public var name: String
  /// Cells that were -1 in a loss-landscape file: not computed yet (NaN in
  /// `values`).
  public var pendingCells: Int

  public init(x: [Double], y: [Double], values: [Double], name: String, pendingCells: Int = 0) {
    precondition(values.count == x.count * y.count, "values must be y.count x x.count")
    self.x = x
    self.y = y
    self.values = values
    self.name = name
    self.pendingCells = pendingCells
  }

  /// `n` evenly spaced values from `range.lowerBound` to `range.upperBound`
  /// (both included; one value is the lower bound), as `np.linspace`.
  public static func linspace(_ range: ClosedRange<Double>, count n: Int) -> [Double] {
    guard n > 1 else { return n == 1 ? [range.lowerBound] : [] }
    let lo = range.lowerBound, span = range.upperBound - range.lowerBound
    return (0..<n).map { $0 == n - 1 ? range.upperBound : lo + span * Double($0) / Double(n - 1) }
  }
}

extension LossGrid {
  /// The same grid with the roles of the axes swapped.
  public func transposed() -> LossGrid {
    var v = [Double](repeating: .nan, count: values.count)
    for r in 0..<y.count {
      for c in 0..<x.count { v[c * y.count + r] = values[r * x.count + c] }
    }
    // Values were laid out as rows of x; reading them as rows of y swaps x and y.
    return LossGrid(x: y, y: x, values: v, name: name, pendingCells: pendingCells)
  }
}

/// Reads precomputed 2-D grids: `.npy` arrays, CSV grids and
/// tomgoldstein/loss-landscape HDF5 surface files.
///
/// With a `budget` (`--max-memory`), a grid whose cells would need more than it to read and
/// draw (`bytesPerCell` each) is refused with the numbers before anything is allocated.
public enum GridReader {
  /// Peak memory per grid cell of reading and drawing a grid (`render loss-landscape`):
  /// the values read, the scene's surface, the renderer's vertex, normal and index buffers.
  /// Measured as the growth of peak RSS of `render loss-landscape` between 500x500, 1000x1000
  /// and 1500x1500 grids (about 400 to 450 bytes a cell): see docs/fuzzing.md ("Memory budget").
  public static let bytesPerCell = 450

  /// Throws `MemoryBudgetError` when a rows x cols grid is over `budget`.
  public static func check(rows: Int, cols: Int, budget: MemoryBudget?, path: String) throws {
    guard let budget else { return }
    try budget.check(
      MemoryBudget.product([rows, cols, bytesPerCell]),
      for: "a \(rows) x \(cols) grid (about \(bytesPerCell) bytes a cell to read and draw)", file: path)
  }

  /// The extensions of the files read as grids (any other file is a run).
  public static let extensions: Set<String> = ["npy", "csv", "tsv", "txt", "h5", "hdf5"]

  /// Whether `path` names a grid file by its extension.
  public static func isGrid(_ path: String) -> Bool {
    extensions.contains(URL(fileURLWithPath: path).pathExtension.lowercased())
  }

  /// The grid in `path`, read by its extension: `.npy`, `.h5`/`.hdf5` (`dataset`; the file's
  /// own coordinates), else CSV. `xRange`/`yRange` give the coordinates of the grid's columns
  /// and rows (default: their indices). With `transpose` the file's first axis is x (its rows
  /// are columns of the grid), and the ranges apply to the axes after the swap. With a
  /// `budget`, a grid over it is refused before it is read.
  public static func read(
    path: String, xRange: ClosedRange<Double>? = nil, yRange: ClosedRange<Double>? = nil,
    dataset: String = "train_loss", transpose: Bool = false, budget: MemoryBudget? = nil
  ) throws -> LossGrid {
    // Transposed, the file's rows are x: the reader's column range is our y range.
    let cols = transpose ? yRange : xRange
    let rows = transpose ? xRange : yRange
    let grid: LossGrid
    switch URL(fileURLWithPath: path).pathExtension.lowercased() {
    case "npy": grid = try readNPY(path: path, xRange: cols, yRange: rows, budget: budget)
    case "h5", "hdf5": grid = try readLossLandscapeH5(path: path, dataset: dataset, budget: budget)
    default: grid = try readCSV(path: path, xRange: cols, yRange: rows, budget: budget)
    }
    return transpose ? grid.transposed() : grid
  }

  /// A 2-D `.npy` array [rows, cols]. Coordinates are evenly spaced over the
  /// ranges, by default 0...cols-1 (x) and 0...rows-1 (y).
  public static func readNPY(
    path: String, xRange: ClosedRange<Double>? = nil, yRange: ClosedRange<Double>? = nil,
    budget: MemoryBudget? = nil
  ) throws -> LossGrid {
    let npy = try NPYFile.open(path: path)
    guard npy.header.shape.count == 2 else {
      throw ArrayFileError(
        file: path, offset: nil,
        message: "expected a 2-D array [rows, cols] for a grid, found shape \(NPYFile.describe(npy.header.shape))")
    }
    let rows = npy.header.shape[0], cols = npy.header.shape[1]
    try check(rows: rows, cols: cols, budget: budget, path: path)
    return try grid(
      values: npy.readAll(), rows: rows, cols: cols, xRange: xRange, yRange: yRange,
      path: path)
  }

  /// A CSV grid: one row of numbers per line, separated by commas (or, on
  /// lines without commas, by spaces and tabs). A first row holding any
  /// non-numeric label is a header and is skipped. `nan` (any case) and
  /// empty fields are NaN. Blank lines are skipped; a UTF-8 byte-order mark
  /// and CRLF line ends are accepted. Every row must have the same number
  /// of values. Coordinates as in `readNPY`.
  public static func readCSV(
    path: String, xRange: ClosedRange<Double>? = nil, yRange: ClosedRange<Double>? = nil,
    budget: MemoryBudget? = nil
  ) throws -> LossGrid {
    // A value takes at least 2 bytes of text ("1,"): at most size / 2 cells.
    let bytes = try RawFile.readAll(
      path, budget: budget, factor: 1 + bytesPerCell / 2, what: "a CSV grid (up to one cell per 2 bytes)")
    let (values, rows, cols) = try CSVGridParser.parse(bytes, file: path)
    return grid(values: values, rows: rows, cols: cols, xRange: xRange, yRange: yRange, path: path)
  }

  /// A loss-landscape surface file (tomgoldstein/loss-landscape
  /// `plot_surface.py`): 1-D `xcoordinates` and `ycoordinates` and one
  /// dataset per surface (`train_loss`, `train_acc`, `test_loss`, ...).
  ///
  /// Axis convention: `plot_surface.py` creates each surface with shape
  /// `(len(x), len(y))` but fills it through `losses.ravel()[ind]` at the
  /// coordinates `np.meshgrid(x, y)` gives flat index `ind`, and
  /// `plot_2D.py` / `h52vtp.py` plot it against `meshgrid(x, y)` (arrays of
  /// shape `(len(y), len(x))`). So the stored values, read flat, are y-major:
  /// flat index k is at (x[k % len(x)], y[k / len(x)]), which is exactly
  /// `LossGrid`'s layout, for square and non-square grids alike. The
  /// dataset's declared shape is not used beyond its element count.
  ///
  /// Cells equal to -1 (not computed yet) become NaN and are counted in
  /// `pendingCells`, so a surface still being computed can be shown (a file
  /// that plot_surface.py holds open is read without HDF5's file lock). A file
  /// without `ycoordinates` (a 1-D scan) gives one row at y = 0.
  public static func readLossLandscapeH5(path: String, dataset: String = "train_loss", budget: MemoryBudget? = nil)
    throws -> LossGrid
  {
    func fail(_ message: String) -> ArrayFileError {
      ArrayFileError(file: path, offset: nil, message: message)
    }
    // First the listing (shapes, before anything is allocated: the memory budget), then the
    // values, each in its own reader process (HDF5File).
    let listing = try HDF5File.read(path: path)
    let xShape = try listing.numericShape("xcoordinates")
    guard xShape.count == 1 else {
      throw fail("expected 'xcoordinates' to be 1-D, found shape \(NPYFile.describe(xShape))")
    }
    let hasY = listing.datasetNames().contains("ycoordinates")
    if hasY {
      let yShape = try listing.numericShape("ycoordinates")
      guard yShape.count == 1 else {
        throw fail("expected 'ycoordinates' to be 1-D, found shape \(NPYFile.describe(yShape))")
      }
    }
    let shape = try listing.numericShape(dataset)
    try check(rows: 1, cols: MemoryBudget.product(shape), budget: budget, path: path)
    let wanted = ["xcoordinates"] + (hasY ? ["ycoordinates"] : []) + [dataset]
    let h5 = try HDF5File.read(path: path, datasets: wanted)
    let x = try h5.doubles("xcoordinates").values
    let y = hasY ? try h5.doubles("ycoordinates").values : [0.0]
    let raw = try h5.doubles(dataset).values
    guard raw.count == x.count * y.count else {
      throw fail(
        "dataset '\(dataset)' has shape \(NPYFile.describe(shape)) (\(raw.count) values); expected len(xcoordinates) x len(ycoordinates) = \(x.count) x \(y.count) values")
    }
    var values = raw
    var pending = 0
    for i in values.indices where values[i] == -1 {
      values[i] = .nan
      pending += 1
    }
    return LossGrid(x: x, y: y, values: values, name: dataset, pendingCells: pending)
  }

  /// Whether the file starts with HDF5's signature (at byte 0, or at 512, 1024, 2048 after a
  /// user block), without opening it with HDF5.
  public static func isHDF5(path: String) -> Bool {
    let head = FileAccess.head(path, 2048 + 8)
    let signature: [UInt8] = [0x89, 0x48, 0x44, 0x46, 0x0D, 0x0A, 0x1A, 0x0A]
    return [0, 512, 1024, 2048].contains { at in head.count >= at + 8 && Array(head[at..<at + 8]) == signature }
  }

  /// What an HDF5 file holds, for `trainscape info`: every root object, and for a
  /// loss-landscape file (tomgoldstein/loss-landscape's `xcoordinates`, `ycoordinates` and one
  /// dataset per surface) the grid and each surface's finite range and cells not computed yet.
  public struct H5Description: Sendable {
    public struct Dataset: Sendable {
      public var name: String
      public var shape: [Int]
      public var type: String
      public var numeric: Bool
      /// The smallest and largest finite values, leaving out -1 cells of a surface.
      public var range: ClosedRange<Double>?
      /// For a surface of the grid: cells equal to -1 (not computed yet).
      public var pendingCells: Int?
      /// Whether it is a surface of the grid (len(xcoordinates) x len(ycoordinates) values).
      public var isSurface: Bool
    }
    public var datasets: [Dataset]
    /// Groups and other objects at the root (not read).
    public var others: [String]
    /// len(xcoordinates), len(ycoordinates) (1 without ycoordinates): a loss-landscape grid.
    public var grid: (x: Int, y: Int)?
    public var surfaces: [String] { datasets.filter(\.isSurface).map(\.name) }
  }

  /// Datasets `describeH5` reads for their ranges: at most 2^24 values (128 MiB; a
  /// 1500 x 1500 surface has 2.25 M).
  public static let describedElements = 1 << 24

  /// Describes an HDF5 file (see `H5Description`). Datasets of more than `describedElements`
  /// values are listed without their ranges.
  public static func describeH5(path: String) throws -> H5Description {
    let h5 = try HDF5File.read(path: path, allNumeric: true, limit: describedElements)
    let entries = h5.entries
    func length(_ name: String) -> Int? {
      for e in entries where e.name == name {
        if case .dataset(let shape, _, true) = e.kind, shape.count == 1 { return shape[0] }
      }
      return nil
    }
    var grid: (x: Int, y: Int)?
    if let nx = length("xcoordinates") { grid = (nx, length("ycoordinates") ?? 1) }
    var datasets: [H5Description.Dataset] = []
    var others: [String] = []
    for e in entries {
      guard case .dataset(let shape, let type, let numeric) = e.kind else {
        others.append(e.kind == .group ? "\(e.name)/ (group)" : e.name)
        continue
      }
      let count = shape.reduce(1, *)
      let coordinate = e.name == "xcoordinates" || e.name == "ycoordinates"
      let surface = numeric && !coordinate && grid.map { count == $0.x * $0.y } == true
      var d = H5Description.Dataset(
        name: e.name, shape: shape, type: type, numeric: numeric, range: nil, pendingCells: nil, isSurface: surface)
      if numeric, count <= describedElements, let (_, values) = try? h5.doubles(e.name) {
        var lo = Double.infinity, hi = -Double.infinity, pending = 0
        for v in values where v.isFinite {
          if surface && v == -1 {
            pending += 1
            continue
          }
          lo = Swift.min(lo, v)
          hi = Swift.max(hi, v)
        }
        if lo <= hi { d.range = lo...hi }
        if surface { d.pendingCells = pending }
      }
      datasets.append(d)
    }
    return H5Description(datasets: datasets, others: others, grid: grid)
  }

  /// The numeric datasets at the root of an HDF5 file, sorted by name (for a
  /// loss-landscape file: the coordinates and the surfaces).
  public static func datasets(inH5 path: String) throws -> [String] {
    try HDF5File.read(path: path).datasetNames()
  }

  private static func grid(
    values: [Double], rows: Int, cols: Int, xRange: ClosedRange<Double>?,
    yRange: ClosedRange<Double>?, path: String
  ) -> LossGrid {
    let x = LossGrid.linspace(xRange ?? 0...Double(max(0, cols - 1)), count: cols)
    let y = LossGrid.linspace(yRange ?? 0...Double(max(0, rows - 1)), count: rows)
    let name = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
    return LossGrid(x: x, y: y, values: values, name: name)
  }
}
