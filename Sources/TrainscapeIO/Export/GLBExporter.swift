import Foundation
import TrainscapeCore

/// glTF 2.0 binary (`.glb`) of a scene, for `wandb.Object3D.from_file`, Blender, three.js, etc.
///
/// Coordinates: the scene's normalized coordinates (the axes box spans [-0.5, 0.5] * aspect),
/// converted from Trainscape's z-up to glTF's y-up by a rotation of -90 degrees about x:
/// (x, y, z) -> (x, z, -y). A rotation keeps triangle winding and handedness.
///
/// - Surfaces: indexed TRIANGLES with POSITION, NORMAL and COLOR_0 (the colour map applied to
///   each vertex; NaN samples are holes, their vertices unused).
/// - Scatter traces: POINTS for markers and LINE_STRIP for lines (both, sharing accessors, for
///   lines+markers); non-finite points are left out.
/// - Meshes: indexed TRIANGLES with per-vertex normals and colours.
/// - The axes box as LINES, in grey.
/// COLOR_0 is linear RGB in glTF, so the sRGB colours are converted. All little-endian, chunks
/// padded to 4 bytes (JSON with spaces, BIN with zeros).
public enum GLBExporter {
  public struct Options: Sendable, Equatable {
    /// Add the axes box as a LINES primitive.
    public var axesBox: Bool
    public init(axesBox: Bool = true) { self.axesBox = axesBox }
  }

  /// z-up -> y-up.
  @inline(__always) static func yUp(_ v: Vec3) -> (Float, Float, Float) {
    (Float(v.x), Float(v.z), Float(-v.y))
  }

  static func linear(_ c: Double) -> Float {
    let x = Swift.min(Swift.max(c.isNaN ? 0 : c, 0), 1)
    return Float(x <= 0.04045 ? x / 12.92 : pow((x + 0.055) / 1.055, 2.4))
  }

  struct Builder {
    var bin: [UInt8] = []
    var views: [String] = []
    var accessors: [String] = []

    mutating func align() {
      while bin.count % 4 != 0 { bin.append(0) }
    }

    /// Adds a float VECn accessor; returns its index.
    mutating func floats(_ data: [Float], components: Int, minMax: Bool) -> Int {
      align()
      let offset = bin.count
      data.withUnsafeBytes { raw in
        for f in raw.bindMemory(to: Float.self) {
          let b = f.bitPattern.littleEndian
          withUnsafeBytes(of: b) { bin.append(contentsOf: $0) }
        }
      }
      views.append("{\"buffer\":0,\"byteOffset\":\(offset),\"byteLength\":\(data.count * 4),\"target\":34962}")
      let count = data.count / components
      var extra = ""
      if minMax {
        var lo = [Float](repeating: .infinity, count: components)
        var hi = [Float](repeating: -.infinity, count: components)
        for i in 0..<count {
          for c in 0..<components {
            lo[c] = Swift.min(lo[c], data[i * components + c])
            hi[c] = Swift.max(hi[c], data[i * components + c])
          }
        }
        extra = ",\"min\":[\(lo.map { num($0) }.joined(separator: ","))],\"max\":[\(hi.map { num($0) }.joined(separator: ","))]"
      }
      let type = components == 3 ? "VEC3" : components == 4 ? "VEC4" : "SCALAR"
      accessors.append("{\"bufferView\":\(views.count - 1),\"componentType\":5126,\"count\":\(count),\"type\":\"\(type)\"\(extra)}")
      return accessors.count - 1
    }

    mutating func indices(_ data: [UInt32]) -> Int {
      align()
      let offset = bin.count
      for v in data { withUnsafeBytes(of: v.littleEndian) { bin.append(contentsOf: $0) } }
      views.append("{\"buffer\":0,\"byteOffset\":\(offset),\"byteLength\":\(data.count * 4),\"target\":34963}")
      let lo = data.min() ?? 0, hi = data.max() ?? 0
      accessors.append("{\"bufferView\":\(views.count - 1),\"componentType\":5125,\"count\":\(data.count),\"type\":\"SCALAR\",\"min\":[\(lo)],\"max\":[\(hi)]}")
      return accessors.count - 1
    }

