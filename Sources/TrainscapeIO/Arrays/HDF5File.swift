import CHDF5
import Foundation

/// Loads the HDF5 library (dlopen, on first use of an .h5 file). When it is missing the
/// error says what to install.
func loadHDF5(for path: String) throws {
  if let reason = ts_h5_load() {
    throw ArrayFileError(file: path, offset: nil, message: String(cString: reason))
  }
}

/// What HDF5 finds in a file, read in a child process.
///
/// libhdf5 is not memory-safe on damaged files: fuzzing found wild reads (SIGSEGV while
/// listing the root group) and multi-gigabyte allocations from a few hundred bytes. So
/// Trainscape never opens a file with it in its own process: `read` forks a reader that uses
/// only C and libhdf5 (Sources/CHDF5/hdf5_child.c) under a CPU-time and address-space limit,
/// and a reader that dies is an error on the file, not a crash. A file that a writer holds
/// open (and locked) is read without the lock: its values may be mid-update.
struct HDF5File {
  let path: String
  /// The root group's objects, in HDF5's name order.
  let entries: [H5Entry]
  /// The datasets read, by name: shape and values as doubles.
  private let values: [String: (shape: [Int], values: [Double])]
  /// The datasets asked for and not read, by name, with why (TS_H5_READ_*).
  private let failures: [String: Int32]

  /// Largest dataset read, in elements (2 GiB of doubles).
  static let maxElements = 1 << 28

  /// CPU seconds a reader may use (TRAINSCAPE_HDF5_CPU_SECONDS; the fuzz harness lowers it).
  static var cpuSeconds: Int {
    ProcessInfo.processInfo.environment["TRAINSCAPE_HDF5_CPU_SECONDS"].flatMap { Int($0) }.map { max(1, $0) } ?? 600
  }

