import CHDF5
import Foundation

/// The serial HDF5 library is not thread-safe: every call goes through this
/// lock.
private let hdf5Lock = NSLock()

/// Loads the HDF5 library (dlopen, on first use of an .h5 file). When it is missing the
/// error says what to install.
func loadHDF5(for path: String) throws {
  if let reason = ts_h5_load() {
    throw ArrayFileError(file: path, offset: nil, message: String(cString: reason))
  }
}

/// A read-only HDF5 file, used under `HDF5File.with(path:)` only (the lock
/// is held for the whole body). Reports errors as `ArrayFileError`s; HDF5's
/// own error printing is turned off. A file that a writer holds open (and
/// locked) is opened without the lock: its values may be mid-update.
struct HDF5File {
  let path: String
  let id: ts_hid_t

  /// Largest dataset read, in elements (2 GiB of doubles).
  static let maxElements = 1 << 28

  static func with<T>(path: String, _ body: (HDF5File) throws -> T) throws -> T {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
      throw ArrayFileError(file: path, offset: nil, message: "no such file")
    }
    if isDirectory.boolValue {
      throw ArrayFileError(file: path, offset: nil, message: "is a directory, expected an HDF5 file")
    }
    InputFiles.register(path)
    try loadHDF5(for: path)
    hdf5Lock.lock()
    defer { hdf5Lock.unlock() }
    guard ts_h5_is_hdf5(path) > 0 else {
      throw ArrayFileError(
        file: path, offset: 0, message: "not an HDF5 file (expected the signature \\x89HDF\\r\\n\\x1a\\n)")
    }
    var id = ts_h5_open_readonly(path)
    if id < 0 {
      // A writer (plot_surface.py still computing) holds the file lock;
      // read anyway, to show a partial surface.
      id = ts_h5_open_readonly_unlocked(path)
    }
    guard id >= 0 else {
      throw ArrayFileError(file: path, offset: nil, message: "HDF5 cannot open the file (damaged or truncated?)")
    }
    defer { ts_h5_close_file(id) }
    return try body(HDF5File(path: path, id: id))
  }

  func fail(_ message: String) -> ArrayFileError {
    ArrayFileError(file: path, offset: nil, message: message)
  }

  /// The names of the links in the root group, in HDF5's name order.
  func rootLinkNames() throws -> [String] {
    let count = ts_h5_root_link_count(id)
    guard count >= 0 else { throw fail("HDF5 cannot list the root group") }
    return try (0..<UInt64(count)).map { i in
      let length = ts_h5_link_name(id, i, nil, 0)
      guard length >= 0 else { throw fail("HDF5 cannot read the name of link \(i) in the root group") }
      var buffer = [CChar](repeating: 0, count: Int(length) + 1)
      _ = ts_h5_link_name(id, i, &buffer, buffer.count)
      return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
  }

  /// Names of the numeric datasets at the root, sorted.
  func datasetNames() throws -> [String] {
    var names: [String] = []
    for name in try rootLinkNames() {
      let object = ts_h5_open_object(id, name)
      guard object >= 0 else { continue }  // e.g. a dangling soft link
      defer { ts_h5_close_object(object) }
      if ts_h5_is_dataset(object) != 0 && ts_h5_is_numeric(object) != 0 { names.append(name) }
    }
    return names.sorted()
  }

  /// Every object at the root, in name order: datasets with their shape and element type,
  /// groups, and anything else.
  func rootEntries() throws -> [H5Entry] {
    var out: [H5Entry] = []
    for name in try rootLinkNames() {
      let object = ts_h5_open_object(id, name)
      guard object >= 0 else {
        out.append(H5Entry(name: name, kind: .other))
        continue
      }
      defer { ts_h5_close_object(object) }
      if ts_h5_is_group(object) != 0 {
        out.append(H5Entry(name: name, kind: .group))
      } else if ts_h5_is_dataset(object) != 0 {
        var cls: Int32 = 3, size = 0, signed: Int32 = 0
        _ = ts_h5_type_info(object, &cls, &size, &signed)
        let type: String
        switch cls {
        case 0: type = "\(signed != 0 ? "int" : "uint")\(size * 8)"
        case 1: type = "float\(size * 8)"
        case 2: type = "string"
        default: type = "other (\(size) bytes)"
        }
        var dims = [UInt64](repeating: 0, count: 32)
        let rank = ts_h5_dataset_shape(object, &dims, Int32(dims.count))
        let shape = rank > 0 ? dims.prefix(Int(rank)).map { Int($0) } : []
        out.append(H5Entry(name: name, kind: .dataset(shape: shape, type: type, numeric: cls <= 1)))
      } else {
        out.append(H5Entry(name: name, kind: .other))
      }
    }
    return out
  }

  /// The dataset's shape and all of its values as doubles (one H5Dread). `checkShape` sees the
  /// shape before anything is allocated (a memory budget).
  func readDoubles(_ name: String, checkShape: ([Int]) throws -> Void = { _ in }) throws -> (shape: [Int], values: [Double]) {
    guard ts_h5_link_exists(id, name) > 0 else {
      let available = (try? datasetNames()) ?? []
      throw fail(
        "no dataset '\(name)'; available datasets: \(available.isEmpty ? "none" : available.joined(separator: ", "))")
    }
    let dataset = ts_h5_open_dataset(id, name)
    guard dataset >= 0 else { throw fail("'\(name)' is not a dataset") }
    defer { ts_h5_close_dataset(dataset) }
    guard ts_h5_is_numeric(dataset) != 0 else {
      throw fail("dataset '\(name)' does not hold numbers; expected a float or integer dataset")
    }
    var dims = [UInt64](repeating: 0, count: 32)
    let rank = Int(ts_h5_dataset_shape(dataset, &dims, Int32(dims.count)))
    guard rank >= 0 else { throw fail("dataset '\(name)' has no simple shape") }
    let shape = dims.prefix(rank).map { Int($0) }
    var count = 1
    for d in shape {
      let (c, overflow) = count.multipliedReportingOverflow(by: d)
      guard !overflow, c <= Self.maxElements else {
        throw fail(
          "dataset '\(name)' of shape \(NPYFile.describe(shape)) is too large; expected at most \(Self.maxElements) values")
      }
      count = c
    }
    try checkShape(shape)
    var values = [Double](repeating: 0, count: count)
    if count > 0 {
      let status = values.withUnsafeMutableBufferPointer { ts_h5_read_doubles(dataset, $0.baseAddress!) }
      guard status >= 0 else { throw fail("HDF5 cannot read dataset '\(name)' as doubles (damaged or truncated file?)") }
    }
    return (shape, values)
  }
}

/// An object at the root of an HDF5 file.
public struct H5Entry: Sendable, Equatable {
  public enum Kind: Sendable, Equatable {
    /// A dataset: its shape ([] for a scalar), element type ("float64", "int32", "uint8",
    /// "string", ...), and whether it holds numbers.
    case dataset(shape: [Int], type: String, numeric: Bool)
    case group
    case other
  }
  public var name: String
  public var kind: Kind
}
