/// Recognises binary files by their first bytes, so that a `.npy` array, an HDF5 file or an
/// archive given as metrics is named for what it is ("is a NumPy .npy array") instead of being
/// read as CSV or JSONL and reported as a strange first cell.
public enum BinarySniffer {
  /// What the bytes at the start of a file are, when they are binary: "a NumPy .npy array",
  /// "an HDF5 file", ..., or "binary data (a NUL byte at byte N)"; nil for text.
  public static func describe(_ head: some Collection<UInt8>) -> String? {
    let b = Array(head.prefix(4096))
    let magic: [(bytes: [UInt8], what: String)] = [
      ([0x93] + Array("NUMPY".utf8), "a NumPy .npy array"),
      ([0x89] + Array("HDF\r\n".utf8) + [0x1A, 0x0A], "an HDF5 file"),
      ([0x89] + Array("PNG\r\n".utf8) + [0x1A, 0x0A], "a PNG image"),
      ([0x1F, 0x8B], "a gzip-compressed file (decompress it first)"),
      (Array("PK".utf8) + [0x03, 0x04], "a zip archive (an .npz? decompress or unpack it first)"),
      (Array("BZh".utf8), "a bzip2-compressed file (decompress it first)"),
      ([0xFD] + Array("7zXZ".utf8), "an xz-compressed file (decompress it first)"),
      ([0x28, 0xB5, 0x2F, 0xFD], "a zstd-compressed file (decompress it first)"),
      ([0x7F] + Array("ELF".utf8), "an executable (ELF)"),
      (Array("glTF".utf8), "a glTF binary (.glb)"),
      (Array("GIF8".utf8), "a GIF image"),
    ]
    for m in magic where b.starts(with: m.bytes) { return m.what }
    if b.starts(with: [0xFF, 0xFE]) || b.starts(with: [0xFE, 0xFF]) { return "UTF-16 text (save it as UTF-8)" }
    if let nul = b.firstIndex(of: 0) { return "binary data (a NUL byte at byte \(nul))" }
    // Text in UTF-8 (a multi-byte character cut at the end of the sample is fine).
    var i = 0
    var bad = 0
    while i < b.count {
      let c = b[i]
      let len: Int
      switch c {
      case 0..<0x80: len = 1
      case 0xC2...0xDF: len = 2
      case 0xE0...0xEF: len = 3
      case 0xF0...0xF4: len = 4
      default: len = 0
      }
      if len == 0 || (i + len <= b.count && !b[(i + 1)..<(i + len)].allSatisfy { $0 & 0xC0 == 0x80 }) {
        bad += 1
        i += 1
        continue
      }
      i += len
    }
    if bad > 0 && bad * 20 > b.count {
      return "binary data (\(bad) of the first \(b.count) bytes are not UTF-8 text)"
    }
    return nil
  }
}
