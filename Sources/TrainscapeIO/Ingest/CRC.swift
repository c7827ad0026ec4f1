import CCRC32C

/// The CRC-32 variants used by the framed log formats.
///
/// - `CRC32C`: Castagnoli (reflected polynomial 0x82F63B78), as TFRecord
///   uses it, plus TFRecord's mask. With the SSE 4.2 instruction where the CPU has it
///   (`CCRC32C`), else slicing-by-8 tables.
/// - `CRC32`: IEEE (reflected polynomial 0xEDB88320, zlib's `crc32`), as the
///   W&B `.wandb` log uses it (unmasked).
///
/// The tables (slicing-by-8, 8 KiB each) are built once.
public enum CRC32C {
  static let tables = makeSlicingTables(polynomial: 0x82F6_3B78)
  static let hardware = trainscape_crc32c_hw_available() == 1

  /// The CRC-32C of `bytes`; `crc32c("123456789") == 0xE3069283`.
  public static func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
    if hardware {
      guard let base = bytes.baseAddress else { return 0 }
      return trainscape_crc32c_hw(0, base, bytes.count)
    }
    return tableChecksum(bytes)
  }

  /// The CRC-32C by the tables (what CPUs without the instruction use).
  static func tableChecksum(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
    update(0, bytes, tables)
  }

  public static func checksum<C: Collection>(_ bytes: C) -> UInt32 where C.Element == UInt8 {
    Array(bytes).withUnsafeBytes { checksum($0) }
  }

  /// TFRecord's masked CRC: rotate right by 15 and add 0xA282EAD8.
  public static func mask(_ crc: UInt32) -> UInt32 {
    ((crc >> 15) | (crc << 17)) &+ 0xA282_EAD8
  }

  public static func maskedChecksum(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
    mask(checksum(bytes))
  }
}

public enum CRC32 {
  static let tables = makeSlicingTables(polynomial: 0xEDB8_8320)

  /// The IEEE CRC-32 of `bytes` (zlib.crc32); `crc32("123456789") == 0xCBF43926`.
  public static func checksum(_ bytes: UnsafeRawBufferPointer, initial: UInt32 = 0) -> UInt32 {
    update(initial, bytes, tables)
  }

  public static func checksum<C: Collection>(_ bytes: C) -> UInt32 where C.Element == UInt8 {
    Array(bytes).withUnsafeBytes { checksum($0) }
  }
}

/// tables[k][b]: the CRC of byte b followed by k zero bytes.
private func makeSlicingTables(polynomial: UInt32) -> [UInt32] {
  var t = [UInt32](repeating: 0, count: 8 * 256)
  for b in 0..<256 {
    var c = UInt32(b)
    for _ in 0..<8 { c = c & 1 != 0 ? (c >> 1) ^ polynomial : c >> 1 }
    t[b] = c
  }
  for k in 1..<8 {
    for b in 0..<256 {
      let prev = t[(k - 1) * 256 + b]
      t[k * 256 + b] = (prev >> 8) ^ t[Int(prev & 0xFF)]
    }
  }
  return t
}

/// Continues a CRC (pre/post inversion included): `update(update(0, a), b) == crc(a + b)`.
private func update(_ crc: UInt32, _ bytes: UnsafeRawBufferPointer, _ tables: [UInt32]) -> UInt32 {
  var c = ~crc
  let n = bytes.count
  guard n > 0 else { return crc }
  return tables.withUnsafeBufferPointer { t in
    var i = 0
    while i + 8 <= n {
      let lo = bytes.loadUnaligned(fromByteOffset: i, as: UInt32.self).littleEndian ^ c
      let hi = bytes.loadUnaligned(fromByteOffset: i + 4, as: UInt32.self).littleEndian
      c =
        t[7 * 256 + Int(lo & 0xFF)] ^ t[6 * 256 + Int((lo >> 8) & 0xFF)]
        ^ t[5 * 256 + Int((lo >> 16) & 0xFF)] ^ t[4 * 256 + Int(lo >> 24)]
        ^ t[3 * 256 + Int(hi & 0xFF)] ^ t[2 * 256 + Int((hi >> 8) & 0xFF)]
        ^ t[1 * 256 + Int((hi >> 16) & 0xFF)] ^ t[Int(hi >> 24)]
      i += 8
    }
    while i < n {
      c = (c >> 8) ^ t[Int((c ^ UInt32(bytes[i])) & 0xFF)]
      i += 1
    }
    return ~c
  }
}