    func num(_ f: Float) -> String {
      // Float's shortest description reads back to the same float; JSON-valid for finite values.
      f.isFinite ? "\(f)" : "0"
    }
  }

  public static func glb(_ scene: Scene, options: Options = Options()) -> (bytes: [UInt8], notes: [String]) {
    var b = Builder()
    var meshes: [String] = []
    var materials: [String] = []
    var nodes: [String] = []
    var notes: [String] = []

    func material(_ name: String, opacity: Double, lit: Bool) -> Int {
      let alpha = opacity < 1 ? ",\"alphaMode\":\"BLEND\"" : ""
      let pbr = "{\"baseColorFactor\":[1,1,1,\(Float(opacity))],\"metallicFactor\":0,\"roughnessFactor\":\(lit ? "0.9" : "1")}"
      materials.append("{\"name\":\(jsonString(name)),\"pbrMetallicRoughness\":\(pbr),\"doubleSided\":true\(alpha)}")
      return materials.count - 1
    }
    func addMesh(_ name: String, _ primitives: [String]) {
      meshes.append("{\"name\":\(jsonString(name)),\"primitives\":[\(primitives.joined(separator: ","))]}")
      nodes.append("{\"name\":\(jsonString(name)),\"mesh\":\(meshes.count - 1)}")
    }
    func colors(_ cs: [RGBColor]) -> [Float] {
      var out: [Float] = []
      out.reserveCapacity(cs.count * 3)
      for c in cs { out.append(linear(c.r)); out.append(linear(c.g)); out.append(linear(c.b)) }
      return out
    }

    for trace in scene.traces {
      switch trace {
      case .surface(let s):
        let m = scene.mesh(for: s)
        var pos = [Float](repeating: 0, count: m.vertexCount * 3)
        var nrm = [Float](repeating: 0, count: m.vertexCount * 3)
        var col: [RGBColor] = []
        col.reserveCapacity(m.vertexCount)
        for i in 0..<m.vertexCount {
          let (x, y, z) = yUp(Vec3(Double(m.positions[i * 3]), Double(m.positions[i * 3 + 1]), Double(m.positions[i * 3 + 2])))
          pos[i * 3] = x; pos[i * 3 + 1] = y; pos[i * 3 + 2] = z
          let (nx, ny, nz) = yUp(Vec3(Double(m.normals[i * 3]), Double(m.normals[i * 3 + 1]), Double(m.normals[i * 3 + 2])))
          nrm[i * 3] = nx; nrm[i * 3 + 1] = ny; nrm[i * 3 + 2] = nz
          col.append(s.colormap.color(at: Double(m.scalars[i])))
        }
        let p = b.floats(pos, components: 3, minMax: true)
        let n = b.floats(nrm, components: 3, minMax: false)
        let c = b.floats(colors(col), components: 3, minMax: false)
        let mat = material(s.name, opacity: s.opacity, lit: true)
        if m.indices.isEmpty {
          notes.append("surface '\(s.name)' has no complete grid cell; written as points")
          addMesh(s.name, ["{\"attributes\":{\"POSITION\":\(p),\"COLOR_0\":\(c)},\"mode\":0,\"material\":\(mat)}"])
        } else {
          let idx = b.indices(m.indices)
          addMesh(s.name, ["{\"attributes\":{\"POSITION\":\(p),\"NORMAL\":\(n),\"COLOR_0\":\(c)},\"indices\":\(idx),\"mode\":4,\"material\":\(mat)}"])
        }
      case .scatter(let s) where s.contourOf != nil:
        // Contour lines: segments between NaN breaks, as LINES (pairs of points).
        var pos: [Float] = []
        var col: [RGBColor] = []
        for i in 1..<Swift.max(1, s.count) {
          let a = scene.normalized(s.x[i - 1], s.y[i - 1], s.z[i - 1]), v = scene.normalized(s.x[i], s.y[i], s.z[i])
          guard a.isFinite, v.isFinite else { continue }
          for q in [a, v] {
            let (x, y, z) = yUp(q)
            pos += [x, y, z]
          }
          let lc = s.lineColors ?? s.colors
          col += [lc.color(at: i - 1), lc.color(at: i)]
        }
        guard !col.isEmpty else { continue }
        let p = b.floats(pos, components: 3, minMax: true)
        let c = b.floats(colors(col), components: 3, minMax: false)
        addMesh(s.name, ["{\"attributes\":{\"POSITION\":\(p),\"COLOR_0\":\(c)},\"mode\":1,\"material\":\(material(s.name, opacity: s.opacity, lit: false))}"])
      case .scatter(let s):
        var pos: [Float] = []
        var col: [RGBColor] = []
        for i in 0..<s.count {
          let v = scene.normalized(s.x[i], s.y[i], s.z[i])
          guard v.isFinite else { continue }
          let (x, y, z) = yUp(v)
          pos.append(x); pos.append(y); pos.append(z)
          col.append(s.colors.color(at: i))
        }
        if col.count < s.count {
          notes.append("scatter '\(s.name)': \(s.count - col.count) points with missing or non-finite coordinates left out of the glTF")
        }
        guard !col.isEmpty else { continue }
        let p = b.floats(pos, components: 3, minMax: true)
        let c = b.floats(colors(col), components: 3, minMax: false)
        let mat = material(s.name, opacity: s.opacity, lit: false)
        var prims: [String] = []
        if s.mode != .markers && col.count >= 2 {
          prims.append("{\"attributes\":{\"POSITION\":\(p),\"COLOR_0\":\(c)},\"mode\":3,\"material\":\(mat)}")
        }
        if s.mode != .lines || col.count < 2 {
          prims.append("{\"attributes\":{\"POSITION\":\(p),\"COLOR_0\":\(c)},\"mode\":0,\"material\":\(mat)}")
        }
        addMesh(s.name, prims)
      case .mesh(let mt):
        let nv = mt.x.count
        var pv = [Vec3](repeating: .zero, count: nv)
        for i in 0..<nv {
          let v = scene.normalized(mt.x[i], mt.y[i], mt.z[i])
          pv[i] = v.isFinite ? v : .zero
        }
        let (idx, dropped) = mt.triangles()
        let normals = VertexNormals.smooth(positions: pv, triangles: idx)
        if dropped > 0 { notes.append("mesh '\(mt.name)': \(dropped) faces with out-of-range vertex indices left out") }
        var pos: [Float] = [], nrm: [Float] = []
        pos.reserveCapacity(nv * 3)
        nrm.reserveCapacity(nv * 3)
        for i in 0..<nv {
          let (x, y, z) = yUp(pv[i])
          pos.append(x); pos.append(y); pos.append(z)
          let (nx, ny, nz) = yUp(normals[i])
          nrm.append(nx); nrm.append(ny); nrm.append(nz)
        }
        guard nv > 0 else { continue }
        let p = b.floats(pos, components: 3, minMax: true)
        let n = b.floats(nrm, components: 3, minMax: false)
        let c = b.floats(colors((0..<nv).map { mt.colors.color(at: $0) }), components: 3, minMax: false)
        let mat = material(mt.name, opacity: mt.opacity, lit: true)
        if idx.isEmpty {
          addMesh(mt.name, ["{\"attributes\":{\"POSITION\":\(p),\"COLOR_0\":\(c)},\"mode\":0,\"material\":\(mat)}"])
        } else {
          let ia = b.indices(idx)
          addMesh(mt.name, ["{\"attributes\":{\"POSITION\":\(p),\"NORMAL\":\(n),\"COLOR_0\":\(c)},\"indices\":\(ia),\"mode\":4,\"material\":\(mat)}"])
        }
      }
    }
    if options.axesBox {
      let h = scene.halfExtent
      var pos: [Float] = []
      for k in 0..<8 {
        let (x, y, z) = yUp(Vec3(k & 1 == 0 ? -h.x : h.x, k & 2 == 0 ? -h.y : h.y, k & 4 == 0 ? -h.z : h.z))
        pos.append(x); pos.append(y); pos.append(z)
      }
      var edges: [UInt32] = []
      for a in 0..<8 { for bit in [1, 2, 4] where a & bit == 0 { edges.append(UInt32(a)); edges.append(UInt32(a | bit)) } }
      let p = b.floats(pos, components: 3, minMax: true)
      let c = b.floats([Float](repeating: linear(0.5), count: 24), components: 3, minMax: false)
      let idx = b.indices(edges)
      let mat = material("axes box", opacity: 1, lit: false)
      addMesh("axes box", ["{\"attributes\":{\"POSITION\":\(p),\"COLOR_0\":\(c)},\"indices\":\(idx),\"mode\":1,\"material\":\(mat)}"])
    }
    b.align()
    let extras = "{\"title\":\(jsonString(scene.title)),\"axes\":{\"x\":\(jsonString(scene.x.title)),\"y\":\(jsonString(scene.y.title)),\"z\":\(jsonString(scene.z.title))},\"up\":\"y (Trainscape z)\",\"notes\":[\(scene.notes.map(jsonString).joined(separator: ","))]}"
    var json = "{\"asset\":{\"version\":\"2.0\",\"generator\":\"Trainscape \(jsonEscaped: "export")\"},"
    json += "\"scene\":0,\"scenes\":[{\"name\":\(jsonString(scene.title)),\"nodes\":[\((0..<nodes.count).map(String.init).joined(separator: ","))],\"extras\":\(extras)}],"
    json += "\"nodes\":[\(nodes.joined(separator: ","))],\"meshes\":[\(meshes.joined(separator: ","))],"
    json += "\"materials\":[\(materials.joined(separator: ","))],"
    json += "\"accessors\":[\(b.accessors.joined(separator: ","))],\"bufferViews\":[\(b.views.joined(separator: ","))],"
    json += "\"buffers\":[{\"byteLength\":\(b.bin.count)}]}"
    var jsonBytes = Array(json.utf8)
    while jsonBytes.count % 4 != 0 { jsonBytes.append(0x20) }
    var out: [UInt8] = []
    out.reserveCapacity(12 + 8 + jsonBytes.count + 8 + b.bin.count)
    func u32(_ v: Int) { withUnsafeBytes(of: UInt32(v).littleEndian) { out.append(contentsOf: $0) } }
    let total = 12 + 8 + jsonBytes.count + (b.bin.isEmpty ? 0 : 8 + b.bin.count)
    u32(0x4654_6C67)  // "glTF"
    u32(2)
    u32(total)
    u32(jsonBytes.count)
    u32(0x4E4F_534A)  // "JSON"
    out.append(contentsOf: jsonBytes)
    if !b.bin.isEmpty {
      u32(b.bin.count)
      u32(0x004E_4942)  // "BIN\0"
      out.append(contentsOf: b.bin)
    }
    return (out, notes)
  }
}

func jsonString(_ s: String) -> String {
  var w = JSONWriter(capacity: s.utf8.count + 2)
  w.string(s)
  return String(decoding: w.bytes, as: UTF8.self)
}

extension String.StringInterpolation {
  fileprivate mutating func appendInterpolation(jsonEscaped s: String) {
    let q = jsonString(s)
    appendLiteral(String(q.dropFirst().dropLast()))
  }
}