  /// Lists the root group of `path` and reads `datasets` (and with `allNumeric`, every numeric
  /// root dataset) of at most `limit` values each.
  static func read(path: String, datasets: [String] = [], allNumeric: Bool = false, limit: Int = maxElements) throws
    -> HDF5File
  {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
      throw ArrayFileError(file: path, offset: nil, message: "no such file")
    }
    if isDirectory.boolValue {
      throw ArrayFileError(file: path, offset: nil, message: "is a directory, expected an HDF5 file")
    }
    InputFiles.register(path)
    guard GridReader.isHDF5(path: path) else {
      throw ArrayFileError(
        file: path, offset: 0, message: "not an HDF5 file (expected the signature \\x89HDF\\r\\n\\x1a\\n)")
    }
    try loadHDF5(for: path)
    // The reader's new memory: the largest dataset, HDF5's conversion copy of it, and room.
    let limit = min(max(0, limit), maxElements)
    let memoryLimit = UInt64(3 * 8 * limit + (1 << 30))
    var fd: Int32 = -1
    var pid: Int32 = 0
    let names = datasets.map { strdup($0) }
    defer { names.forEach { free($0) } }
    let started = names.map { Optional(UnsafePointer($0!)) }.withUnsafeBufferPointer { list in
      ts_h5_spawn_reader(
        path, list.baseAddress, Int32(list.count), allNumeric ? 1 : 0, UInt64(limit), memoryLimit,
        Int32(cpuSeconds), &fd, &pid)
    }
    guard started == 0 else {
      throw ArrayFileError(file: path, offset: nil, message: "cannot start the HDF5 reader: \(errnoText(-started))")
    }
    // A reader stuck without using CPU (a lock inherited through fork) is ended after twice
    // its CPU time of silence.
    var stream = ReaderStream(fd: fd, silenceSeconds: 2 * cpuSeconds)
    let parsed = Result { try parse(&stream, path: path) }
    if stream.timedOut { ts_h5_kill_reader(pid) }
    close(fd)
    var signal: Int32 = 0, code: Int32 = 0
    _ = ts_h5_wait_reader(pid, &signal, &code)
    switch parsed {
    case .success(let file?): return file
    case .failure(let error): throw error
    case .success(nil) where stream.timedOut:
      throw ArrayFileError(
        file: path, offset: nil, message: "the HDF5 reader sent nothing for \(2 * cpuSeconds) s and was stopped")
    case .success(nil):
      throw ArrayFileError(file: path, offset: nil, message: died(signal: signal, code: code))
    }
  }

  private static func died(signal: Int32, code: Int32) -> String {
    switch signal {
    case SIGXCPU:
      return "HDF5 used more than \(cpuSeconds) s of CPU time reading the file and was stopped (a damaged file?)"
    case SIGKILL:
      return "the HDF5 reader was killed (out of memory?) reading the file"
    case 0:
      return "the HDF5 reader stopped with exit code \(code) (out of memory?) reading the file"
    default:
      let name = strsignal(signal).map { String(cString: $0) } ?? "signal \(signal)"
      return "HDF5 crashed reading the file (\(name)); the file is damaged or was not written completely"
    }
  }

  /// The reader's stream (hdf5_child.c); nil when it ends before its end record.
  private static func parse(_ s: inout ReaderStream, path: String) throws -> HDF5File? {
    func fail(_ message: String) -> ArrayFileError { ArrayFileError(file: path, offset: nil, message: message) }
    var entries: [H5Entry] = []
    var values: [String: (shape: [Int], values: [Double])] = [:]
    var failures: [String: Int32] = [:]
    var shapes: [String: [Int]] = [:]
    while let tag = s.scalar(UInt8.self) {
      switch tag {
      case UInt8(ascii: "X"):
        return HDF5File(path: path, entries: entries, values: values, failures: failures)
      case UInt8(ascii: "N"):
        throw fail("not an HDF5 file (HDF5 does not recognise it)")
      case UInt8(ascii: "O"):
        throw fail("HDF5 cannot open the file (damaged or truncated?)")
      case UInt8(ascii: "L"):
        throw fail("HDF5 cannot list the root group (damaged or truncated file?)")
      case UInt8(ascii: "E"):
        guard let kind = s.scalar(UInt8.self), let cls = s.scalar(Int32.self), let size = s.scalar(UInt64.self),
          let signed = s.scalar(UInt8.self), let rank = s.scalar(Int32.self), rank <= 32
        else { return nil }
        var shape: [Int] = []
        for _ in 0..<max(0, Int(rank)) {
          guard let d = s.scalar(UInt64.self) else { return nil }
          shape.append(Int(clamping: d))
        }
        guard let name = s.name() else { return nil }
        switch kind {
        case 0:
          let bits = Int(clamping: size) * 8
          let type: String
          switch cls {
          case 0 where [8, 16, 32, 64].contains(bits): type = "\(signed != 0 ? "int" : "uint")\(bits)"
          case 1 where [16, 32, 64, 128].contains(bits): type = "float\(bits)"
          case 2: type = "string"
          default: type = "other (\(size) bytes)"
          }
          shapes[name] = shape
          entries.append(H5Entry(name: name, kind: .dataset(shape: shape, type: type, numeric: cls <= 1)))
        case 1: entries.append(H5Entry(name: name, kind: .group))
        default: entries.append(H5Entry(name: name, kind: .other))
        }
      case UInt8(ascii: "D"):
        guard let name = s.name(), let count = s.scalar(UInt64.self), count <= UInt64(maxElements),
          let doubles = s.doubles(Int(count))
        else { return nil }
        values[name] = (shapes[name] ?? [doubles.count], doubles)
      case UInt8(ascii: "F"):
        guard let name = s.name(), let code = s.scalar(Int32.self) else { return nil }
        failures[name] = code
      default:
        return nil
      }
    }
    return nil
  }

  /// Names of the numeric datasets at the root, sorted.
  func datasetNames() -> [String] {
    entries.compactMap { e in
      if case .dataset(_, _, true) = e.kind { return e.name }
      return nil
    }.sorted()
  }

  /// The shape of the numeric dataset `name`, or an error naming the datasets there are.
  func numericShape(_ name: String) throws -> [Int] {
    guard let entry = entries.first(where: { $0.name == name }) else {
      let available = datasetNames()
      throw fail(
        "no dataset '\(name)'; available datasets: \(available.isEmpty ? "none" : available.joined(separator: ", "))")
    }
    guard case .dataset(let shape, _, let numeric) = entry.kind else { throw fail("'\(name)' is not a dataset") }
    guard numeric else { throw fail("dataset '\(name)' does not hold numbers; expected a float or integer dataset") }
    var count = 1
    for d in shape {
      let (c, overflow) = count.multipliedReportingOverflow(by: d)
      guard !overflow, c <= Self.maxElements else {
        throw fail(
          "dataset '\(name)' of shape \(NPYFile.describe(shape)) is too large; expected at most \(Self.maxElements) values")
      }
      count = c
    }
    return shape
  }

  /// The values read for `name` (asked for in `read`), or why they could not be read.
  func doubles(_ name: String) throws -> (shape: [Int], values: [Double]) {
    if let read = values[name] { return read }
    let shape = try numericShape(name)
    switch failures[name] {
    case Int32(TS_H5_READ_TOO_LARGE):
      throw fail("dataset '\(name)' of shape \(NPYFile.describe(shape)) is too large; expected at most \(Self.maxElements) values")
    case nil:
      throw fail("dataset '\(name)' was not read")
    default:
      throw fail("HDF5 cannot read dataset '\(name)' as doubles (damaged or truncated file?)")
    }
  }

  private func fail(_ message: String) -> ArrayFileError {
    ArrayFileError(file: path, offset: nil, message: message)
  }
}

