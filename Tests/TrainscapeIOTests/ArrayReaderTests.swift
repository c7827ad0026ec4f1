import Foundation
import Testing
import TrainscapeTestSupport
import TrainscapeCore

@testable import TrainscapeIO

// MARK: - Helpers

private let packageRoot = URL(fileURLWithPath: #filePath)
  .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// A fresh temporary directory, removed by `cleanup`.
private func makeTempDir(_ tag: String) throws -> URL {
  let dir = FileManager.default.temporaryDirectory
    .appendingPathComponent("arrays-\(tag)-\(UUID().uuidString)")
  try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
  return dir
}

/// Runs a numpy script that writes the fixtures; throws (one line: run scripts/setup.sh) without
/// the venv.
private func runPython(_ script: String, _ args: [String]) throws {
  _ = try Python.run(script, args: args)
}

/// The ArrayFileError thrown by `body`, or nil.
func arrayError(_ body: () throws -> Void) -> ArrayFileError? {
  do {
    try body()
    return nil
  } catch let e as ArrayFileError {
    return e
  } catch {
    Issue.record("unexpected error \(error)")
    return nil
  }
}

private func sameBits(_ a: Double, _ b: Double) -> Bool {
  (a.isNaN && b.isNaN) || a.bitPattern == b.bitPattern
}

/// A version-1.0 `.npy` file: magic, header dict padded to 64 bytes, data.
private func npyBytes(header dict: String, data: [UInt8], version: UInt8 = 1) -> [UInt8] {
  var text = Array(dict.utf8)
  let prefix = version == 1 ? 10 : 12
  while (prefix + text.count + 1) % 64 != 0 { text.append(0x20) }
  text.append(0x0A)
  var out: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, version, 0]
  let n = text.count
  out += version == 1 ? [UInt8(n & 0xFF), UInt8(n >> 8)] : [UInt8(n & 0xFF), UInt8(n >> 8 & 0xFF), 0, 0]
  return out + text + data
}

private func write(_ bytes: [UInt8], _ dir: URL, _ name: String) throws -> String {
  let path = dir.appendingPathComponent(name).path
  try Data(bytes).write(to: URL(fileURLWithPath: path))
  return path
}

// MARK: - NPY

@Suite(.tiered) struct ArrayReaderTests {
  static let dtypeScript = #"""
    import numpy as np, sys, os
    out = sys.argv[1]
    rng = np.random.default_rng(7)
    lines = []
    def emit(name, a, version=None):
        path = os.path.join(out, name)
        if version is None:
            np.save(path, a)
        else:
            with open(path, "wb") as f:
                np.lib.format.write_array(f, a, version=version)
        exp = np.asarray(a).astype(np.float64).ravel(order="C")
        lines.append("\t".join([name, a.dtype.str, "1" if (a.ndim > 1 and np.isfortran(a)) else "0",
                                ",".join(str(s) for s in a.shape),
                                " ".join(float.hex(float(v)) for v in exp)]))
    shape = (3, 4, 5)
    for code in ["f2", "f4", "f8", "i1", "i2", "i4", "i8", "u1", "u2", "u4", "u8", "b1"]:
        dt = np.dtype(code)
        if dt.kind == "f":
            a = (rng.standard_normal(shape) * 10.0 ** rng.integers(-3, 4, shape)).astype(dt)
            a.flat[0] = np.nan; a.flat[1] = np.inf; a.flat[2] = -np.inf; a.flat[3] = -0.0
            a.flat[4] = np.finfo(dt).max; a.flat[5] = np.finfo(dt).smallest_subnormal
        elif dt.kind in "iu":
            info = np.iinfo(dt)
            a = rng.integers(info.min, info.max, shape, dtype=dt, endpoint=True)
            a.flat[0] = info.min; a.flat[1] = info.max
        else:
            a = rng.random(shape) < 0.5
        for endian in "<>":
            b = a.astype(dt.newbyteorder(endian)) if dt.itemsize > 1 else a
            for order in "CF":
                c = np.asfortranarray(b) if order == "F" else np.ascontiguousarray(b)
                emit("%s_%s_%s.npy" % (code, "le" if endian == "<" else "be", order), c)
    base = rng.standard_normal((6, 7)).astype(np.float32)
    emit("v2.npy", base, version=(2, 0))
    emit("v3.npy", np.asfortranarray(base.astype(">f8")), version=(3, 0))
    emit("scalar.npy", np.array(2.5))
    emit("empty.npy", np.zeros((0, 3), dtype=np.int16))
    emit("vector.npy", np.arange(10, dtype=np.uint16))
    with open(os.path.join(out, "expected.tsv"), "w") as f:
        f.write("\n".join(lines) + "\n")
    """#

  /// Every dtype, both byte orders, C and Fortran order, header versions
  /// 1.0, 2.0 and 3.0: read back value for value against numpy's float64
  /// conversion.
  @Test(.tags(.python)) func npyMatchesNumpyForAllDtypes() throws {
    let dir = try makeTempDir("npy")
    defer { try? FileManager.default.removeItem(at: dir) }
    try runPython(Self.dtypeScript, [dir.path])
    let manifest = try String(contentsOfFile: dir.appendingPathComponent("expected.tsv").path, encoding: .utf8)
    var files = 0, values = 0, mismatches: [String] = []
    for line in manifest.split(separator: "\n") {
      let f = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
      let npy = try NPYFile.open(path: dir.appendingPathComponent(f[0]).path)
      let shape = f[3].split(separator: ",").map { Int($0)! }
      #expect(npy.header.shape == shape, "\(f[0])")
      #expect(npy.header.descr == f[1], "\(f[0])")
      #expect(npy.header.fortranOrder == (f[2] == "1"), "\(f[0])")
      #expect(npy.header.dataOffset % 64 == 0, "\(f[0])")
      let expected = f[4].split(separator: " ").map { Double(String($0))! }
      let got = try npy.readAll()
      #expect(npy.count == expected.count)
      #expect(got.count == expected.count, "\(f[0])")
      for (i, (g, e)) in zip(got, expected).enumerated() where !sameBits(g, e) {
        mismatches.append("\(f[0])[\(i)]: read \(g), numpy \(e)")
      }
      files += 1
      values += expected.count
    }
    #expect(mismatches.isEmpty, "\(mismatches.count) mismatches: \(mismatches.prefix(10))")
    #expect(files == 53 && values > 2800)
  }

  static let attentionScript = #"""
    import numpy as np, sys
    rng = np.random.default_rng(11)
    a = rng.standard_normal((2, 3, 5, 7)).astype(np.float32)
    np.save(sys.argv[1], a)
    np.save(sys.argv[2], np.asfortranarray(a.astype(">f8")))
    with open(sys.argv[3], "w") as f:
        for b in range(2):
            for h in range(3):
                f.write(" ".join(float.hex(float(v)) for v in a[b, h].ravel()) + "\n")
    """#

  /// `matrix(leadingIndices:)` and `forEachRow` on a [B, H, Q, K] array equal
  /// numpy's `a[b, h]`, for C and Fortran storage.
  @Test(.tags(.python)) func matrixSelectionMatchesNumpy() throws {
    let dir = try makeTempDir("attn")
    defer { try? FileManager.default.removeItem(at: dir) }
    let c = dir.appendingPathComponent("c.npy").path, f = dir.appendingPathComponent("f.npy").path
    let sidecar = dir.appendingPathComponent("slices.txt").path
    try runPython(Self.attentionScript, [c, f, sidecar])
    let slices = try String(contentsOfFile: sidecar, encoding: .utf8).split(separator: "\n")
      .map { $0.split(separator: " ").map { Double(String($0))! } }
    for path in [c, f] {
      let npy = try NPYFile.open(path: path)
      #expect(npy.header.shape == [2, 3, 5, 7])
      for b in 0..<2 {
        for h in 0..<3 {
          let m = try npy.matrix(leadingIndices: [b, h])
          #expect(m.rows == 5 && m.cols == 7)
          #expect(m.values == slices[b * 3 + h], "\(path) [\(b), \(h)]")
          var streamed: [Double] = [], rowIndices: [Int] = []
          try npy.forEachRow(leadingIndices: [b, h]) { r, row in
            rowIndices.append(r)
            streamed += row
          }
          #expect(rowIndices == Array(0..<5))
          #expect(streamed == slices[b * 3 + h])
        }
      }
    }
  }

  static let bigScript = #"""
    import numpy as np, sys
    n = 4096
    np.save(sys.argv[1], np.arange(n * n, dtype=np.float32).reshape(n, n))
    np.save(sys.argv[2], np.asfortranarray(np.arange(512 * 300, dtype=np.float32).reshape(512, 300)))
    """#

  /// A 4096 x 4096 float32 file (64 MiB) streamed row by row; a
  /// Fortran-order file streamed through the blocked gather.
  @Test(.tags(.python, .slow)) func streamsLargeMatrixRowByRow() throws {
    let dir = try makeTempDir("big")
    defer { try? FileManager.default.removeItem(at: dir) }
    let big = dir.appendingPathComponent("big.npy").path
    let fortran = dir.appendingPathComponent("fortran.npy").path
    try runPython(Self.bigScript, [big, fortran])
    let npy = try NPYFile.open(path: big)
    #expect(npy.header.shape == [4096, 4096] && npy.count == 4096 * 4096)
    var rows = 0, bad: [String] = []
    var above = 0  // a thresholding pass, as for attention maps
    try npy.forEachRow(leadingIndices: []) { r, row in
      #expect(row.count == 4096)
      for c in [0, 1, 2047, 4095] where row[c] != Double(r * 4096 + c) {
        bad.append("(\(r), \(c)) = \(row[c])")
      }
      if row[4095] > 8_000_000 { above += 1 }
      rows += 1
    }
    #expect(rows == 4096)
    #expect(bad.isEmpty, "\(bad.prefix(5))")
    #expect(above == 4096 - 1953)

    let f = try NPYFile.open(path: fortran)
    #expect(f.header.fortranOrder && f.header.shape == [512, 300])
    var fRows = 0
    try f.forEachRow(leadingIndices: []) { r, row in
      if row.enumerated().contains(where: { $0.element != Double(r * 300 + $0.offset) }) {
        bad.append("fortran row \(r)")
      }
      fRows += 1
    }
    #expect(fRows == 512 && bad.isEmpty, "\(bad.prefix(5))")
    #expect(try f.readAll() == (0..<(512 * 300)).map(Double.init))
  }

  @Test func corruptedNPYFilesNameTheProblem() throws {
    let dir = try makeTempDir("bad")
    defer { try? FileManager.default.removeItem(at: dir) }
    let goodDict = "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }"
    let data = [UInt8](repeating: 0, count: 48)
    let good = npyBytes(header: goodDict, data: data)
    #expect(try NPYFile.open(path: write(good, dir, "good.npy")).readAll() == [0, 0, 0, 0, 0, 0])

    func error(_ bytes: [UInt8], _ name: String) throws -> ArrayFileError? {
      let path = try write(bytes, dir, name)
      return arrayError { _ = try NPYFile.open(path: path) }
    }
    var badMagic = good
    badMagic[1] = UInt8(ascii: "X")
    let magic = try error(badMagic, "magic.npy")
    #expect(magic?.offset == 1 && magic?.message.contains("\\x93NUMPY") == true)
    #expect(magic?.description.hasSuffix("magic.npy: byte 1: \(magic!.message)") == true)

    let short = try error(Array(good[0..<9]), "short.npy")
    #expect(short?.offset == 9 && short?.message.contains("header length") == true)

    let cutHeader = try error(Array(good[0..<40]), "cut-header.npy")
    #expect(cutHeader?.offset == 40 && cutHeader?.message.contains("truncated header") == true)

    let cutData = try error(Array(good[0..<(good.count - 1)]), "cut-data.npy")
    #expect(cutData?.offset == good.count - 1)
    #expect(cutData?.message.contains("truncated data: shape (2, 3) of '<f8' needs 48 bytes") == true)

    var version = good
    version[6] = 4
    #expect(try error(version, "v4.npy")?.message.contains("version 4.0") == true)

    let complex = try error(npyBytes(header: "{'descr': '<c16', 'fortran_order': False, 'shape': (1,), }", data: data), "c.npy")
    #expect(complex?.message.contains("unsupported dtype '<c16' (complex)") == true)
    #expect(complex?.offset == 10 + 10)  // the descr value
    let object = try error(npyBytes(header: "{'descr': '|O', 'fortran_order': False, 'shape': (1,), }", data: data), "o.npy")
    #expect(object?.message.contains("unsupported dtype '|O'") == true)
    let structured = try error(
      npyBytes(header: "{'descr': [('a', '<f4'), ('b', '<i4')], 'fortran_order': False, 'shape': (2,), }", data: data),
      "s.npy")
    #expect(structured?.message.contains("structured") == true)
    let noShape = try error(npyBytes(header: "{'descr': '<f8', 'fortran_order': False}", data: data), "noshape.npy")
    #expect(noShape?.message.contains("no 'shape' key") == true)
    let garbage = try error(npyBytes(header: "{'descr': '<f8', 'fortran_order': Maybe, 'shape': (2,)}", data: data), "g.npy")
    #expect(garbage?.offset == 10 + 34 && garbage?.message.contains("expected a Python literal") == true)

    // A header claiming a huge shape is refused before any allocation.
    let huge = try error(
      npyBytes(header: "{'descr': '<f8', 'fortran_order': False, 'shape': (100000000000, 100000), }", data: data),
      "huge.npy")
    #expect(huge?.message.contains("truncated data") == true)
    let overflow = try error(
      npyBytes(header: "{'descr': '<f8', 'fortran_order': False, 'shape': (4611686018427387904, 4), }", data: data),
      "overflow.npy")
    #expect(overflow?.message.contains("too many elements") == true)

    let npy = try NPYFile.open(path: write(
      npyBytes(header: "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 1, 3), }", data: data), dir, "3d.npy"))
    #expect(arrayError { _ = try npy.matrix(leadingIndices: [2]) }?.message
      == "leading index 2 out of range for axis 0 of length 2 (shape (2, 1, 3))")
    #expect(arrayError { _ = try npy.matrix(leadingIndices: []) }?.message.contains("expected 1 leading indices") == true)
    #expect(try npy.matrix(leadingIndices: [1]).rows == 1)
    #expect(arrayError { _ = try NPYFile.open(path: dir.appendingPathComponent("none.npy").path) }?.message == "no such file")
  }
}

// MARK: - Grids

extension ArrayReaderTests {
  @Suite(.tiered) struct Grids {
    @Test func csvGridWithHeaderNaNCRLFAndBOM() throws {
      let dir = try makeTempDir("csv")
      defer { try? FileManager.default.removeItem(at: dir) }
      let text = "\u{FEFF}beta\\alpha, a0, \"a1\", a2\r\n1.5, nan,2e-1,-3\r\n\r\n4,,NaN, 0x1p-2\r\n7 , 8, 9 ,inf\r\n"
      let path = try write(Array(text.utf8), dir, "surface.csv")
      let g = try GridReader.readCSV(path: path, xRange: nil, yRange: nil)
      #expect(g.name == "surface" && g.pendingCells == 0)
      #expect(g.x == [0, 1, 2, 3] && g.y == [0, 1, 2])
      let expected: [Double] = [1.5, .nan, 0.2, -3, 4, .nan, .nan, 0.25, 7, 8, 9, .infinity]
      #expect(g.values.count == 12 && zip(g.values, expected).allSatisfy { sameBits($0, $1) }, "\(g.values)")

      let spaced = try write(Array("0.5 0.25\t1\n  2 3 4\n".utf8), dir, "spaced.txt")
      let s = try GridReader.readCSV(path: spaced, xRange: -1...1, yRange: 10...20)
      #expect(s.values == [0.5, 0.25, 1, 2, 3, 4])
      #expect(s.x == [-1, 0, 1] && s.y == [10, 20])

      let ragged = try write(Array("a,b,c\n1,2,3\n\n4,5\n".utf8), dir, "ragged.csv")
      let raggedError = arrayError { _ = try GridReader.readCSV(path: ragged, xRange: nil, yRange: nil) }
      #expect(raggedError?.offset == 13)
      #expect(raggedError?.message == "line 4: expected 3 values as on line 2, found 2 (all rows of a grid must be the same length)")
      let word = try write(Array("1,2\r\n3,oops\r\n".utf8), dir, "word.csv")
      let wordError = arrayError { _ = try GridReader.readCSV(path: word, xRange: nil, yRange: nil) }
      #expect(wordError?.description == "\(word): byte 7: line 2: expected a number, 'nan' or an empty field, found 'oops'")
      let empty = try write(Array("only,labels\n\n".utf8), dir, "empty.csv")
      #expect(arrayError { _ = try GridReader.readCSV(path: empty, xRange: nil, yRange: nil) }?.message.contains("no rows of numbers") == true)
    }

    /// `GridReader.read` picks the reader by extension, and `transpose` makes the file's rows
    /// columns, with the ranges giving the coordinates after the swap (`--transpose`).
    @Test func readByExtensionAndTransposed() throws {
      let dir = try makeTempDir("read")
      defer { try? FileManager.default.removeItem(at: dir) }
      let path = try write(Array("1,2,3\n4,5,6\n".utf8), dir, "grid.csv")
      #expect(GridReader.isGrid(path) && !GridReader.isGrid(dir.appendingPathComponent("run.jsonl").path))
      let plain = try GridReader.read(path: path, xRange: 0...1, yRange: 10...30)
      #expect(plain == (try GridReader.readCSV(path: path, xRange: 0...1, yRange: 10...30)))
      #expect(plain.x == [0, 0.5, 1] && plain.y == [10, 30] && plain.values == [1, 2, 3, 4, 5, 6])
      // Transposed: x runs down the file (2 values), y across it (3), values[r * 2 + c] = file[c][r].
      let t = try GridReader.read(path: path, xRange: 0...1, yRange: 10...30, transpose: true)
      #expect(t.x == [0, 1] && t.y == [10, 20, 30] && t.values == [1, 4, 2, 5, 3, 6])
      #expect(t.transposed() == (try GridReader.read(path: path, xRange: 10...30, yRange: 0...1)))
    }

    static let gridScript = #"""
      import numpy as np, h5py, sys
      npy_path, h5_path, big_path = sys.argv[1:4]
      np.save(npy_path, np.arange(12, dtype=np.float32).reshape(3, 4))
      # The loss-landscape layout, as plot_surface.py's crunch() writes it: shape
      # (len(x), len(y)) filled with -1, cells filled through ravel()[ind] at the
      # coordinates meshgrid(x, y).ravel()[ind]; some cells left pending.
      x = np.linspace(-1, 1, 5); y = np.linspace(-0.5, 0.5, 3)
      with h5py.File(h5_path, "w") as f:
          f["dir_file"] = "dirs.h5"
          f["xcoordinates"] = x
          f["ycoordinates"] = y
          losses = -np.ones((len(x), len(y))); accs = -np.ones((len(x), len(y)))
          xm, ym = np.meshgrid(x, y)
          for ind in range(losses.size):
              if ind in (3, 9, 14): continue
              losses.ravel()[ind] = 2 + xm.ravel()[ind] ** 2 + 10 * ym.ravel()[ind] ** 2
              accs.ravel()[ind] = 50 + ind
          f["train_loss"] = losses
          f["train_acc"] = accs.astype(np.float32)
      n = 1000
      with h5py.File(big_path, "w") as f:
          f["xcoordinates"] = np.linspace(-1, 1, n)
          f["ycoordinates"] = np.linspace(-1, 1, n)
          f["train_loss"] = np.arange(n * n, dtype=np.float64).reshape(n, n)
      """#

    @Test(.tags(.python)) func npyAndLossLandscapeH5Grids() throws {
      let dir = try makeTempDir("grid")
      defer { try? FileManager.default.removeItem(at: dir) }
      let npy = dir.appendingPathComponent("grid.npy").path
      let h5 = dir.appendingPathComponent("surface.h5").path
      let big = dir.appendingPathComponent("big.h5").path
      try runPython(Self.gridScript, [npy, h5, big])

      let g = try GridReader.readNPY(path: npy, xRange: nil, yRange: -1...1)
      #expect(g.x == [0, 1, 2, 3] && g.y == [-1, 0, 1] && g.values == (0..<12).map(Double.init))
      #expect(g.name == "grid")
      #expect(arrayError { _ = try GridReader.readNPY(path: h5, xRange: nil, yRange: nil) }?.offset == 0)

      #expect(try GridReader.datasets(inH5: h5) == ["train_acc", "train_loss", "xcoordinates", "ycoordinates"])
      let loss = try GridReader.readLossLandscapeH5(path: h5)
      #expect(loss.name == "train_loss" && loss.pendingCells == 3)
      #expect(loss.x == [-1, -0.5, 0, 0.5, 1] && loss.y == [-0.5, 0, 0.5])
      for r in 0..<3 {
        for c in 0..<5 {
          let v = loss.values[r * 5 + c]
          if [3, 9, 14].contains(r * 5 + c) {
            #expect(v.isNaN)
          } else {
            #expect(abs(v - (2 + loss.x[c] * loss.x[c] + 10 * loss.y[r] * loss.y[r])) < 1e-12, "(\(r), \(c))")
          }
        }
      }
      let acc = try GridReader.readLossLandscapeH5(path: h5, dataset: "train_acc")
      #expect(acc.pendingCells == 3 && acc.values[0] == 50 && acc.values[13] == 63)

      let missing = arrayError { _ = try GridReader.readLossLandscapeH5(path: h5, dataset: "test_loss") }
      #expect(missing?.description == "\(h5): no dataset 'test_loss'; available datasets: train_acc, train_loss, xcoordinates, ycoordinates")
      let notNumeric = arrayError { _ = try GridReader.readLossLandscapeH5(path: h5, dataset: "dir_file") }
      #expect(notNumeric?.message.contains("does not hold numbers") == true)
      let notH5 = arrayError { _ = try GridReader.datasets(inH5: npy) }
      #expect(notH5?.offset == 0 && notH5?.message.contains("not an HDF5 file") == true)
      #expect(arrayError { _ = try GridReader.datasets(inH5: dir.path + "/nope.h5") }?.message == "no such file")

      let large = try GridReader.readLossLandscapeH5(path: big)
      #expect(large.x.count == 1000 && large.y.count == 1000 && large.pendingCells == 0)
      #expect(large.values[999] == 999 && large.values[1000 * 1000 - 1] == 999_999)
    }

    static let writerScript = #"""
      import numpy as np, h5py, sys
      f = h5py.File(sys.argv[1], "w")
      f["xcoordinates"] = np.linspace(-1, 1, 4)
      f["ycoordinates"] = np.linspace(-1, 1, 2)
      loss = -np.ones((4, 2)); loss.ravel()[:3] = [1.0, 2.0, 3.0]
      f["train_loss"] = loss
      f.flush()
      print("ready", flush=True)
      sys.stdin.readline()
      f.close()
      """#

    /// A surface file still held open for writing (and locked) by h5py, as
    /// while plot_surface.py computes, is read as a partial surface.
    @Test(.tags(.python)) func readsSurfaceHeldOpenByWriter() throws {
      let python = packageRoot.appendingPathComponent(".venv/bin/python").path
      guard FileManager.default.isExecutableFile(atPath: python) else {
        Issue.record("\(python) not found: run scripts/setup.sh to create .venv")
        return
      }
      let dir = try makeTempDir("live")
      defer { try? FileManager.default.removeItem(at: dir) }
      let h5 = dir.appendingPathComponent("live.h5").path
      Subprocess.ignoreBrokenPipes()
      let process = Process()
      process.executableURL = URL(fileURLWithPath: python)
      process.arguments = ["-c", Self.writerScript, h5]
      let stdin = Pipe(), stdout = Pipe()
      process.standardInput = stdin
      process.standardOutput = stdout
      try process.run()
      defer {
        try? stdin.fileHandleForWriting.write(contentsOf: Data("done\n".utf8))
        process.waitUntilExit()
      }
      let line = String(decoding: stdout.fileHandleForReading.availableDataOrLine(), as: UTF8.self)
      try #require(line.hasPrefix("ready"), "writer did not start: \(line)")
      let grid = try GridReader.readLossLandscapeH5(path: h5)
      #expect(grid.pendingCells == 5 && grid.values.prefix(3) == [1, 2, 3])
    }
  }
}

extension FileHandle {
  /// Reads until a newline or end of file.
  fileprivate func availableDataOrLine() -> Data {
    var data = Data()
    while true {
      let chunk = readData(ofLength: 1)
      if chunk.isEmpty { return data }
      data += chunk
      if chunk.first == 0x0A { return data }
    }
  }
}