/// The reader's pipe, read in 64 KiB pieces.
private struct ReaderStream {
  let fd: Int32
  let silenceSeconds: Int
  private(set) var timedOut = false
  private var buffer = [UInt8](repeating: 0, count: 1 << 16)
  private var start = 0, end = 0

  init(fd: Int32, silenceSeconds: Int) {
    self.fd = fd
    self.silenceSeconds = silenceSeconds
  }

  private mutating func fill() -> Bool {
    start = 0
    end = 0
    while true {
      var ready = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
      let polled = poll(&ready, 1, Int32(clamping: silenceSeconds * 1000))
      if polled < 0 && errno == EINTR { continue }
      if polled == 0 {
        timedOut = true
        return false
      }
      let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
      if n < 0 && errno == EINTR { continue }
      guard n > 0 else { return false }
      end = n
      return true
    }
  }

  /// Copies `count` bytes to `destination`; false at the end of the stream.
  private mutating func copy(_ destination: UnsafeMutableRawPointer, _ count: Int) -> Bool {
    var done = 0
    while done < count {
      if start == end && !fill() { return false }
      let n = min(count - done, end - start)
      buffer.withUnsafeBytes { (destination + done).copyMemory(from: $0.baseAddress! + start, byteCount: n) }
      start += n
      done += n
    }
    return true
  }

  mutating func scalar<T: FixedWidthInteger>(_: T.Type) -> T? {
    var value = T.zero
    return withUnsafeMutableBytes(of: &value) { copy($0.baseAddress!, $0.count) } ? value : nil
  }

  mutating func name() -> String? {
    guard let length = scalar(UInt32.self), length <= 1 << 20 else { return nil }
    var bytes = [UInt8](repeating: 0, count: Int(length))
    guard length == 0 || bytes.withUnsafeMutableBytes({ copy($0.baseAddress!, $0.count) }) else { return nil }
    return String(decoding: bytes, as: UTF8.self)
  }

  mutating func doubles(_ count: Int) -> [Double]? {
    var values = [Double](repeating: 0, count: count)
    guard count == 0 || values.withUnsafeMutableBytes({ copy($0.baseAddress!, $0.count) }) else { return nil }
    return values
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
